# shellcheck shell=bash
# gpiosim.sh - create, drive and destroy gpio-sim chips from bash, INSIDE the vmrun.sh guest.
#
#   source tests/kernel/vm/gpiosim.sh
#   read -r dev sys < <(gpiosim_create door-chip "gpio2mqtt-test" 8 "0:button 3:door")
#   gpiosim_pull door-chip 3 up          # input edge seen by whoever requested line 3
#   gpiosim_pull door-chip 3             # prints the current pull: pull-up|pull-down
#   gpiosim_value door-chip 5            # prints 0|1: what line 5 is driven to (outputs)
#   gpiosim_destroy door-chip            # or gpiosim_destroy_all, e.g. from an EXIT trap
#
# Also: gpiosim_chip NAME (gpiochipN), gpiosim_dev NAME (/dev/gpiochipN), gpiosim_sysfs NAME.
#
# How gpio-sim (Linux 6.1) works, for reference:
#   configfs  /sys/kernel/config/gpio-sim/NAME/{live,dev_name}
#             .../NAME/gpio-bank0/{num_lines,label,chip_name}  .../gpio-bank0/lineK/name
#   sysfs     /sys/devices/platform/<dev_name>/<chip_name>/sim_gpioK/{pull,value}
#   'pull' is what the simulated outside world does to an input; 'value' reads what an output drives
#   (for an input it follows pull). A chip can only be changed while it is not live.
#
# Deliberately no 'set -euo pipefail' here: a sourced library must not change the caller's shell
# options. Every function returns non-zero with a message on stderr instead, which also makes a
# caller running under 'set -e' stop at the first failure.
# Only one bank (gpio-bank0) per chip: a second chip is the simpler way to get a second gpiochip.

GPIOSIM_CONFIGFS=${GPIOSIM_CONFIGFS:-/sys/kernel/config/gpio-sim}

_gpiosim_err() { echo "gpiosim: $*" >&2; return 1; }

# NAME -> its configfs dir; NAME becomes a directory name, so keep it simple.
_gpiosim_dir() {
  [[ ${1-} =~ ^[A-Za-z0-9_.-]+$ ]] || { _gpiosim_err "bad chip name '${1-}'"; return 1; }
  [ -d "$GPIOSIM_CONFIGFS" ] ||
    { _gpiosim_err "$GPIOSIM_CONFIGFS missing: gpio-sim not loaded or configfs not mounted (not in the VM?)"; return 1; }
  printf '%s/%s\n' "$GPIOSIM_CONFIGFS" "$1"
}

_gpiosim_live_dir() {
  local c; c=$(_gpiosim_dir "$1") || return 1
  [ "$(cat "$c/live" 2>/dev/null)" = 1 ] || { _gpiosim_err "no live chip '$1'"; return 1; }
  printf '%s\n' "$c"
}

# gpiosim_chip NAME -> gpiochipN
gpiosim_chip() {
  local c; c=$(_gpiosim_live_dir "${1-}") || return 1
  cat "$c/gpio-bank0/chip_name"
}

# gpiosim_dev NAME -> /dev/gpiochipN
gpiosim_dev() {
  local chip; chip=$(gpiosim_chip "${1-}") || return 1
  printf '/dev/%s\n' "$chip"
}

# gpiosim_sysfs NAME -> /sys/devices/platform/gpio-sim.X/gpiochipN (holds sim_gpioK/{pull,value})
gpiosim_sysfs() {
  local c chip; c=$(_gpiosim_live_dir "${1-}") || return 1
  chip=$(cat "$c/gpio-bank0/chip_name") || return 1
  printf '/sys/devices/platform/%s/%s\n' "$(cat "$c/dev_name")" "$chip"
}

# gpiosim_create NAME LABEL NUM_LINES ["OFFSET:LINENAME ..."]
# Prints "/dev/gpiochipN SYSFS_DIR" on one line. An empty LABEL keeps gpio-sim's default label.
# Line names must not contain whitespace (the list is whitespace-separated).
gpiosim_create() {
  local name=${1-} label=${2-} num=${3-} spec=${4-} c
  [ $# -ge 3 ] || { _gpiosim_err "usage: gpiosim_create NAME LABEL NUM_LINES [\"OFF:NAME ...\"]"; return 1; }
  c=$(_gpiosim_dir "$name") || return 1
  [ ! -e "$c" ] || { _gpiosim_err "chip '$name' already exists"; return 1; }
  [[ $num =~ ^[1-9][0-9]*$ ]] || { _gpiosim_err "bad NUM_LINES '$num'"; return 1; }
  mkdir "$c" || return 1
  # From here on a failure removes the half-made chip, so it cannot leak into the next test.
  if ! _gpiosim_configure "$c" "$label" "$num" "$spec"; then
    gpiosim_destroy "$name" 2>/dev/null
    return 1
  fi
  printf '%s %s\n' "$(gpiosim_dev "$name")" "$(gpiosim_sysfs "$name")"
}

_gpiosim_configure() {
  local c=$1 label=$2 num=$3 spec=$4 b=$1/gpio-bank0 item off lname chip sys i
  mkdir "$b" || return 1
  echo "$num" > "$b/num_lines" || return 1
  if [ -n "$label" ]; then echo "$label" > "$b/label" || return 1; fi
  for item in $spec; do
    off=${item%%:*} lname=${item#*:}
    if ! [[ $item == *:* && $off =~ ^[0-9]+$ && -n $lname ]] || ((10#$off >= num)); then
      _gpiosim_err "bad line spec '$item' (want OFFSET:NAME, OFFSET < $num)"; return 1
    fi
    mkdir "$b/line$off" && echo "$lname" > "$b/line$off/name" || return 1
  done
  echo 1 > "$c/live" || { _gpiosim_err "could not make '$c' live"; return 1; }
  chip=$(cat "$b/chip_name") && sys=/sys/devices/platform/$(cat "$c/dev_name")/$chip || return 1
  # Registration is synchronous in 6.1; the wait only guards against a slower devtmpfs/sysfs.
  for ((i = 0; i < 50; i++)); do
    [ -c "/dev/$chip" ] && [ -e "$sys/sim_gpio$((num - 1))/pull" ] && return 0
    sleep 0.1
  done
  _gpiosim_err "/dev/$chip or $sys/sim_gpio* did not appear"
}

# gpiosim_pull NAME OFFSET [up|down|pull-up|pull-down]: set the simulated pull (drives an input),
# or with no third argument print the current one.
gpiosim_pull() {
  local sys f
  [ $# -ge 2 ] || { _gpiosim_err "usage: gpiosim_pull NAME OFFSET [up|down]"; return 1; }
  sys=$(gpiosim_sysfs "$1") || return 1
  f=$sys/sim_gpio$2/pull
  [[ $2 =~ ^[0-9]+$ && -e $f ]] || { _gpiosim_err "chip '$1' has no line '$2'"; return 1; }
  case ${3-} in
    "") cat "$f";;
    up|pull-up) echo pull-up > "$f";;
    down|pull-down) echo pull-down > "$f";;
    *) _gpiosim_err "bad pull '$3' (up|down)"; return 1;;
  esac
}

# gpiosim_value NAME OFFSET -> 0|1: the level the line is at (for an output: what the user drives).
gpiosim_value() {
  local sys f
  [ $# -eq 2 ] || { _gpiosim_err "usage: gpiosim_value NAME OFFSET"; return 1; }
  sys=$(gpiosim_sysfs "$1") || return 1
  f=$sys/sim_gpio$2/value
  [[ $2 =~ ^[0-9]+$ && -e $f ]] || { _gpiosim_err "chip '$1' has no line '$2'"; return 1; }
  cat "$f"
}

# gpiosim_destroy NAME: take the chip offline and remove its configfs tree (configfs wants rmdir
# bottom-up: hogs, lines, banks, chip). Lines still requested by a process do not block this.
gpiosim_destroy() {
  local c b l
  c=$(_gpiosim_dir "${1-}") || return 1
  [ -d "$c" ] || { _gpiosim_err "no chip '$1'"; return 1; }
  if [ "$(cat "$c/live")" = 1 ]; then echo 0 > "$c/live" || return 1; fi
  for b in "$c"/*/; do
    [ -d "$b" ] || continue                       # no match: the glob stays literal
    for l in "$b"*/; do
      [ -d "$l" ] || continue
      if [ -d "$l/hog" ]; then rmdir "$l/hog" || return 1; fi
      rmdir "$l" || return 1
    done
    rmdir "$b" || return 1
  done
  rmdir "$c"
}

# gpiosim_destroy_all: remove every gpio-sim chip (cleanup trap); returns non-zero if any failed.
gpiosim_destroy_all() {
  local c rc=0
  [ -d "$GPIOSIM_CONFIGFS" ] || return 0
  for c in "$GPIOSIM_CONFIGFS"/*/; do
    [ -d "$c" ] || continue
    c=${c%/}
    gpiosim_destroy "${c##*/}" || rc=1
  done
  return $rc
}

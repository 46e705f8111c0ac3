# shellcheck shell=bash
# Chroots for the other targets (Debian 13 trixie; arm64 by Debian's cross-building route; foreign
# arm64 roots run through qemu-user), made with debootstrap from this machine's Debian mirror and
# cached in $GPIO2MQTT_PLATFORM_CACHE (default /var/cache/gpio2mqtt-test). Sourced after
# scripts/lib/common.sh, by tests/platforms/*.sh and scripts/package; as root.
#
#   platform_root NAME SUITE [ARCH [--foreign]]   $cache/NAME, made once, refreshed once a day
#   platform_install ROOT PACKAGES...            apt-get install what is missing in ROOT
#   platform_mount ROOT / platform_unmount ROOT   proc, sys, dev, dev/pts and this source tree at
#                                                 its own path; platform_unmount_all at exit
#   in_platform ROOT COMMAND...                   runs COMMAND in ROOT (cwd /, C.UTF-8, no prompts)
#   platform_binfmt ARCH                          lets the kernel run ARCH binaries through
#                                                 qemu-user until platform_binfmt_release (at exit)
#   platform_copy_tree DEST                       this tree's files (tracked and new) into DEST
#   platform_ccache ROOT                          compiles in ROOT go through ccache, its cache
#                                                 kept in $GPIO2MQTT_CCACHE_DIR/<ROOT's name>
#   platform_prepare ROOT PACKAGES...             platform_install, platform_mount, platform_ccache
#   platform_build ROOT DIR [CMAKE ARGS...]       configures and builds this tree in DIR, in ROOT
#   platform_vm_root ROOT                         ROOT ready to be the gpio-sim VM's root (VMRUN_ROOT)
#
# Talks to Debian's apt repositories only. Several runs may share the cache: each root has a lock.

PLATFORM_CACHE=${GPIO2MQTT_PLATFORM_CACHE:-/var/cache/gpio2mqtt-test}
PLATFORM_MOUNTED=()
PLATFORM_BINFMT_LOCK=
declare -A PLATFORM_LOCKS=()  # root name -> the fd holding its lock
declare -A PLATFORM_CCACHE=()  # roots whose compiles go through ccache (platform_ccache)

# The Debian mirror and security repository this machine's apt uses (deb.debian.org otherwise).
platform_mirrors() {
  [ -n "${PLATFORM_MIRROR:-}" ] && return 0
  local site release
  PLATFORM_MIRROR= PLATFORM_SECURITY=
  while read -r site release; do
    case $site in *.debian.org/*|*://debian.org/*) ;; *) continue;; esac
    case $release in
      *-security) PLATFORM_SECURITY=${PLATFORM_SECURITY:-${site%/}};;
      *-*) ;;
      *) PLATFORM_MIRROR=${PLATFORM_MIRROR:-${site%/}};;
    esac
  done < <(apt-get indextargets --format '$(SITE) $(RELEASE)' 2>/dev/null | sort -u)
  PLATFORM_MIRROR=${PLATFORM_MIRROR:-http://deb.debian.org/debian}
  PLATFORM_SECURITY=${PLATFORM_SECURITY:-http://deb.debian.org/debian-security}
}

# platform_sources SUITE: a deb822 sources file for SUITE, SUITE-updates and SUITE-security.
platform_sources() {
  platform_mirrors
  printf 'Types: deb\nURIs: %s\nSuites: %s %s-updates\nComponents: main\nSigned-By: %s\n\n' \
    "$PLATFORM_MIRROR" "$1" "$1" /usr/share/keyrings/debian-archive-keyring.gpg
  printf 'Types: deb\nURIs: %s\nSuites: %s-security\nComponents: main\nSigned-By: %s\n' \
    "$PLATFORM_SECURITY" "$1" /usr/share/keyrings/debian-archive-keyring.gpg
}

in_platform() {
  local root=$1 path=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin cache=(); shift
  if [ -n "${PLATFORM_CCACHE[$root]:-}" ]; then
    path=/usr/lib/ccache:$path
    cache=(CCACHE_DIR=/var/cache/gpio2mqtt-ccache CCACHE_BASEDIR="$GPIO2MQTT_ROOT" CCACHE_NOHASHDIR=true
           CCACHE_MAXSIZE=2G)
  fi
  chroot "$root" /usr/bin/env -i PATH="$path" HOME=/root LANG=C.UTF-8 LC_ALL=C.UTF-8 \
    DEBIAN_FRONTEND=noninteractive ${QEMU_CPU:+QEMU_CPU=$QEMU_CPU} "${cache[@]}" "$@"
}

# platform_ccache ROOT: from now on compiles in ROOT (cmake's and dpkg-buildpackage's, native and
# cross) go through ccache, installed there, by its compiler names in /usr/lib/ccache; the cache
# lives outside the root in $GPIO2MQTT_CCACHE_DIR/<ROOT's name> (scripts/lib/common.sh says why).
platform_ccache() {
  local root=$1 dir
  compiler_cache_enabled || return 0
  platform_install "$root" ccache
  in_platform "$root" update-ccache-symlinks  # for the cross compilers installed before it
  dir=$GPIO2MQTT_CCACHE_DIR/$(basename "$root")
  mkdir -p "$dir" "$root/var/cache/gpio2mqtt-ccache"
  mountpoint -q "$root/var/cache/gpio2mqtt-ccache" || mount --bind "$dir" "$root/var/cache/gpio2mqtt-ccache"
  PLATFORM_MOUNTED+=("$root")
  PLATFORM_CCACHE[$root]=1
}

# platform_prepare ROOT PACKAGES...: ROOT with PACKAGES installed, mounted (platform_mount) and
# compiling through ccache: what a build in ROOT needs (tests/platforms/trixie.sh, scripts/bench).
platform_prepare() {
  local root=$1; shift
  mountpoint -q "$root/proc" || mount -t proc proc "$root/proc"  # for the packages' scripts
  platform_install "$root" "$@" || { umount "$root/proc"; return 1; }
  umount "$root/proc"
  platform_mount "$root"
  platform_ccache "$root"
}

# platform_build ROOT DIR [CMAKE ARGS...]: cmake and ninja in ROOT (after platform_prepare), the
# output in DIR.log: its last lines on failure, else the libraries CMake found.
platform_build() {
  local root=$1 dir=$2; shift 2
  mkdir -p "$dir"
  if ! { in_platform "$root" cmake -S "$GPIO2MQTT_ROOT" -B "$dir" -G Ninja "$@" &&
         in_platform "$root" ninja -C "$dir"; } > "$dir.log" 2>&1; then
    tail -60 "$dir.log"
    return 1
  fi
  grep 'gpio2mqtt:' "$dir.log" | sed 's/^-- /  /'  # the libgpiod and sdbus-c++ it found
}

# platform_vm_root ROOT: after platform_prepare, ROOT as tests/kernel/vm/vmrun.sh boots it
# (VMRUN_ROOT, read-only): only the tree stays bind-mounted in there, so a build directory is
# where it is on the host; the guest mounts its own proc, sys and dev. The VM cache (the test
# modules: pwm-sim, the IIO ones, where the kernel tests look for them) is bound in at its path.
platform_vm_root() {
  local root=$1 m vm_cache=${GPIO2MQTT_VM_CACHE:-/var/cache/gpio2mqtt-vm}
  for m in dev/pts dev sys proc; do ! mountpoint -q "$root/$m" || umount "$root/$m"; done
  mkdir -p "$root$vm_cache"
  mountpoint -q "$root$vm_cache" || mount --bind "$vm_cache" "$root$vm_cache"
}

platform_apt() {
  local root=$1; shift
  in_platform "$root" apt-get -q -y -o Dpkg::Use-Pty=0 -o APT::Install-Recommends=false "$@"
}

# platform_install ROOT PACKAGES...: installs those not installed yet (names may carry :arch).
platform_install() {
  local root=$1 missing=() p; shift
  for p in "$@"; do
    in_platform "$root" dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' ||
      missing+=("$p")
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  log "in $(basename "$root"): apt-get install ${missing[*]}"
  platform_apt "$root" install "${missing[@]}" > "$root/var/log/gpio2mqtt-install.log" 2>&1 ||
    { tail -30 "$root/var/log/gpio2mqtt-install.log"; return 1; }
}

# platform_binfmt ARCH: registers qemu-user (qemu-user-static, from Debian) for ARCH with
# binfmt_misc's F flag, so that binaries of ARCH run anywhere, chroots included. The entry is
# machine-wide: every run that uses it holds a shared lock, and the last one out removes it if one
# of them added it (platform_binfmt_release); an entry someone else made is left alone.
platform_binfmt() {
  local arch=$1 name
  case $arch in
    arm64) name=qemu-aarch64;;
    armhf) name=qemu-arm;;
    *) log "no qemu-user for $arch"; return 1;;
  esac
  ensure_packages qemu-user-static
  mkdir -p "$PLATFORM_CACHE"
  if [ -z "${PLATFORM_BINFMT_LOCK:-}" ]; then
    exec {PLATFORM_BINFMT_LOCK}>"$PLATFORM_CACHE/.binfmt.lock"
  fi
  flock -x "$PLATFORM_BINFMT_LOCK"
  [ -e /proc/sys/fs/binfmt_misc/register ] || mount -t binfmt_misc binfmt_misc /proc/sys/fs/binfmt_misc
  if [ ! -e "/proc/sys/fs/binfmt_misc/$name" ]; then
    # The package's own entry (magic, mask, interpreter, flags) with the F flag (Debian's has it):
    # the interpreter is opened now, so it need not exist inside the chroots.
    local conf=/usr/lib/binfmt.d/$name.conf entry
    [ -f "$conf" ] || { log "$conf missing (qemu-user-static)"; flock -s "$PLATFORM_BINFMT_LOCK"; return 1; }
    entry=$(grep -v '^#' "$conf" | head -1)
    case ${entry##*:} in *F*) ;; *) entry=${entry}F;; esac
    printf '%s' "$entry" > /proc/sys/fs/binfmt_misc/register
    touch "$PLATFORM_CACHE/.binfmt-added-$name"
  fi
  flock -s "$PLATFORM_BINFMT_LOCK"
}

platform_binfmt_release() {
  [ -n "${PLATFORM_BINFMT_LOCK:-}" ] || return 0
  if flock -xn "$PLATFORM_BINFMT_LOCK"; then  # no other run uses the entries now
    local added name
    for added in "$PLATFORM_CACHE"/.binfmt-added-*; do
      [ -e "$added" ] || continue
      name=${added##*/.binfmt-added-}
      [ -e "/proc/sys/fs/binfmt_misc/$name" ] && echo -1 > "/proc/sys/fs/binfmt_misc/$name"
      rm -f "$added"
    done
  fi
  exec {PLATFORM_BINFMT_LOCK}>&-
  PLATFORM_BINFMT_LOCK=
}

platform_mount() {
  local root=$1
  mountpoint -q "$root/proc" || mount -t proc proc "$root/proc"
  mountpoint -q "$root/sys" || mount -t sysfs sysfs "$root/sys"
  mountpoint -q "$root/dev" || mount --bind /dev "$root/dev"
  mountpoint -q "$root/dev/pts" || mount --bind /dev/pts "$root/dev/pts"
  mkdir -p "$root$GPIO2MQTT_ROOT"
  mountpoint -q "$root$GPIO2MQTT_ROOT" || mount --bind "$GPIO2MQTT_ROOT" "$root$GPIO2MQTT_ROOT"
  PLATFORM_MOUNTED+=("$root")
}

# Unmounts everything below ROOT, deepest first.
platform_unmount() {
  local root m
  root=$(realpath "$1")
  for m in $(findmnt -rn -o TARGET | grep -F "$root/" | sort -r); do
    umount "$m" 2>/dev/null || umount -l "$m" || true
  done
}

platform_unmount_all() {
  local root
  for root in "${PLATFORM_MOUNTED[@]}"; do platform_unmount "$root"; done
  PLATFORM_MOUNTED=()
  PLATFORM_CCACHE=()
}

# platform_root NAME SUITE [ARCH [--foreign]]: sets PLATFORM_ROOT to $cache/NAME, a minbase
# debootstrap of SUITE for ARCH (default: this machine's) made once; --foreign for an ARCH this
# machine cannot run itself (its second stage runs through qemu-user: platform_binfmt first).
# Its package lists are refreshed and its packages upgraded once a day. Holds the root's lock
# until the caller exits.
platform_root() {
  local name=$1 suite=$2 arch=${3:-$(dpkg --print-architecture)} foreign=${4:-}
  local root=$PLATFORM_CACHE/$name log_file lock
  PLATFORM_ROOT=$root
  mkdir -p "$PLATFORM_CACHE"
  if [ -z "${PLATFORM_LOCKS[$name]:-}" ]; then
    exec {lock}>"$PLATFORM_CACHE/.$name.lock"
    flock -n "$lock" || { log "waiting for another run that uses $name"; flock "$lock"; }
    PLATFORM_LOCKS[$name]=$lock
  fi
  platform_unmount "$root" 2>/dev/null || true   # a run that was killed may have left mounts
  log_file=$PLATFORM_CACHE/.$name.log
  if [ ! -f "$root/.complete" ]; then
    platform_mirrors
    ensure_packages debootstrap
    log "debootstrap $suite ($arch${foreign:+, foreign}) from $PLATFORM_MIRROR into $root (cached)"
    rm -rf "$root.new"
    local args=(--variant=minbase --arch="$arch")
    [ -n "$foreign" ] && args+=(--foreign)
    debootstrap "${args[@]}" "$suite" "$root.new" "$PLATFORM_MIRROR" > "$log_file" 2>&1 ||
      { tail -30 "$log_file"; return 1; }
    if [ -n "$foreign" ]; then
      chroot "$root.new" /debootstrap/debootstrap --second-stage >> "$log_file" 2>&1 ||
        { tail -30 "$log_file"; return 1; }
    fi
    platform_sources "$suite" > "$root.new/etc/apt/sources.list.d/debian.sources"
    rm -f "$root.new/etc/apt/sources.list"
    printf '#!/bin/sh\nexit 101\n' > "$root.new/usr/sbin/policy-rc.d"  # no daemons start in here
    chmod 755 "$root.new/usr/sbin/policy-rc.d"
    rm -rf "$root"
    mv "$root.new" "$root"
    touch -d @0 "$root/.complete"
  fi
  if [ -n "$(find "$root/.complete" -mmin +1440)" ]; then
    log "in $name: apt-get update and upgrade (once a day)"
    mount -t proc proc "$root/proc"
    local rc=0
    # A foreign root (every program emulated) only gets its package lists: it is copied afresh to
    # install the package into, and upgrading it under qemu-user would cost minutes a day.
    { platform_apt "$root" update && { [ -n "$foreign" ] || platform_apt "$root" dist-upgrade; } &&
      platform_apt "$root" clean; } > "$log_file" 2>&1 || rc=$?
    umount "$root/proc"
    [ $rc -eq 0 ] || { tail -30 "$log_file"; return 1; }
    touch "$root/.complete"
  fi
}

# platform_copy_tree DEST: this tree's files, tracked and new but not ignored, when it is a git
# checkout; else all of it but build directories.
platform_copy_tree() {
  local dest=$1
  rm -rf "$dest"
  mkdir -p "$dest"
  if git -C "$GPIO2MQTT_ROOT" rev-parse --git-dir >/dev/null 2>&1; then
    (cd "$GPIO2MQTT_ROOT" && git ls-files -z -c -o --exclude-standard |
      xargs -0 -I{} sh -c '[ -e "$1" ] && printf "%s\0" "$1"' _ {} |
      tar --null -T - -cf -) | tar -xf - -C "$dest"
  else
    tar -C "$GPIO2MQTT_ROOT" --exclude='./build*' --exclude='./out' --exclude='./obj-*' -cf - . | tar -xf - -C "$dest"
  fi
}

# platform_timer NAME: logs how long the previous step took, then starts timing NAME; appends
# "step seconds" to $PLATFORM_TIMES when set (scripts/test's summary).
platform_timer() {
  if [ -n "${platform_step:-}" ]; then
    local took=$((SECONDS - platform_step_started))
    printf '  (%s: %d s)\n' "$platform_step" "$took"
    [ -z "${PLATFORM_TIMES:-}" ] || printf '%s\t%d\n' "$platform_step" "$took" >> "$PLATFORM_TIMES"
  fi
  platform_step=${1:-} platform_step_started=$SECONDS
  [ -z "$platform_step" ] || log "$platform_step"
}

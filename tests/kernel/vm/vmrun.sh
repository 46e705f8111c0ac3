#!/bin/bash
# Usage: vmrun.sh [-w WORKDIR] [-t TIMEOUT_S] [-m MEM_MB] -- COMMAND [ARGS...]
#
# Runs COMMAND as root inside a throw-away qemu VM that has gpio-sim (the host kernel has no GPIO
# support at all). The VM boots Debian's 6.1 kernel built by build.sh (KVM on real VT-x/AMD-V, else
# TCG), uses the host's / read-only as its root (host-built, dynamically linked binaries and host
# packages such as gpiod/mosquitto run unchanged), shares WORKDIR read-write at the same path and
# starts COMMAND there. gpio-sim and configfs are loaded; loopback is up; there is no NIC.
#
# Environment variables named GPIO2MQTT_* or GTEST_* are exported to COMMAND in the guest (the
# guest environment is otherwise clean: PATH, HOME, TERM, LANG, VMRUN=1).
# COMMAND's stdout/stderr become vmrun.sh's stdout/stderr; kernel messages are kept out of both
# (shown only when the VM fails, or live on stderr with VMRUN_CONSOLE=1).
#
# Exit status: COMMAND's, or 125 when the VM itself failed (no status came back, timeout, build).
# Artefacts come from $GPIO2MQTT_VM_CACHE (default /var/cache/gpio2mqtt-vm); build.sh is run first if
# they are missing. VMRUN_ACCEL=kvm|tcg overrides the accelerator choice. VMRUN_ROOT=DIR boots DIR
# (e.g. a Debian 13 chroot with WORKDIR inside it at the same path) as the guest's root instead of /.
set -uo pipefail                        # no -e: qemu's failure must become 125, not a bare exit
D=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
CACHE=${GPIO2MQTT_VM_CACHE:-/var/cache/gpio2mqtt-vm}
OUT=$CACHE/out
usage() { echo "usage: $0 [-w WORKDIR] [-t TIMEOUT_S] [-m MEM_MB] -- COMMAND [ARGS...]" >&2; exit 125; }
WD='' TMO=600 MEM=1024
while getopts w:t:m:h o; do case $o in
  w) WD=$(realpath -e "$OPTARG") || { echo "vmrun: no such workdir '$OPTARG'" >&2; exit 125; };;
  t) TMO=$OPTARG;; m) MEM=$OPTARG;; *) usage;; esac; done
shift $((OPTIND-1)); [ "${1:-}" = -- ] && shift
[ $# -gt 0 ] || usage
[[ $TMO =~ ^[0-9]+$ && $MEM =~ ^[0-9]+$ ]] || usage
[ -d "${VMRUN_ROOT:-/}" ] || { echo "vmrun: VMRUN_ROOT '$VMRUN_ROOT' is no directory" >&2; exit 125; }
# The work dir travels on the kernel command line, which is split on whitespace.
case $WD in *[[:space:]]*) echo "vmrun: workdir must not contain whitespace" >&2; exit 125;; esac

# Build (or refresh the initramfs after a guest-init.sh edit) only when needed: --if-missing never
# re-downloads the kernel just because the Debian mirror has moved to a newer ABI.
INIT_SUM=$(sha256sum < "$D/guest-init.sh" | cut -d' ' -f1)
if [ ! -s "$OUT/stamp" ] || [ ! -s "$OUT/vmlinuz" ] || [ ! -s "$OUT/initramfs.cpio.gz" ] ||
   [ "$(cat "$OUT/init.sha256" 2>/dev/null)" != "$INIT_SUM" ] || ! command -v qemu-system-x86_64 >/dev/null ||
   [ ! -s "$OUT/iio/stamp" ]; then
  "$D/build.sh" --if-missing >&2 || { echo "vmrun: build.sh failed" >&2; exit 125; }
fi

# Control share: the command file goes in, the exit status comes out.
CTL=$(mktemp -d /tmp/vmrun.XXXXXX) || exit 125
CAT=
trap 'exec 3>&-; [ -z "$CAT" ] || kill "$CAT" 2>/dev/null; rm -rf "$CTL"' EXIT
mkdir "$CTL/share"                      # only this subdir is visible to the guest
{
  printf 'set -e\n'
  # Pass-through; %q keeps spaces, quotes and newlines intact through the guest's bash.
  while IFS= read -r v; do
    case $v in GPIO2MQTT_*|GTEST_*) printf 'export %s=%q\n' "$v" "${!v}";; esac
  done < <(compgen -e)
  printf '%q ' "$@"; printf '\n'
} > "$CTL/share/cmd"

# KVM only if it is real hardware virt (kvm_intel/kvm_amd). The build sandboxes' /dev/kvm is kvm_pvm,
# which runs only PVM-enlightened guest kernels: Debian's kernel hangs in its real-mode setup code.
ACCEL=${VMRUN_ACCEL:-auto}
if [ "$ACCEL" = auto ]; then
  ACCEL=tcg
  [ -w /dev/kvm ] && { [ -d /sys/module/kvm_intel ] || [ -d /sys/module/kvm_amd ]; } && ACCEL=kvm
fi
# shellcheck disable=SC2054  # commas are qemu option syntax here
if [ "$ACCEL" = kvm ]; then ACC=(-accel kvm -cpu host); else ACC=(-accel tcg,thread=multi -cpu max); fi
# The unpacked ELF kernel boots via PVH and skips ~5 s of xz decompression under TCG.
KERNEL=$OUT/vmlinux; [ -s "$KERNEL" ] || KERNEL=$OUT/vmlinuz

# Three serial ports keep the command's output clean:
#   ttyS0 console (kernel, /init) -> $CTL/console.log, shown on stderr only if the VM failed
#                                    (VMRUN_CONSOLE=1: live on stderr, kernel not quiet)
#   ttyS1 command stdout          -> our stdout
#   ttyS2 command stderr          -> FIFO -> cat -> our stderr. qemu does not open our fd 2 by path:
#                                    a second open file description would overwrite output under
#                                    '>log 2>&1'.
mkfifo "$CTL/err.in" "$CTL/err.out" || exit 125
# Holding the FIFO open read-write means cat's open never blocks (even if qemu never starts) and
# cat sees EOF only after both qemu and we have closed it.
exec 3<>"$CTL/err.out"
cat "$CTL/err.out" >&2 3>&- &          # 3>&-: cat must not hold the FIFO open itself
CAT=$!
QUIET="quiet loglevel=3"
CON=(-chardev "file,id=con,path=$CTL/console.log")
if [ -n "${VMRUN_CONSOLE:-}" ]; then CON=(-chardev "pipe,id=con,path=$CTL/err"); QUIET=; fi
SHARE=$CTL/share
# shellcheck disable=SC2054
ARGS=("${ACC[@]}" -smp "$(nproc)" -m "$MEM" -nodefaults -no-user-config -display none
      -monitor none -no-reboot -nic none
      "${CON[@]}" -serial chardev:con
      -chardev stdio,id=out,signal=off -serial chardev:out
      -chardev "pipe,id=err,path=$CTL/err" -serial chardev:err
      -kernel "$KERNEL" -initrd "$OUT/initramfs.cpio.gz"
      -virtfs "local,path=${VMRUN_ROOT:-/},mount_tag=hostroot,security_model=none,readonly=on,multidevs=remap"
      -virtfs "local,path=$SHARE,mount_tag=ctl,security_model=none")
# panic=-1 + -no-reboot: a guest panic ends qemu at once instead of waiting for the timeout.
# tsc=reliable no_timer_check: skip the clocksource watchdog and timer checks, which under TCG only
# cost boot time (~1-3 s) and may switch to a worse clocksource.
APPEND="console=ttyS0 $QUIET panic=-1 mitigations=off tsc=reliable no_timer_check"
if [ -n "$WD" ]; then
  ARGS+=(-virtfs "local,path=$WD,mount_tag=work,security_model=none,multidevs=remap")
  APPEND+=" vmrun.workdir=$WD"
fi
# In the background + wait, so that a TERM/INT/HUP sent to vmrun.sh alone (not its process group)
# still stops the VM: timeout relays the signal to qemu.
timeout --foreground -k 10 "$TMO" qemu-system-x86_64 "${ARGS[@]}" -append "$APPEND" </dev/null 3>&- &
QEMU=$!
trap 'kill -TERM "$QEMU" 2>/dev/null' TERM INT HUP
wait "$QEMU"; q=$?
while kill -0 "$QEMU" 2>/dev/null; do wait "$QEMU"; q=$?; done   # wait was cut short by a signal
exec 3>&-
wait "$CAT"; CAT=
[ $q = 124 ] && echo "vmrun: timed out after ${TMO}s" >&2
if [ ! -s "$SHARE/rc" ]; then
  echo "vmrun: no exit status from guest (qemu rc=$q); console:" >&2
  tail -n 40 "$CTL/console.log" 2>/dev/null | sed 's/^/vmrun|  /' >&2
  exit 125
fi
exit "$(cat "$SHARE/rc")"

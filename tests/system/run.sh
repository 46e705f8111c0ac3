#!/usr/bin/env bash
# The package as users run it: boots Debian with systemd as PID 1 in qemu on the project's gpio-sim
# kernel, installs the .deb there with apt as the README says, starts the unit with systemctl and
# checks it from the outside (MQTT, D-Bus, gpio-sim, the journal) and from inside its sandbox.
#
#   tests/system/run.sh SUITE DEB        e.g. tests/system/run.sh bookworm ../gpio2mqtt_0.1.0_amd64.deb
#
# Prints one "check: result" line per check (checks.sh), the boot time and the total time; exits 1
# when a check failed, 125 when the VM did not report. As root (debootstrap, chroot, mkfs).
#
# Cached, like the chroots of tests/platforms, in $GPIO2MQTT_PLATFORM_CACHE (/var/cache/gpio2mqtt-test):
#   system-SUITE-HASH/          debootstrap root with systemd, udev, dbus, mosquitto, gpiod, ...
#                               (HASH: of the package list), refreshed once a day (platform_root),
#                               plus the .deb's dependencies in its apt cache: the VM has no network
#   system-SUITE-HASH.ext4      that root as a disk image (mkfs.ext4 -d), remade when it changed;
#                               booted with -snapshot, so it stays clean
# and in $GPIO2MQTT_VM_CACHE (/var/cache/gpio2mqtt-vm): the kernel and gpio-sim module of
# tests/kernel/vm/build.sh, and system-initramfs.cpio.gz (init.sh plus the modules it loads).
# GPIO2MQTT_SYSTEM_KEEP=1 keeps the work directory (journal, console log).
set -euo pipefail
GPIO2MQTT_ROOT=$(cd "$(dirname "$0")/../.." && pwd)
HERE=$GPIO2MQTT_ROOT/tests/system
. "$GPIO2MQTT_ROOT/scripts/lib/common.sh"
. "$GPIO2MQTT_ROOT/tests/platforms/lib.sh"
. "$GPIO2MQTT_ROOT/tests/package/lib.sh"

[ $# -eq 2 ] || { echo "usage: $0 bookworm|trixie DEB" >&2; exit 2; }
suite=$1 deb=$(realpath -e "$2")
[ "$(id -u)" -eq 0 ] || exec sudo -E "$0" "$@"
started=$SECONDS
VM_CACHE=${GPIO2MQTT_VM_CACHE:-/var/cache/gpio2mqtt-vm}

# What the booted system has besides minbase: the init system and the services the package talks
# to, the tools the README's steps and the checks use.
PACKAGES=(systemd systemd-sysv udev dbus mosquitto mosquitto-clients gpiod procps)

work=$(mktemp -d /tmp/gpio2mqtt-system.XXXXXX)
trap 'platform_unmount_all; if [ "${GPIO2MQTT_SYSTEM_KEEP:-0}" = 1 ]; then log "kept $work"; else rm -rf "$work"; fi' EXIT

# --- kernel, gpio-sim and an initramfs that boots a disk image with systemd -----------------------
platform_timer "kernel and initramfs"
"$GPIO2MQTT_ROOT/tests/kernel/vm/build.sh" --if-missing >&2
kout=$VM_CACHE/out
kabi=$(cut -d' ' -f1 "$kout/stamp") kver=$(cut -d' ' -f2 "$kout/stamp")
# Modules the disk root needs beyond those build.sh keeps (virtio, 9p, configfs, gpio-sim).
EXTRA_MODULES="virtio_blk crc32c_generic crc16 mbcache jbd2 ext4 autofs4"
initrd=$VM_CACHE/out/system-initramfs.cpio.gz
initrd_key=$( (cat "$kout/stamp" "$HERE/init.sh" "$0"; echo "$EXTRA_MODULES") | sha256sum | cut -c1-16)
if [ "$(cat "$initrd.key" 2>/dev/null)" != "$initrd_key" ] || [ ! -s "$initrd" ]; then
  i=$work/initramfs; mkdir -p "$i"/{bin,dev,proc,sys,newroot,lib/modules}
  image_deb=$(compgen -G "$VM_CACHE/dl/linux-image-${kabi}_${kver}_*.deb" | head -1)
  mkdir "$work/kmods"
  dpkg-deb --fsys-tarfile "$image_deb" | tar -x -C "$work/kmods" ./lib/modules
  for m in $EXTRA_MODULES; do
    f=$(find "$work/kmods" -name "$m.ko" | head -1)
    [ -n "$f" ] || { log "module $m.ko not in $image_deb"; exit 1; }
    cp "$f" "$i/lib/modules/"
  done
  rm -rf "$work/kmods"
  cp "$kout"/modules/*.ko "$kout/gpio-sim.ko" "$i/lib/modules/"
  cp /bin/busybox "$i/bin/busybox"; ln -s busybox "$i/bin/sh"
  cp "$HERE/init.sh" "$i/init"; chmod 755 "$i/init"
  (cd "$i" && find . | busybox cpio -o -H newc 2>/dev/null | gzip -1 > "$initrd.new")
  mv "$initrd.new" "$initrd"; echo "$initrd_key" > "$initrd.key"
  rm -rf "$i"
fi

# --- the root: debootstrap (cached per package list), the test's units, the .deb's dependencies ----
platform_timer "$suite root"
root_name=system-$suite-$(echo "${PACKAGES[*]}" | sha256sum | cut -c1-12)
platform_root "$root_name" "$suite"
root=$PLATFORM_ROOT
platform_mount "$root"
platform_install "$root" "${PACKAGES[@]}"
# The .deb's dependencies into the root's apt cache (not installed): apt in the VM resolves them
# from the .deb's Depends as on any board, without a network.
cp "$deb" "$root/tmp/"
platform_apt "$root" install --download-only "/tmp/$(basename "$deb")" > "$work/deps.log" 2>&1 ||
  { tail -20 "$work/deps.log"; exit 1; }
rm -f "$root/tmp/$(basename "$deb")"
platform_unmount "$root"
lib=$root/usr/local/lib/gpio2mqtt-system-test
mkdir -p "$lib" "$root/mnt/work"
install -m 755 "$HERE/guest/gpiosim-rpi" "$lib/"
install -m 644 "$GPIO2MQTT_ROOT/tests/kernel/vm/gpiosim.sh" "$lib/"
install -m 644 "$HERE/guest/gpiosim-rpi.service" "$HERE/guest/system-test.service" "$root/etc/systemd/system/"
install -m 644 "$HERE/guest/fstab" "$root/etc/fstab"
mkdir -p "$root/etc/systemd/system/sysinit.target.wants" "$root/etc/systemd/system/multi-user.target.wants"
ln -sf ../gpiosim-rpi.service "$root/etc/systemd/system/sysinit.target.wants/"
ln -sf ../system-test.service "$root/etc/systemd/system/multi-user.target.wants/"
echo raspberrypi > "$root/etc/hostname"
# debootstrap writes no /etc/hosts; Debian's installer and Raspberry Pi OS images do, and the
# package's example config names mqtt://localhost (without the file: "cannot resolve localhost").
printf '127.0.0.1\tlocalhost\n127.0.1.1\traspberrypi\n::1\tlocalhost ip6-localhost ip6-loopback\n' > "$root/etc/hosts"
# A machine id, as an installed system has: without one systemd treats every boot as the first.
[ -s "$root/etc/machine-id" ] && ! grep -q uninitialized "$root/etc/machine-id" ||
  od -An -N16 -tx1 /dev/urandom | tr -d ' \n' > "$root/etc/machine-id"
# The serial console is run.sh's log, not a login prompt.
ln -sf /dev/null "$root/etc/systemd/system/serial-getty@ttyS0.service"

platform_timer "disk image"
img=$root.ext4
img_key=$( (stat -c '%Y' "$root/.complete"; ls "$root/var/cache/apt/archives";
  cat "$HERE"/guest/* "$GPIO2MQTT_ROOT/tests/kernel/vm/gpiosim.sh" "$root/etc/hosts") | sha256sum | cut -c1-16)
if [ "$(cat "$img.key" 2>/dev/null)" != "$img_key" ] || [ ! -s "$img" ]; then
  rm -f "$img.new"
  truncate -s 3G "$img.new"
  mkfs.ext4 -q -F -L root -d "$root" "$img.new"
  mv "$img.new" "$img"; echo "$img_key" > "$img.key"
fi

# --- the work share: the .deb as the user built it, a newer version of it, the checks ------------
version=$(dpkg-deb -f "$deb" Version)
cp "$deb" "$work/"
repack_newer_version "$deb" "$version+systemtest1" "$work/newer"
cp "$HERE/checks.sh" "$GPIO2MQTT_ROOT/tests/kernel/vm/gpiosim.sh" "$work/"

# --- boot --------------------------------------------------------------------------------------
platform_timer "boot and checks in the VM"
ACCEL=${VMRUN_ACCEL:-auto}
if [ "$ACCEL" = auto ]; then  # as vmrun.sh: KVM only on real VT-x/AMD-V, not the sandboxes' PVM
  ACCEL=tcg
  [ -w /dev/kvm ] && { [ -d /sys/module/kvm_intel ] || [ -d /sys/module/kvm_amd ]; } && ACCEL=kvm
fi
if [ "$ACCEL" = kvm ]; then acc=(-accel kvm -cpu host); else acc=(-accel tcg,thread=multi -cpu max); fi
kernel=$kout/vmlinux; [ -s "$kernel" ] || kernel=$kout/vmlinuz
vm_started=$SECONDS
rc=0
timeout --foreground -k 10 "${GPIO2MQTT_SYSTEM_TIMEOUT:-1200}" qemu-system-x86_64 "${acc[@]}" \
  -smp "$(nproc)" -m 1536 -nodefaults -no-user-config -display none -monitor none -no-reboot -nic none \
  -chardev "file,id=con,path=$work/console.log" -serial chardev:con \
  -chardev stdio,id=out,signal=off -serial chardev:out \
  -drive "file=$img,if=virtio,format=raw,snapshot=on" \
  -virtfs "local,path=$work,mount_tag=work,security_model=none,multidevs=remap" \
  -kernel "$kernel" -initrd "$initrd" \
  -append "console=ttyS0 quiet loglevel=3 panic=-1 mitigations=off tsc=reliable no_timer_check systemd.show_status=0" \
  </dev/null | tr -d '\r' || rc=${PIPESTATUS[0]}   # the guest's tty turns \n into \r\n
platform_timer
[ $rc -eq 124 ] && log "the VM timed out"
printf 'system test %s: VM %d s, all %d s\n' "$suite" $((SECONDS - vm_started)) $((SECONDS - started))
if [ ! -s "$work/result" ]; then
  log "no result from the VM (qemu rc=$rc); console:"
  tail -40 "$work/console.log" | sed 's/^/  | /' >&2
  exit 125
fi
cp "$work/report.txt" "${GPIO2MQTT_SYSTEM_REPORT:-/dev/null}" 2>/dev/null || true
exit "$(cat "$work/result")"

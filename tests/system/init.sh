#!/bin/sh
# /init of the system test's initramfs (busybox sh; run.sh builds it). Debian's kernel has ext4,
# virtio-blk, 9p and gpio-sim as modules and the image has no /lib/modules of its kernel, so they
# are loaded here (in dependency order: no modules.dep), then the disk image becomes / and systemd
# starts as PID 1. gpio-sim is loaded now so that the image's oneshot unit can make the chip.
/bin/busybox --install -s /bin
export PATH=/bin
mount -t proc proc /proc; mount -t sysfs sysfs /sys; mount -t devtmpfs devtmpfs /dev
for m in virtio_ring virtio virtio_pci_modern_dev virtio_pci_legacy_dev virtio_pci virtio_blk \
         crc32c_generic crc16 mbcache jbd2 ext4 9pnet 9pnet_virtio netfs fscache 9p configfs \
         autofs4 gpio-sim; do
  insmod /lib/modules/$m.ko || echo "system-test init: insmod $m failed"
done
fail() { echo "system-test init: $*"; poweroff -f; }
mount -t ext4 -o rw /dev/vda /newroot || fail "cannot mount /dev/vda"
# The cached root keeps a policy-rc.d so that no daemon starts while it is made and upgraded in a
# chroot on the host; the booted system must start them like any Debian. qemu runs with -snapshot:
# the image itself is unchanged.
rm -f /newroot/usr/sbin/policy-rc.d
umount /proc /sys /dev
exec switch_root /newroot /lib/systemd/systemd

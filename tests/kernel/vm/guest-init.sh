#!/bin/sh
# /init of the initramfs built by build.sh; busybox sh, not bash (the initramfs has no libc).
# 1. loads virtio/9p/configfs/gpio-sim (insmod in dependency order: the kernel .deb has no modules.dep),
# 2. mounts the host's / read-only over virtio-9p as the new root, with tmpfs on the dirs that must be
#    writable, the control share (rw) at /run/vmrun and the optional work share (rw) at its host path,
# 3. runs /run/vmrun/cmd (written by vmrun.sh) with bash in a chroot, as root, cwd = the work dir,
# 4. stores its exit status in /run/vmrun/rc and powers off. vmrun.sh reports 125 if rc is missing.
/bin/busybox --install -s /bin
export PATH=/bin
mount -t proc proc /proc; mount -t sysfs sysfs /sys; mount -t devtmpfs devtmpfs /dev
for m in virtio_ring virtio virtio_pci_modern_dev virtio_pci_legacy_dev virtio_pci \
         9pnet 9pnet_virtio netfs fscache 9p configfs gpio-sim; do
  insmod /lib/modules/$m.ko || echo "vmrun: insmod $m failed"
done
# vmrun.sh passes the work dir on the kernel command line (it has no spaces; vmrun.sh checks).
WD=
# shellcheck disable=SC2013  # words are wanted: the command line is space-separated
for a in $(cat /proc/cmdline); do case $a in vmrun.workdir=*) WD=${a#vmrun.workdir=};; esac; done
O=trans=virtio,version=9p2000.L,msize=262144
R=/newroot
fail() { echo "vmrun: $*"; poweroff -f; }
# cache=loose: the host root is read-only for the guest's lifetime, so caching it is safe and fast.
mount -t 9p -o ro,cache=loose,$O hostroot $R || fail "cannot mount host root"
mount -t proc proc $R/proc; mount -t sysfs sysfs $R/sys; mount -t devtmpfs devtmpfs $R/dev
mkdir -p $R/dev/pts $R/dev/shm; mount -t devpts devpts $R/dev/pts; mount -t tmpfs tmpfs $R/dev/shm
# devtmpfs lacks the links udev would add; bash's <(...) and /dev/stderr need them.
ln -s /proc/self/fd $R/dev/fd
for i in 0:stdin 1:stdout 2:stderr; do ln -s /proc/self/fd/${i%%:*} $R/dev/${i#*:}; done
# gpio-sim is configured through configfs (see gpiosim.sh)
mount -t configfs configfs $R/sys/kernel/config || fail "cannot mount configfs"
mount -t debugfs debugfs $R/sys/kernel/debug 2>/dev/null
# Writable scratch dirs; the root itself stays read-only so a test can never change the host.
for d in tmp run var/tmp root; do mount -t tmpfs -o mode=1777 tmpfs $R/$d; done
chmod 755 $R/run $R/root
mkdir -p $R/run/vmrun $R/run/lock
# cache=none on the rw shares: the host must see results (rc, test reports) as soon as written.
mount -t 9p -o $O,cache=none ctl $R/run/vmrun || fail "cannot mount control share"
# mkdir after the tmpfs mounts: WD may be under /tmp etc., which are tmpfs in the guest now
if [ -n "$WD" ]; then
  mkdir -p "$R$WD"; mount -t 9p -o $O,cache=none work "$R$WD" || fail "cannot mount work share at $WD"
fi
ip link set lo up; hostname vmrun                      # no NIC at all; loopback for mosquitto etc.
# vmrun.sh wires ttyS1 to its stdout and ttyS2 to its stderr (ttyS0, the console, to a log).
# -onlcr: a tty would turn \n into \r\n.
for t in console ttyS1 ttyS2; do stty -onlcr -F /dev/$t 2>/dev/null; done
cd "$R${WD:-/}" || fail "cannot cd to $WD"
# shellcheck disable=SC2016  # $1 is expanded by the inner bash
# Clean environment; vmrun.sh put any passed-through GPIO2MQTT_*/GTEST_* exports into the cmd file.
env -i PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin HOME=/root TERM=dumb \
    LANG=C.UTF-8 VMRUN=1 chroot $R /bin/bash -c 'cd "${1:-/}" && exec /bin/bash /run/vmrun/cmd' sh "$WD" \
    </dev/null >/dev/ttyS1 2>/dev/ttyS2
echo $? > $R/run/vmrun/rc
sync
umount $R/run/vmrun 2>/dev/null
poweroff -f

#!/bin/bash
# Builds the IIO modules the sensor kernel tests load in the VM, next to what build.sh builds:
#
#   $CACHE/out/iio/industrialio.ko            the IIO core, from linux-image (CONFIG_IIO=m)
#   $CACHE/out/iio/industrialio-configfs.ko   built out of tree: Debian's config leaves out
#   $CACHE/out/iio/industrialio-sw-device.ko  IIO_CONFIGFS, IIO_SW_DEVICE and IIO_SIMPLE_DUMMY
#   $CACHE/out/iio/iio_dummy.ko               (without its events and buffer)
#   $CACHE/out/iio/stamp                      "ABI VERSION" they were built for
#
# From the .debs build.sh keeps in $CACHE/dl, for the kernel in $CACHE/out/stamp; idempotent.
# build.sh runs it (under its lock) once the kernel is there. The test loads them with insmod in
# this order and makes a device with `mkdir /sys/kernel/config/iio/devices/dummy/NAME`.
set -euo pipefail
D=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
. "$D/kbuild.sh"
CACHE=${GPIO2MQTT_VM_CACHE:-/var/cache/gpio2mqtt-vm}
OUT=$CACHE/out DL=$CACHE/dl W=$CACHE/work-iio
log() { echo "build-iio.sh: $*" >&2; }
read -r KABI KVER < "$OUT/stamp"
if [ "$(cat "$OUT/iio/stamp" 2>/dev/null)" = "$KABI $KVER" ]; then exit 0; fi
KSER=$(echo "$KVER" | cut -d. -f1,2)
rm -rf "$W"; mkdir -p "$W"/{kpkg,hdr,mod,ksrc}
kernel_headers "$W"
S=linux-source-$KSER
kernel_sources "$W" drivers/iio/industrialio-configfs.c drivers/iio/industrialio-sw-device.c \
  drivers/iio/dummy/iio_simple_dummy.c drivers/iio/dummy/iio_simple_dummy.h
cp "$W/ksrc/$S/drivers/iio/"industrialio-*.c "$W/ksrc/$S/drivers/iio/dummy/"iio_simple_dummy.[ch] "$W/mod/"
printf 'obj-m := industrialio-configfs.o industrialio-sw-device.o iio_dummy.o\niio_dummy-y := iio_simple_dummy.o\n' \
  > "$W/mod/Kbuild"
build_modules "$W" "$W/mod"
M="./lib/modules/$KABI/kernel/drivers/iio/industrialio.ko"
dpkg-deb --fsys-tarfile "$(deb "linux-image-$KABI")" | tar -x -C "$W/kpkg" "$M"
rm -rf "$OUT/iio.new"; mkdir -p "$OUT/iio.new"
cp "$W/kpkg/$M" "$W/mod/"{industrialio-configfs,industrialio-sw-device,iio_dummy}.ko "$OUT/iio.new/"
echo "$KABI $KVER" > "$OUT/iio.new/stamp"
rm -rf "$OUT/iio"; mv "$OUT/iio.new" "$OUT/iio"
rm -rf "$W"
log "built $(ls "$OUT/iio" | tr '\n' ' ')"

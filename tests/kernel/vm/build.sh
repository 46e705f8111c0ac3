#!/bin/bash
# Builds what vmrun.sh boots: Debian bookworm's own kernel plus an out-of-tree gpio-sim module.
#
#   $CACHE/out/vmlinuz            kernel from linux-image-<ABI>
#   $CACHE/out/vmlinux            the same, unpacked ELF (boots ~5 s faster under TCG, via PVH)
#   $CACHE/out/gpio-sim.ko        gpio-sim + irq_sim, built from linux-source against linux-headers
#   $CACHE/out/modules/*.ko       the few modules /init loads (virtio, 9p, configfs, gpio-sim)
#   $CACHE/out/initramfs.cpio.gz  busybox-static + those modules + guest-init.sh as /init
#   $CACHE/out/stamp              "ABI VERSION" the kernel artefacts were built from
#   $CACHE/out/init.sha256        hash of the guest-init.sh baked into the initramfs
#
# CACHE is $GPIO2MQTT_VM_CACHE (default /var/cache/gpio2mqtt-vm), outside the source tree, so the
# ~224 MB of .debs and the artefacts survive fresh clones (CI) and never end up in git.
#
# Why all this: the build machines' own kernel has no GPIO support, and Debian's kernel config says
# '# CONFIG_GPIO_SIM is not set' (also no IRQ_SIM). Only Debian packages are used (apt-get download).
#
# Usage: build.sh [--force] [--if-missing]
#   --force       rebuild everything (also GPIO2MQTT_VM_FORCE=1)
#   --if-missing  keep complete artefacts even if apt now resolves a newer kernel ABI (what vmrun.sh
#                 uses: it must not start a 224 MB download just because the mirror moved on);
#                 the initramfs is still refreshed when guest-init.sh changed.
# GPIO2MQTT_VM_KABI=6.1.0-NN-amd64 pins the kernel ABI instead of resolving it via apt-cache.
set -euo pipefail
D=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
. "$D/kbuild.sh"
CACHE=${GPIO2MQTT_VM_CACHE:-/var/cache/gpio2mqtt-vm}
OUT=$CACHE/out DL=$CACHE/dl W=$CACHE/work
FORCE=${GPIO2MQTT_VM_FORCE:-} IF_MISSING=
for a in "$@"; do case $a in
  -f|--force) FORCE=1;; --if-missing) IF_MISSING=1;;
  -h|--help) sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0;;
  *) echo "build.sh: unknown argument '$a'" >&2; exit 2;; esac; done
[ "$FORCE" = 0 ] && FORCE=
log() { echo "build.sh: $*" >&2; }
now() { date +%s.%N; }

mkdir -p "$CACHE" "$OUT" "$DL"
# Several vmrun.sh calls may start at once (ctest -j) and find the artefacts missing: build once.
exec 9>"$CACHE/.lock"
flock -n 9 || { log "waiting for another build.sh to finish"; flock 9; }
T0=$(now)

# --- 0. host tools: install only what is missing (a fresh CI machine may lack some) --------------
APT_UPDATED=
apt_update() { [ -n "$APT_UPDATED" ] && return 0; log "apt-get update"; apt-get update -qq; APT_UPDATED=1; }
need=()
for p in busybox-static qemu-system-x86 make gcc bc xz-utils; do
  dpkg -s "$p" 2>/dev/null | grep -q '^Status: install ok installed' || need+=("$p")
done
if [ ${#need[@]} -gt 0 ]; then
  log "installing ${need[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null ||
    { apt_update && apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null; }
fi
# The initramfs has no libc: /bin/busybox must be the static one (busybox-static replaces busybox).
if ldd /bin/busybox >/dev/null 2>&1; then log "/bin/busybox is dynamically linked; need busybox-static"; exit 1; fi

# The 9 modules /init loads, in dependency order (the kernel .deb has no modules.dep).
MODS="virtio_ring virtio virtio_pci_modern_dev virtio_pci_legacy_dev virtio_pci 9pnet 9pnet_virtio
      netfs fscache 9p configfs"
kernel_complete() {
  [ -s "$OUT/stamp" ] && [ -s "$OUT/vmlinuz" ] && [ -s "$OUT/gpio-sim.ko" ] || return 1
  local m; for m in $MODS; do [ -s "$OUT/modules/$m.ko" ] || return 1; done
}

# --- 1. which kernel: the ABI linux-image-amd64 currently depends on -------------------------------
# Security updates move the ABI (6.1.0-56 -> -57) and old versions leave the mirror, so it is resolved
# each time rather than pinned. apt-cache needs package lists; an image without them gives nothing.
resolve() {
  KABI=${GPIO2MQTT_VM_KABI:-} KVER=
  if [ -z "$KABI" ]; then
    # One apt-cache call (each one parses all package lists, ~1.5 s): ShowVersion adds "(= VERSION)".
    read -r KABI KVER < <(apt-cache depends -o APT::Cache::ShowVersion=1 linux-image-amd64 2>/dev/null |
      sed -n 's/^ *Depends: linux-image-\([0-9.]*-[0-9]*-amd64\) (= \(.*\))$/\1 \2/p' | head -1) || true
  else
    KVER=$(apt-cache show "linux-image-$KABI" 2>/dev/null | sed -n 's/^Version: //p' | head -1)
  fi
  [ -n "$KABI" ] && [ -n "$KVER" ]
}

BUILD_KERNEL=1
if [ -z "$FORCE" ] && kernel_complete && [ -n "$IF_MISSING" ]; then
  BUILD_KERNEL=
else
  resolve || { apt_update; resolve; } || { log "cannot resolve the kernel ABI via apt-cache"; exit 1; }
  if [ -z "$FORCE" ] && kernel_complete && [ "$(cut -d' ' -f1 "$OUT/stamp")" = "$KABI" ]; then
    BUILD_KERNEL=
  fi
fi
T1=$(now) T2=$T1

if [ -n "$BUILD_KERNEL" ]; then
  KSER=$(echo "$KVER" | cut -d. -f1,2)                 # 6.1
  log "kernel ABI $KABI, package version $KVER"
  # --- 2. download (~224 MB, linux-source is most of it); kept in $DL for rebuilds ----------------
  debs() {
    echo "linux-image-$KABI" "linux-headers-$KABI" "linux-headers-${KABI%-amd64}-common" \
         "linux-kbuild-$KSER" "linux-source-$KSER"
  }
  download() {
    local p
    for p in $(debs); do
      compgen -G "$DL/${p}_${KVER}_*.deb" >/dev/null && continue
      # Sandbox user root: $DL is root's and _apt could not write there (apt would warn and go on).
      (cd "$DL" && timeout 900 apt-get download -q -o APT::Sandbox::User=root "$p=$KVER") || return 1
    done
  }
  # A stale package list names a version the mirror no longer has: update once and re-resolve.
  if ! download; then
    if [ -n "$APT_UPDATED" ] || [ -n "${GPIO2MQTT_VM_KABI:-}" ]; then log "download failed"; exit 1; fi
    apt_update; resolve || { log "cannot resolve the kernel ABI after apt-get update"; exit 1; }
    KSER=$(echo "$KVER" | cut -d. -f1,2); log "now kernel ABI $KABI, version $KVER"
    download || { log "download failed"; exit 1; }
  fi
  T2=$(now)

  # --- 3. kernel image + the needed modules ----------------------------------------------------
  rm -rf "$W"; mkdir -p "$W"/{kpkg,hdr,mod,ksrc}
  M="./lib/modules/$KABI/kernel"
  dpkg-deb --fsys-tarfile "$(deb "linux-image-$KABI")" | tar -x -C "$W/kpkg" --wildcards "./boot/vmlinuz-*" \
    "$M/fs/configfs/*" "$M/fs/9p/*" "$M/net/9p/*" "$M/fs/netfs/*" "$M/fs/fscache/*" "$M/drivers/virtio/*"

  # --- 4. gpio-sim.ko out of tree: drivers/gpio/gpio-sim.c + kernel/irq/irq_sim.c from linux-source,
  #        compiled against linux-headers with Debian's kbuild tools --------------------------------
  kernel_headers "$W"
  KB=$(kernel_tree "$W")
  S=linux-source-$KSER
  kernel_sources "$W" drivers/gpio/gpio-sim.c drivers/gpio/gpiolib.h kernel/irq/irq_sim.c
  cp "$W/ksrc/$S/drivers/gpio/gpio-sim.c" "$W/mod/gpio-sim-main.c"
  cp "$W/ksrc/$S/drivers/gpio/gpiolib.h" "$W/ksrc/$S/kernel/irq/irq_sim.c" "$W/mod/"
  # irq_to_desc() is not exported to modules; generic_handle_irq() does the same here (the handler is
  # handle_simple_irq). The grep fails the build if a new source no longer matches the patch.
  sed -i 's/handle_simple_irq(irq_to_desc(irqnum));/generic_handle_irq(irqnum);/' "$W/mod/irq_sim.c"
  grep -q 'generic_handle_irq(irqnum);' "$W/mod/irq_sim.c" || { log "irq_sim.c patch did not apply"; exit 1; }
  printf 'obj-m := gpio-sim.o\ngpio-sim-y := gpio-sim-main.o irq_sim.o\n' > "$W/mod/Kbuild"
  build_modules "$W" "$W/mod"

  # Install: temp name + mv so a vmrun.sh reading concurrently never sees half a file; the stamp is
  # written last, so an interrupted build is redone.
  rm -f "$OUT/stamp"
  rm -rf "$OUT/modules.new"; mkdir -p "$OUT/modules.new"
  K="$W/kpkg/lib/modules/$KABI/kernel"
  for m in $MODS; do
    f=$(find "$K" -name "$m.ko" | head -1); [ -n "$f" ] || { log "module $m.ko not in linux-image"; exit 1; }
    cp "$f" "$OUT/modules.new/"
  done
  rm -rf "$OUT/modules"; mv "$OUT/modules.new" "$OUT/modules"
  cp "$W/kpkg/boot/vmlinuz-$KABI" "$OUT/vmlinuz.new" && mv "$OUT/vmlinuz.new" "$OUT/vmlinuz"
  # Under TCG the bzImage's own xz decompression takes ~5 s of every boot. qemu can load the ELF
  # vmlinux inside it directly via the PVH entry point (Debian: CONFIG_PVH=y), so keep it unpacked
  # (~66 MB). vmrun.sh falls back to vmlinuz when there is no vmlinux.
  rm -f "$OUT/vmlinux"
  if grep -q '^CONFIG_PVH=y' "$KB/.config"; then
    off=$(LC_ALL=C grep -obUaP '\xfd7zXZ\x00' "$OUT/vmlinuz" | head -1 | cut -d: -f1) || true
    if [ -n "$off" ] && xz -dc --single-stream < <(tail -c +$((off + 1)) "$OUT/vmlinuz") > "$OUT/vmlinux.new" 2>/dev/null &&
       [ "$(head -c 4 "$OUT/vmlinux.new" | tail -c 3)" = ELF ]; then
      mv "$OUT/vmlinux.new" "$OUT/vmlinux"
    else
      rm -f "$OUT/vmlinux.new"; log "could not unpack vmlinux from vmlinuz; booting the slower bzImage"
    fi
  fi
  cp "$W/mod/gpio-sim.ko" "$OUT/gpio-sim.ko.new" && mv "$OUT/gpio-sim.ko.new" "$OUT/gpio-sim.ko"
  rm -f "$OUT/init.sha256"                            # force a new initramfs with these modules
  echo "$KABI $KVER" > "$OUT/stamp.new" && mv "$OUT/stamp.new" "$OUT/stamp"
  rm -rf "$W"                                          # ~400 MB of extracted headers/sources
  # .debs of other kernel versions are of no further use
  find "$DL" -maxdepth 1 -name '*.deb' ! -name "*_${KVER}_*" -delete
fi
"$D/build-iio.sh"  # the IIO modules of the sensor tests, from the same .debs
T3=$(now)

# --- 5. initramfs: busybox + modules + /init (the userland is the host's / over virtio-9p) ---------
INIT_SUM=$(sha256sum < "$D/guest-init.sh" | cut -d' ' -f1)
if [ -n "$BUILD_KERNEL" ] || [ ! -s "$OUT/initramfs.cpio.gz" ] || [ "$(cat "$OUT/init.sha256" 2>/dev/null)" != "$INIT_SUM" ]; then
  I=$CACHE/initramfs; rm -rf "$I"; mkdir -p "$I"/{bin,dev,proc,sys,newroot,lib/modules}
  cp /bin/busybox "$I/bin/busybox"; ln -s busybox "$I/bin/sh"
  cp "$OUT"/modules/*.ko "$OUT/gpio-sim.ko" "$I/lib/modules/"
  cp "$D/guest-init.sh" "$I/init"; chmod 755 "$I/init"
  # The host has no cpio binary; busybox has one.
  (cd "$I" && find . | busybox cpio -o -H newc 2>/dev/null | gzip -1 > "$OUT/initramfs.cpio.gz.new")
  mv "$OUT/initramfs.cpio.gz.new" "$OUT/initramfs.cpio.gz"
  echo "$INIT_SUM" > "$OUT/init.sha256"
  rm -rf "$I"
  log "initramfs built"
fi
"$D/build-pwm-sim.sh"                               # the PWM test chip; rebuilt only when it changed
T4=$(now)

if [ -n "$BUILD_KERNEL" ]; then
  printf 'build.sh: resolve %.1fs  download %.1fs  extract+build gpio-sim.ko %.1fs  initramfs %.1fs\n' \
    "$(echo "$T1-$T0" | bc)" "$(echo "$T2-$T1" | bc)" "$(echo "$T3-$T2" | bc)" "$(echo "$T4-$T3" | bc)" >&2
  du -sh "$OUT" "$DL" >&2
else
  log "up to date ($(cat "$OUT/stamp")) in $(echo "$T4-$T0" | bc | sed 's/^\./0./')s; --force to rebuild"
fi

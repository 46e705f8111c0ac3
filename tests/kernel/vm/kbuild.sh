# shellcheck shell=bash
# Sourced by build.sh, build-iio.sh and build-pwm-sim.sh: out-of-tree modules built against
# Debian's kernel from the .debs build.sh keeps in $DL. The caller sets DL, KABI, KVER and KSER
# (6.1.0-NN-amd64, its package version, 6.1) and defines log.

# The .deb of package $1 at version $KVER in $DL (nothing when it is missing).
deb() { compgen -G "$DL/${1}_${KVER}_*.deb" | head -1; }

# Extracts linux-headers (and its -common part) and linux-kbuild into $1/hdr; the headers' tree
# is then kernel_tree $1.
kernel_headers() {
  local p f
  for p in "linux-headers-$KABI" "linux-headers-${KABI%-amd64}-common" "linux-kbuild-$KSER"; do
    f=$(deb "$p" || true)
    [ -n "$f" ] || { log "no $p $KVER in $DL (build.sh --force)"; return 1; }
    dpkg-deb -x "$f" "$1/hdr"
  done
  # Its Makefile includes ...-common/Makefile by absolute /usr/src path: point it at this copy.
  sed -i "s#/usr/src/#$1/hdr/usr/src/#" "$(kernel_tree "$1")/Makefile"
}
kernel_tree() { echo "$1/hdr/usr/src/linux-headers-$KABI"; }

# Extracts files of linux-source (paths below linux-source-$KSER/) into $1/ksrc/linux-source-$KSER.
kernel_sources() {
  local w=$1 s=linux-source-$KSER
  shift
  dpkg-deb --fsys-tarfile "$(deb "$s")" | tar -xO "./usr/src/$s.tar.xz" | tar -xJ -C "$w/ksrc" "${@/#/$s/}"
}

# Builds the modules its Kbuild file in $2 names against the headers extracted into $1.
build_modules() { timeout 900 make -s -C "$(kernel_tree "$1")" M="$2" -j"$(nproc)" modules; }

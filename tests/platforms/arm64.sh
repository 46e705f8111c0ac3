#!/usr/bin/env bash
# arm64 (Raspberry Pi OS / Debian on a Pi) for one release, from this amd64 machine:
#   tests/platforms/arm64.sh SUITE [DEB]        SUITE: bookworm or trixie
# 1. the unit tests, cross-built in the release's cross chroot (the one scripts/package uses) and
#    run under qemu-user with QEMU_CPU=cortex-a72 (a Pi 4's CPU; trixie's arm64 libraries use
#    pointer authentication, which qemu's default CPU emulates slowly);
# 2. the arm64 .deb (DEB, or one scripts/package builds now) installed with
#    `apt-get install ./gpio2mqtt_*.deb` into a fresh copy of a foreign arm64 root of the release
#    (debootstrap --foreign, second stage through qemu-user; cached), so that apt resolves its
#    Depends from Debian's arm64 archive; then `gpio2mqtt --version` and `--check-config` there.
# The integration tests are not run under qemu-user (they start brokers and daemons and wait on
# real time: too slow emulated); amd64 runs them for both releases (scripts/test, trixie.sh).
# ARCH=armhf (32-bit Raspberry Pi OS) does the same for armhf with QEMU_CPU=cortex-a7 (not run by
# scripts/test, and not tried yet).
# As root: binfmt_misc gets a qemu-user entry for the run, removed at exit if this run added it.
# Talks to Debian's apt repositories and 127.0.0.1 only.
set -euo pipefail
GPIO2MQTT_ROOT=$(cd "$(dirname "$0")/../.." && pwd)
. "$GPIO2MQTT_ROOT/scripts/lib/common.sh"
. "$GPIO2MQTT_ROOT/tests/platforms/lib.sh"
. "$GPIO2MQTT_ROOT/tests/package/lib.sh"
[ "$(id -u)" -eq 0 ] || exec sudo -E "$0" "$@"
suite=${1:?usage: tests/platforms/arm64.sh bookworm|trixie [DEB]}
deb=${2:-}
arch=${ARCH:-arm64}
case $arch in
  arm64) triplet=aarch64-linux-gnu processor=aarch64; export QEMU_CPU=cortex-a72;;
  armhf) triplet=arm-linux-gnueabihf processor=armv7l; export QEMU_CPU=cortex-a7;;
  *) echo "ARCH must be arm64 or armhf" >&2; exit 64;;
esac
case $suite in
  bookworm) cross=bookworm-cross;;
  trixie) cross=trixie;;
  *) echo "SUITE must be bookworm or trixie" >&2; exit 64;;
esac
work=$(mktemp -d /tmp/gpio2mqtt-$suite-$arch.XXXXXX)
cleanup() {
  platform_unmount_all
  platform_unmount "$work"
  platform_binfmt_release
  findmnt -rn -o TARGET | grep -qF "$work/" || rm -rf "$work"
}
trap cleanup EXIT
platform_binfmt "$arch"

if [ -z "$deb" ]; then
  platform_timer "$suite $arch: the .deb (scripts/package)"
  "$GPIO2MQTT_ROOT/scripts/package" --out "$work/debs" "$suite-$arch"
  deb=$(ls "$work"/debs/gpio2mqtt_*_"${suite}_$arch".deb)
fi

platform_timer "$suite $arch: unit tests, cross-built, run under qemu-user ($QEMU_CPU)"
platform_root "$cross" "$suite"
root=$PLATFORM_ROOT
mount -t proc proc "$root/proc"
if ! in_platform "$root" dpkg --print-foreign-architectures | grep -qx "$arch"; then
  in_platform "$root" dpkg --add-architecture "$arch"
  platform_apt "$root" update > "$work/update.log" 2>&1 || { tail -20 "$work/update.log"; exit 1; }
fi
# The libraries gpio2mqtt links, for ARCH, and the tools that run here (Multi-Arch: foreign).
libs=(libpaho-mqttpp-dev libpaho-mqtt-dev libssl-dev libgpiod-dev libsdbus-c++-dev libsystemd-dev
      libyaml-cpp-dev libspdlog-dev libfmt-dev libgtest-dev libgmock-dev)
platform_install "$root" "crossbuild-essential-$arch" "pkgconf:$arch" cmake ninja-build \
  "libsdbus-c++-bin:$(dpkg --print-architecture)" "${libs[@]/%/:$arch}"
umount "$root/proc"
platform_mount "$root"
platform_ccache "$root"
build=$GPIO2MQTT_ROOT/build/$suite-$arch
mkdir -p "$build"
cat > "$build/toolchain.cmake" <<EOF
# Debian multiarch cross-building for $arch (written by tests/platforms/arm64.sh).
set(CMAKE_SYSTEM_NAME Linux)
set(CMAKE_SYSTEM_PROCESSOR $processor)
set(CMAKE_C_COMPILER $triplet-gcc)
set(CMAKE_CXX_COMPILER $triplet-g++)
set(CMAKE_LIBRARY_ARCHITECTURE $triplet)
set(PKG_CONFIG_EXECUTABLE /usr/bin/$triplet-pkg-config)
# No CMAKE_CROSSCOMPILING_EMULATOR: the test binaries (and the daemon some tests start) run
# through binfmt_misc's qemu-user entry (platform_binfmt), with QEMU_CPU from the environment.
EOF
if ! { in_platform "$root" cmake -S "$GPIO2MQTT_ROOT" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE= \
         -DCMAKE_TOOLCHAIN_FILE="$build/toolchain.cmake" -DGPIO2MQTT_WERROR=ON -DGPIO2MQTT_BENCH=OFF \
         -DCMAKE_GTEST_DISCOVER_TESTS_DISCOVERY_MODE=PRE_TEST &&
       in_platform "$root" ninja -C "$build" unit_tests; } > "$build.log" 2>&1; then
  tail -60 "$build.log"
  exit 1
fi
# No CMAKE_BUILD_TYPE: -O0 without -g, the quickest to build. PRE_TEST: gtest_discover_tests would
# run the test binary under qemu-user at build time, for ctest, which is not used here.
grep 'gpio2mqtt:' "$build.log" | sed 's/^-- /  /'
unit_ok() {
  local rc=0
  in_platform "$root" sh -c "cd '$build/tests' && ./unit_tests --gtest_brief=1" > "$build/unit_tests.log" 2>&1 || rc=$?
  tail -3 "$build/unit_tests.log"
  return $rc
}
check "$suite $arch: unit tests under qemu-user" unit_ok
grep -E '^\[  (PASSED|FAILED) ' "$build/unit_tests.log" | sed 's/^/  /' || true
platform_unmount_all

platform_timer "$suite $arch: apt-get install ./$(basename "$deb") in a foreign $arch root"
platform_root "$suite-$arch-root" "$suite" "$arch" --foreign
target=$work/root
cp -a "$PLATFORM_ROOT" "$target"
mkdir -p "$PLATFORM_CACHE/apt-archives-$suite-$arch/partial"
mount -t proc proc "$target/proc"
mount --bind /dev "$target/dev"
mount --bind "$PLATFORM_CACHE/apt-archives-$suite-$arch" "$target/var/cache/apt/archives"  # kept across runs
mkdir -p "$target/tmp/pkg"
cp "$deb" "$target/tmp/pkg/"
name=$(basename "$deb")
if ! in_platform "$target" sh -c "cd /tmp/pkg && apt-get -q -y -o Dpkg::Use-Pty=0 \
    -o APT::Install-Recommends=false install ./$name" > "$work/install.log" 2>&1; then
  tail -40 "$work/install.log"; log "apt-get install failed"; exit 1
fi
printf '  apt-get set up %s packages\n' "$(grep -c '^Setting up' "$work/install.log" || true)"
version=$(dpkg-deb -f "$deb" Version)
check "$suite $arch: the package is installed" \
  bash -c '[ "$(chroot "$1" dpkg-query -W -f="\${Status} \${Architecture}" gpio2mqtt)" = "install ok installed $2" ]' \
  _ "$target" "$arch"
check "$suite $arch: gpio2mqtt --version says $version" \
  bash -c '[ "$(chroot "$1" env QEMU_CPU="$QEMU_CPU" gpio2mqtt --version)" = "gpio2mqtt $2" ]' _ "$target" "$version"
check "$suite $arch: gpio2mqtt --check-config /etc/gpio2mqtt/config.yaml" \
  in_platform "$target" gpio2mqtt --check-config /etc/gpio2mqtt/config.yaml
platform_timer
finish "$suite $arch"

#!/usr/bin/env bash
# Debian 13 (trixie) amd64: the whole test suite in a trixie chroot, against trixie's libraries
# (libgpiod 2.2, sdbus-c++ 2.1, yaml-cpp 0.8, paho 1.5) and its mosquitto and dbus-daemon: a Debug
# build with -Werror, the unit and integration tests (ctest), then the kernel tests in the gpio-sim
# VM booted with the chroot as its root (tests/kernel/vm: Debian 12's kernel, trixie's userland).
#   tests/platforms/trixie.sh [--no-kernel]
# As root. The chroot is cached as $GPIO2MQTT_PLATFORM_CACHE/trixie (default
# /var/cache/gpio2mqtt-test; the cross builds of tests/platforms/arm64.sh use it too); the build is
# build/trixie-amd64 in this tree (the tree is bind-mounted at its own path in the chroot).
# Talks to Debian's apt repositories and 127.0.0.1 only.
set -euo pipefail
GPIO2MQTT_ROOT=$(cd "$(dirname "$0")/../.." && pwd)
. "$GPIO2MQTT_ROOT/scripts/lib/common.sh"
. "$GPIO2MQTT_ROOT/tests/platforms/lib.sh"
[ "$(id -u)" -eq 0 ] || exec sudo -E "$0" "$@"
kernel=1
[ "${1:-}" = --no-kernel ] && kernel=0

trap 'platform_unmount_all' EXIT
build=$GPIO2MQTT_ROOT/build/trixie-amd64
failed=()

platform_timer "trixie amd64: the chroot"
platform_root trixie trixie
root=$PLATFORM_ROOT
# What scripts/test installs on Debian 12, by the same names; busctl (systemd) for the D-Bus tests.
platform_prepare "$root" "${GPIO2MQTT_BUILD_DEPS[@]}" "${GPIO2MQTT_TEST_DEPS[@]}" systemd

platform_timer "trixie amd64: Debug build with -Werror in build/trixie-amd64"
platform_build "$root" "$build" -DCMAKE_BUILD_TYPE=Debug -DGPIO2MQTT_WERROR=ON -DGPIO2MQTT_BENCH=OFF

platform_timer "trixie amd64: unit and integration tests (ctest)"
# Each integration test starts its own broker on a free port; the chroot shares this machine's
# loopback, so ports are shared with whatever runs here at the same time, as on the host.
# Not the chaos tests: the debug build on Debian 12 runs them, and they test no library seam.
in_platform "$root" sh -c "cd '$build' && ctest --output-on-failure -j $(nproc) --timeout 120 -LE chaos" ||
  failed+=("trixie amd64 ctest")

if [ $kernel -eq 1 ] && [ -x "$GPIO2MQTT_ROOT/tests/kernel/run.sh" ]; then
  platform_timer "trixie amd64: kernel tests in the gpio-sim VM, the chroot as its root"
  platform_vm_root "$root"
  GPIO2MQTT_KERNEL_PREBUILT=1 VMRUN_ROOT=$root "$GPIO2MQTT_ROOT/tests/kernel/run.sh" "$build" ||
    failed+=("trixie amd64 kernel tests")
fi
platform_timer

if [ ${#failed[@]} -gt 0 ]; then
  log "FAILED: ${failed[*]}"
  exit 1
fi
log "trixie amd64: all passed"

#!/bin/bash
# Usage: tests/kernel/run.sh [BUILD_DIR] [GTEST_ARGS...]
#
# Builds kernel_tests (and the gpio2mqtt binary the end-to-end tests start) in BUILD_DIR (default
# ./build; configured with Ninja if it is not yet), then runs them in ONE boot of the gpio-sim VM
# (tests/kernel/vm/vmrun.sh) with BUILD_DIR as its read-write work dir, and prints how long the VM
# took to boot and the tests to run. GTEST_ARGS go to kernel_tests, e.g. --gtest_filter='ABurst*'.
#
# Exit status: kernel_tests' own, or 125 when the VM failed (see vmrun.sh).
# GPIO2MQTT_VM_TIMEOUT (seconds, default 900) bounds the whole VM run. GPIO2MQTT_KERNEL_PREBUILT=1
# skips the build (BUILD_DIR was built elsewhere, e.g. in a chroot that VMRUN_ROOT boots).
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$here/../.." && pwd)
build=${1:-$root/build}
[ $# -gt 0 ] && shift
mkdir -p "$build"
build=$(realpath "$build")

if [ -z "${GPIO2MQTT_KERNEL_PREBUILT:-}" ]; then
  if [ ! -f "$build/CMakeCache.txt" ]; then
    cmake -S "$root" -B "$build" -G Ninja
  fi
  cmake --build "$build" --target kernel_tests gpio2mqtt
fi

# The guest writes when its command started (kernel uptime) and how long the tests ran; the host
# only sees the whole VM run, so the boot cost is the difference.
timings=$build/kernel-tests.timings
rm -f "$timings"
# shellcheck disable=SC2016  # expanded in the guest
guest='
  uptime=$(cut -d" " -f1 /proc/uptime)
  start=$(date +%s%N)
  set +e
  "$@"
  rc=$?
  echo "$uptime $(( ($(date +%s%N) - start) / 1000000 ))" > "$0"
  exit $rc'

t0=$(date +%s%N)
set +e
"$here/vm/vmrun.sh" -w "$build" -t "${GPIO2MQTT_VM_TIMEOUT:-900}" -- \
  bash -c "$guest" "$timings" "$build/tests/kernel_tests" "$@"
rc=$?
set -e
total_ms=$(( ($(date +%s%N) - t0) / 1000000 ))

secs() { printf '%d.%03d' $(( $1 / 1000 )) $(( $1 % 1000 )); }
if [ -s "$timings" ]; then
  read -r uptime tests_ms < "$timings"
  echo "kernel tests: VM boot and power-off $(secs $(( total_ms - tests_ms ))) s (guest kernel up ${uptime} s" \
       "when the tests started), tests $(secs "$tests_ms") s, total $(secs "$total_ms") s; exit status $rc"
else
  echo "kernel tests: the VM gave no timings (it failed after $(secs "$total_ms") s); exit status $rc" >&2
fi
exit $rc

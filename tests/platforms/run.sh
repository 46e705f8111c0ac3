#!/usr/bin/env bash
# The platform checks scripts/test runs after its Debian 12 amd64 suites:
#   1. Debian 13 amd64: the whole suite in a trixie chroot, kernel tests included (trixie.sh);
#   2. the arm64 packages, into out/debs (scripts/package; the amd64 ones are left to it, and to
#      tests/package/deb_test.sh for bookworm: scripts/test's time is bounded);
#   3. for bookworm and trixie arm64: the unit tests under qemu-user and the .deb installed into a
#      foreign arm64 root (arm64.sh).
# Prints how long each step took. As root.
#   tests/platforms/run.sh [--no-kernel]
# GPIO2MQTT_PLATFORMS="trixie-amd64 bookworm-arm64 ..." picks targets (default: those four; add
# bookworm-armhf / trixie-armhf for 32-bit Raspberry Pi OS: not tried yet).
set -euo pipefail
GPIO2MQTT_ROOT=$(cd "$(dirname "$0")/../.." && pwd)
. "$GPIO2MQTT_ROOT/scripts/lib/common.sh"
[ "$(id -u)" -eq 0 ] || exec sudo -E "$0" "$@"
here=$GPIO2MQTT_ROOT/tests/platforms
targets=${GPIO2MQTT_PLATFORMS:-trixie-amd64 bookworm-arm64 trixie-arm64}
debs=$GPIO2MQTT_ROOT/out/debs
failed=()
times=()
step() {  # step NAME COMMAND...: runs it, records its time, a failure does not stop the others
  local name=$1 started=$SECONDS; shift
  "$@" || failed+=("$name")
  times+=("$(printf '%-40s %4d s' "$name" $((SECONDS - started)))")
}

# The foreign roots are made by single-threaded emulation and downloads: in the background from
# the start, so the builds below use the cores meanwhile. arm64.sh waits for each root's lock.
prepare_roots() {
  . "$GPIO2MQTT_ROOT/tests/platforms/lib.sh"
  trap platform_binfmt_release EXIT
  local target
  for target in $targets; do
    case $target in
      *-arm64|*-armhf)
        platform_binfmt "${target#*-}"
        platform_root "$target-root" "${target%-*}" "${target#*-}" --foreign;;
    esac
  done
}
mkdir -p "$GPIO2MQTT_ROOT/build"
prepare_roots > "$GPIO2MQTT_ROOT/build/platform-roots.log" 2>&1 &
roots=$!

for target in $targets; do
  [ "$target" = trixie-amd64 ] && step "trixie amd64: build and all tests" "$here/trixie.sh" "$@"
done
package_targets=()
for target in $targets; do
  case $target in *-arm64|*-armhf) package_targets+=("$target");; esac
done
[ ${#package_targets[@]} -eq 0 ] ||
  step "packages: ${package_targets[*]}" "$GPIO2MQTT_ROOT/scripts/package" --out "$debs" "${package_targets[@]}"
step "foreign roots (made in the background; the wait for them)" wait "$roots"
case " ${failed[*]} " in *" foreign roots"*) tail -30 "$GPIO2MQTT_ROOT/build/platform-roots.log";; esac
for target in $targets; do
  case $target in
    *-arm64|*-armhf)
      suite=${target%-*} arch=${target#*-}
      deb=$(ls "$debs"/gpio2mqtt_*_"${suite}_$arch".deb 2>/dev/null | head -1 || true)
      if [ -z "$deb" ]; then failed+=("$target: no .deb"); continue; fi
      step "$target: unit tests (qemu-user), install" env ARCH="$arch" "$here/arm64.sh" "$suite" "$deb";;
  esac
done

log "platform steps:"
printf '  %s\n' "${times[@]}"
ls -l "$debs" | sed 's/^/  /'
if [ ${#failed[@]} -gt 0 ]; then
  log "platforms FAILED: ${failed[*]}"
  exit 1
fi
log "platforms: all passed"

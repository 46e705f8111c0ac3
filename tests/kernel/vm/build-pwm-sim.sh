#!/bin/bash
# Builds pwm-sim.ko (pwm-sim.c beside this script: a PWM chip without hardware for the tests of
# the daemon's sysfs PWM path) against the headers of the kernel build.sh built, into
# $CACHE/out/pwm-sim.ko. Called by build.sh once its kernel artefacts are there; rebuilds only
# when the kernel or pwm-sim.c changed. Debian's kernel has the PWM core and its sysfs class
# (CONFIG_PWM=y, CONFIG_PWM_SYSFS=y), so the module is all the tests need; kernel tests load it
# themselves (finit_module) from the host's path, which the guest sees.
set -euo pipefail
D=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
. "$D/kbuild.sh"
CACHE=${GPIO2MQTT_VM_CACHE:-/var/cache/gpio2mqtt-vm}
OUT=$CACHE/out DL=$CACHE/dl
log() { echo "build-pwm-sim.sh: $*" >&2; }

read -r KABI KVER < "$OUT/stamp"
WANT="$KABI $(sha256sum < "$D/pwm-sim.c" | cut -d' ' -f1)"
if [ -s "$OUT/pwm-sim.ko" ] && [ "$(cat "$OUT/pwm-sim.stamp" 2>/dev/null)" = "$WANT" ]; then exit 0; fi

KSER=$(echo "$KVER" | cut -d. -f1,2)
W=$(mktemp -d "$CACHE/pwm-sim.XXXXXX")
trap 'rm -rf "$W"' EXIT
kernel_headers "$W"
mkdir -p "$W/mod"
cp "$D/pwm-sim.c" "$W/mod/"
echo 'obj-m := pwm-sim.o' > "$W/mod/Kbuild"
build_modules "$W" "$W/mod"
cp "$W/mod/pwm-sim.ko" "$OUT/pwm-sim.ko.new" && mv "$OUT/pwm-sim.ko.new" "$OUT/pwm-sim.ko"
echo "$WANT" > "$OUT/pwm-sim.stamp"
log "built pwm-sim.ko for $KABI"

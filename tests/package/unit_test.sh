#!/usr/bin/env bash
# Checks the files the package installs, from the source tree: the systemd unit
# (systemd-analyze verify and security), the D-Bus policy (on a private system-type bus), the
# example configuration (--check-config) and the man pages (man --warnings, as lintian runs it).
#   tests/package/unit_test.sh [GPIO2MQTT_BINARY]   (default build/test/src/gpio2mqtt)
# Needs systemd, dbus-daemon, xmllint and, for the man pages, lowdown. The policy's ownership
# checks switch users, so they run only as root.
set -euo pipefail
GPIO2MQTT_ROOT=$(cd "$(dirname "$0")/../.." && pwd)
. "$GPIO2MQTT_ROOT/scripts/lib/common.sh"
. "$GPIO2MQTT_ROOT/tests/package/lib.sh"

binary=${1:-$GPIO2MQTT_ROOT/build/test/src/gpio2mqtt}
unit=$GPIO2MQTT_ROOT/systemd/gpio2mqtt.service
policy=$GPIO2MQTT_ROOT/systemd/io.github.gpio2mqtt.conf
[ -x "$binary" ] || { log "no gpio2mqtt binary at $binary: build first"; exit 1; }

work=$(mktemp -d /tmp/gpio2mqtt-unit-test.XXXXXX)
bus_pid=
cleanup() {
  [ -z "$bus_pid" ] || kill "$bus_pid" 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

log "package files: systemd unit"
# verify needs ExecStart's binary, /bin/kill and the targets the unit names: a small root with
# them (usr-merged like Debian 12). The man pages are checked below, not by verify.
root=$work/root
mkdir -p "$root/usr/sbin" "$root/usr/bin" "$root/usr/lib/systemd" "$root/etc"
ln -s usr/bin "$root/bin"
ln -s usr/lib "$root/lib"
cp -a /lib/systemd/system "$root/usr/lib/systemd/"
cp "$binary" "$root/usr/sbin/gpio2mqtt"
cp /usr/bin/kill "$root/usr/bin/kill"
cp "$unit" "$root/lib/systemd/system/gpio2mqtt.service"
check "systemd-analyze verify accepts the unit, without a warning" \
  no_output systemd-analyze verify --man=no --root="$root" gpio2mqtt.service
# The same root without the binary: verify must notice (so the check above means something).
rm "$root/usr/sbin/gpio2mqtt"
check "systemd-analyze verify notices a missing ExecStart binary" \
  bash -c '! systemd-analyze verify --man=no --root="$1" gpio2mqtt.service' _ "$root"
security=$(systemd-analyze security --offline=yes --threshold=20 "$unit" 2>&1) && sec_rc=0 || sec_rc=$?
score=$(printf '%s\n' "$security" | sed -n 's/.*Overall exposure level for gpio2mqtt.service: \([0-9.]*\).*/\1/p')
check "systemd-analyze security --offline=yes scores 2.0 or better (got ${score:-nothing})" \
  test "$sec_rc" -eq 0 -a -n "$score"
unit_has() { grep -qxF "$1" "$unit" || { echo "the unit lacks the line: $1"; return 1; }; }
for line in Type=notify 'ExecStart=/usr/sbin/gpio2mqtt --config /etc/gpio2mqtt/config.yaml' \
    'ExecReload=/bin/kill -HUP $MAINPID' WatchdogSec=30s Restart=on-failure \
    RestartPreventExitStatus=78 User=gpio2mqtt Group=gpio2mqtt SupplementaryGroups=gpio \
    DevicePolicy=closed 'DeviceAllow=char-gpiochip rw' StateDirectory=gpio2mqtt \
    ConfigurationDirectory=gpio2mqtt 'Documentation=man:gpio2mqtt(8) man:gpio2mqtt.yaml(5)' \
    'RestrictAddressFamilies=AF_UNIX AF_INET AF_INET6' 'After=network-online.target mosquitto.service'; do
  check "the unit says $line" unit_has "$line"
done
check "a local mosquitto is an ordering only, never a dependency" \
  bash -c '! grep -E "^(Wants|Requires|BindsTo|Requisite)=.*mosquitto" "$1"' _ "$unit"

log "package files: D-Bus policy"
check "the policy is well-formed XML" xmllint --noout "$policy"
# A system-type bus like Debian's (deny own and method calls by default) with the policy in its
# includedir. The policy names the user and group gpio2mqtt, which this machine may lack: a copy
# names nobody and nogroup instead, to see that the owner rule lets its user in.
mkdir -p "$work/bus/system.d"
chmod 755 "$work" "$work/bus"
sed -e 's/user="gpio2mqtt"/user="nobody"/' -e 's/group="gpio2mqtt"/group="nogroup"/' "$policy" > "$work/bus/system.d/io.github.gpio2mqtt.conf"
cat > "$work/bus/bus.conf" <<XML
<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN"
 "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig>
  <type>system</type>
  <listen>unix:path=$work/bus/socket</listen>
  <auth>EXTERNAL</auth>
  <policy context="default">
    <allow user="*"/>
    <deny own="*"/>
    <deny send_type="method_call"/>
    <allow send_type="signal"/>
    <allow send_requested_reply="true" send_type="method_return"/>
    <allow send_requested_reply="true" send_type="error"/>
    <allow receive_type="method_call"/>
    <allow receive_type="method_return"/>
    <allow receive_type="error"/>
    <allow receive_type="signal"/>
    <allow send_destination="org.freedesktop.DBus" send_interface="org.freedesktop.DBus"/>
  </policy>
  <includedir>$work/bus/system.d</includedir>
</busconfig>
XML
dbus-daemon --config-file="$work/bus/bus.conf" --nofork --nopidfile > "$work/bus/log" 2>&1 &
bus_pid=$!
for _ in $(seq 100); do [ -S "$work/bus/socket" ] && break; sleep 0.05; done
request_name() {  # request_name USER: RequestName as USER on the private bus, prints the reply
  setpriv --reuid "$1" --regid "$(id -g "$1")" --init-groups \
    env DBUS_SYSTEM_BUS_ADDRESS="unix:path=$work/bus/socket" \
    busctl --system call org.freedesktop.DBus /org/freedesktop/DBus org.freedesktop.DBus \
    RequestName su io.github.gpio2mqtt 4 2>&1
}
# (Raising the fd limit is refused in containers: not about the policy.)
check "dbus-daemon loads the policy without a warning" \
  bash -c '[ -S "$1/socket" ] && ! grep -v -e "^$" -e "Failed to set fd limit" "$1/log"' _ "$work/bus"
if [ "$(id -u)" -eq 0 ]; then
  check "the policy's user may own io.github.gpio2mqtt" \
    bash -c '[ "$1" = "u 1" ] || { echo "$1"; false; }' _ "$(request_name nobody)"
  check "root may not own io.github.gpio2mqtt" \
    bash -c 'case $1 in *"Access denied"*|*AccessDenied*) ;; *) echo "$1"; false ;; esac' _ \
    "$(request_name root)"
else
  log "not root: who may own the bus name is not checked"
fi

log "package files: example configuration"
config=$GPIO2MQTT_ROOT/config/gpio2mqtt.yaml
check "config/gpio2mqtt.yaml is valid as shipped" "$binary" --check-config "$config"
# Its commented-out chips and lines, uncommented, must be valid too.
sed -e 's/^chips: {}/chips:/' -e 's/^lines: {}/lines:/' -e '/^chips:/,$ s/^#  /  /' "$config" \
  > "$work/uncommented.yaml"
check "its commented example, uncommented, is valid and has 2 lines" \
  bash -c '"$1" --check-config "$2" | grep -c "^  [a-z]*: \(input\|output\)," | grep -qx 2' _ \
  "$binary" "$work/uncommented.yaml"

if command -v lowdown >/dev/null; then
  log "package files: man pages"
  for page in "gpio2mqtt.8.md gpio2mqtt 8" "config.md gpio2mqtt.yaml 5"; do
    set -- $page
    out=$work/$2.$3
    check "$2($3) is made from docs/$1" "$GPIO2MQTT_ROOT/docs/mkman" "$GPIO2MQTT_ROOT/docs/$1" "$out" "$2" "$3" 0
    # As lintian reads them (120 columns). At 80, tbl warns that a long key in a table cell
    # cannot be broken; the page still reads well.
    check "$2($3) renders without a warning" \
      no_output bash -c 'env -i PATH="$PATH" LC_ALL=C.UTF-8 MANWIDTH=120 MANROFFSEQ= \
      man --warnings -E UTF-8 -l -Tutf8 -Z "$1" >/dev/null' _ "$out"
    check "$2($3) has a NAME line for whatis" \
      bash -c 'lexgrog "$1" | grep -q ": \"$2 - "' _ "$out" "$2"
  done
else
  log "package files: lowdown is not installed, man pages not checked"
fi

finish "package unit tests"

#!/bin/bash
# Runs INSIDE the booted system (system-test.service, as root, from the work share /mnt/work that
# run.sh filled): the README's steps, then what the package's users would check. One line per check,
# "check: ok (N.N s)" or "check: FAILED (N.N s)" with the evidence indented below; the lines also go
# to report.txt, the exit status to result, the journal to journal.txt, all in /mnt/work.
set -uo pipefail
W=/mnt/work
cd "$W" || exit 1
. "$W/gpiosim.sh"
exec > >(tee "$W/report.txt") 2>&1
# Also when a step aborts the script (set -u): then the result is a failure, with the journal.
trap 'journalctl -b --no-pager > "$W/journal.txt" 2>&1; [ -s "$W/result" ] || echo 1 > "$W/result"' EXIT
passed=0 failed=0
base=raspberry
cfg=/etc/gpio2mqtt/config.yaml
D=(io.github.gpio2mqtt /io/github/gpio2mqtt io.github.gpio2mqtt.Daemon1)

now() { echo $((${EPOCHREALTIME/./} / 1000)); }  # milliseconds
# check NAME COMMAND...: one report line; the command's output only when it failed.
check() {
  local name=$1 out t0 rc; shift
  t0=$(now)
  out=$("$@" 2>&1); rc=$?
  local ms=$(($(now) - t0)) took; took=$((ms / 1000)).$((ms % 1000 / 100))
  if [ $rc -eq 0 ]; then
    passed=$((passed + 1)); printf '%s: ok (%s s)\n' "$name" "$took"
    grep '^measured:' <<<"$out" | sed 's/^/    /'  # figures a check reports even when it passes
  else
    failed=$((failed + 1)); printf '%s: FAILED (%s s)\n' "$name" "$took"
    [ -z "$out" ] || printf '%s\n' "$out" | tail -15 | sed 's/^/    | /'
  fi
}
# wait_for SECONDS COMMAND...: polls until COMMAND succeeds; on time-out runs it once more, so its
# output shows why.
wait_for() {
  local deadline=$(($(now) + $1 * 1000)); shift
  while [ "$(now)" -lt $deadline ]; do
    "$@" >/dev/null 2>&1 && return 0
    sleep 0.2
  done
  "$@"
}
prop() { systemctl show -p "$1" --value gpio2mqtt; }
is_active() { [ "$(prop ActiveState)" = active ] || { systemctl status --no-pager gpio2mqtt; false; }; }
# retained TOPIC: the retained message on TOPIC ("" when none), as a new subscriber gets it.
retained() { mosquitto_sub -h 127.0.0.1 -t "$1" -C 1 -W 3 --retained-only 2>/dev/null; }
retained_is() { local got; got=$(retained "$1"); [ "$got" = "$2" ] || { echo "retained on $1: '$got', want '$2'"; false; }; }
kernel_value_is() { local v; v=$(gpiosim_value rpi "$1"); [ "$v" = "$2" ] || { echo "GPIO$1 is driven to $v, want $2"; false; }; }
# gpioinfo of libgpiod 1 (bookworm) takes the chip as its argument and shows the consumer as
# "name"; libgpiod 2's (trixie) wants -c CHIP and shows consumer="name".
chip_info() { if gpioinfo --version | grep -q ' v1\.'; then gpioinfo "$1"; else gpioinfo -c "$1"; fi; }
line_info() { chip_info "$(gpiosim_chip rpi)" | grep "\"GPIO$1\""; }
used_by_daemon() { line_info "$1" | grep -E '"gpio2mqtt|consumer="gpio2mqtt' || { line_info "$1"; false; }; }
journal_has() { journalctl -b --no-pager -u gpio2mqtt | grep -q -- "$1" || { echo "no '$1' in the journal"; false; }; }
write_config() {
  cat > "$cfg" <<EOF
mqtt:
  server: mqtt://127.0.0.1:1883
  base_topic: $base
  status:
    topic: $base/status
    online: '{"status":"On"}'
    offline: '{"status":"Off"}'
chips:
  main:
    label: pinctrl-bcm2711
lines:
  button:
    line: GPIO22
    direction: input
    edge: both
    bias: pull-up
    debounce: 10ms
  relay:
    line: GPIO27
    direction: output
    initial: off
    on_disconnect: off
$*
EOF
}
restarted_from() {  # restarted_from PID: active again under another main PID
  local pid; pid=$(prop MainPID)
  [ "$(prop ActiveState)" = active ] && [ "$pid" != 0 ] && [ "$pid" != "$1" ]
}

# Every helper is exported: the checks' "bash -c" snippets use them too.
export -f $(declare -F | awk '{print $3}')
export base cfg GPIOSIM_CONFIGFS

echo "== boot"
echo "measured: checks started $(cut -d' ' -f1 /proc/uptime) s after the kernel"
check "system up (systemctl is-system-running)" bash -c 'systemctl is-system-running --wait >/dev/null; s=$(systemctl is-system-running); echo "$s"; systemctl --failed --no-pager --plain; [ "$s" = running ]'
echo "measured: $(systemd-analyze 2>&1 | head -1)"
check "mosquitto is active" systemctl is-active mosquitto
check "gpio-sim chip pinctrl-bcm2711 with GPIO0..GPIO27 made at boot" \
  bash -c 'gpiodetect | grep -q "\[pinctrl-bcm2711\] (28 lines)" && chip_info "$(gpiodetect | grep pinctrl-bcm2711 | cut -d" " -f1)" | grep -q "\"GPIO27\"" || { gpiodetect; false; }'

echo "== the README's steps"
useradd -m pi && echo "a file of the user pi" > /home/pi/secret && chmod 644 /home/pi/secret
cp "$W"/gpio2mqtt_*.deb /home/pi/
check "apt-get install ./gpio2mqtt_*.deb" \
  bash -c 'cd /home/pi && DEBIAN_FRONTEND=noninteractive apt-get install -y ./gpio2mqtt_*.deb > /tmp/install.log 2>&1 || { tail -20 /tmp/install.log; false; }'
check "dbus-daemon logged no unknown user or group while the package was installed" \
  bash -c '! journalctl -b --no-pager -u dbus | grep -i "unknown \(user\|group\)"'
check "the package's example config: running, status On retained from mqtt://localhost" \
  wait_for 20 retained_is $base/status '{"status":"On"}'
write_config
check "gpio2mqtt --check-config" gpio2mqtt --check-config "$cfg"
check "systemctl enable --now gpio2mqtt" systemctl enable --now gpio2mqtt
# The package started the service with its example config already: enable --now leaves it running
# so; the README's next line applies the edit.
check "systemctl restart gpio2mqtt" systemctl restart gpio2mqtt

echo "== the unit"
check "the unit is active" wait_for 20 is_active
check "systemctl status shows the daemon's STATUS= line" \
  wait_for 10 bash -c 'systemctl status --no-pager gpio2mqtt | grep -E "Status: \"connected to mqtt://127.0.0.1:1883"'
check "journalctl -p warning works (priority prefixes parsed)" \
  bash -c 'journalctl -b --no-pager -u gpio2mqtt -o verbose | grep -q "PRIORITY=6" && journalctl -b -u gpio2mqtt -p warning --no-pager >/dev/null'
check "/dev/gpiochipN is root:gpio 0660 (the package's udev rule)" \
  bash -c 's=$(stat -c "%U:%G %a" "$(gpiosim_dev rpi)"); echo "$s"; [ "$s" = "root:gpio 660" ]'
check "gpioinfo shows GPIO22 and GPIO27 used by gpio2mqtt" bash -c "used_by_daemon 22 && used_by_daemon 27"

echo "== MQTT"
check "status On, retained" wait_for 10 retained_is $base/status '{"status":"On"}'
check "button state ON retained at start (pulled up)" wait_for 10 retained_is $base/button/state ON
check "command ON switches GPIO27 (read on the kernel line)" \
  bash -c "mosquitto_pub -h 127.0.0.1 -t $base/relay/set -m ON && wait_for 5 kernel_value_is 27 1"
check "command OFF switches it back" \
  bash -c "mosquitto_pub -h 127.0.0.1 -t $base/relay/set -m OFF && wait_for 5 kernel_value_is 27 0"
edge_arrives() {
  # The retained state (ON) arrives first: the subscription is in place before the edge is made.
  mosquitto_sub -h 127.0.0.1 -t $base/button/state -t $base/button/event -C 3 -W 10 > /tmp/event & local sub=$!
  wait_for 5 grep -qx ON /tmp/event || return 1
  gpiosim_pull rpi 22 down
  wait $sub; cat /tmp/event
  grep -q '"edge":"falling"' /tmp/event && wait_for 5 retained_is $base/button/state OFF
}
check "an edge made through gpio-sim arrives (event + state OFF)" edge_arrives
gpiosim_pull rpi 22 up

chip_comes_back() {
  systemctl stop gpiosim-rpi  # removes the chip under the running daemon
  wait_for 10 journal_has "GPIO: "
  local gone=$?
  local cursor; cursor=$(journalctl -u gpio2mqtt -n 0 --show-cursor | sed -n 's/^-- cursor: //p')
  systemctl start gpiosim-rpi && udevadm settle || return 1
  [ $gone -eq 0 ] || return 1
  local t0; t0=$(now)
  wait_for 10 used_by_daemon 22 || return 1
  used_by_daemon 27 || return 1
  # From the journal's time of the daemon's own message, not from polling gpioinfo (slow under
  # emulation); negative when the lines were back before udevadm settle returned.
  local back; back=$(journalctl -u gpio2mqtt --after-cursor "$cursor" -o json --no-pager |
    grep -m1 'the lines are back' | sed -n 's/.*"__REALTIME_TIMESTAMP":"\([0-9]*\)".*/\1/p')
  [ -n "$back" ] || { echo "no 'the lines are back' in the journal"; return 1; }
  local ms=$((back / 1000 - t0))
  echo "measured: lines in use again $ms ms after udev settled"
  [ $ms -le 2000 ]
}
check "a GPIO chip that comes back is used again within 2 s of udev settling" chip_comes_back
check "... and the output works on the new chip" \
  bash -c "mosquitto_pub -h 127.0.0.1 -t $base/relay/set -m ON && wait_for 5 kernel_value_is 27 1 && mosquitto_pub -h 127.0.0.1 -t $base/relay/set -m OFF && wait_for 5 kernel_value_is 27 0"

echo "== the sandbox (probed from the service's cgroup and mount namespace, as root)"
in_sandbox() {
  local pid; pid=$(prop MainPID)
  bash -c 'echo $$ > "/sys/fs/cgroup$(systemctl show -p ControlGroup --value gpio2mqtt)/cgroup.procs" &&
           exec nsenter -t "$0" -m -- "$@"' "$pid" "$@"
}
export -f in_sandbox
check "outside the sandbox, root reads /home/pi/secret and opens /dev/mem (controls)" \
  bash -c 'cat /home/pi/secret >/dev/null && head -c1 /dev/mem >/dev/null'
check "the sandbox cannot read /home (ProtectHome)" bash -c "! in_sandbox cat /home/pi/secret"
check "the sandbox cannot open /dev/mem (DevicePolicy)" bash -c "! in_sandbox head -c1 /dev/mem"
check "the sandbox opens the GPIO chip (DeviceAllow)" bash -c "in_sandbox gpiodetect | grep pinctrl-bcm2711"
check "the sandbox writes its state directory" bash -c "in_sandbox touch /var/lib/gpio2mqtt/probe && rm /var/lib/gpio2mqtt/probe"
check "the sandbox cannot write /etc, /usr, /var/lib, /root (ProtectSystem, ProtectHome)" \
  bash -c "for d in /etc /usr /var/lib /var/log /root; do if in_sandbox touch \$d/probe 2>/dev/null; then echo \"wrote \$d\"; rm -f \$d/probe; exit 1; fi; done"
check "the daemon runs as gpio2mqtt with groups gpio2mqtt gpio, no capabilities" \
  bash -c 'p=$(systemctl show -p MainPID --value gpio2mqtt); s=$(ps -o user:12=,group:12=,supgrp:30= -p $p | xargs); echo "$s"; [ "$s" = "gpio2mqtt gpio2mqtt gpio2mqtt,gpio" ] && grep "CapEff:" /proc/$p/status && grep -q "CapEff:.0000000000000000" /proc/$p/status'

echo "== the system bus"
check "the name io.github.gpio2mqtt is owned by the daemon" \
  bash -c 'busctl status io.github.gpio2mqtt | grep -q "^PID=$(systemctl show -p MainPID --value gpio2mqtt)$"'
check "GetLine works for any user (pi)" runuser -u pi -- busctl call "${D[@]}" GetLine s button
setline_refused() {
  local out; out=$(runuser -u pi -- busctl call "${D[@]}" SetLine sb relay true 2>&1) && { echo "allowed: $out"; return 1; }
  echo "$out" | grep -qi "access denied" || { echo "$out"; return 1; }
  kernel_value_is 27 0
}
check "SetLine is refused to pi (not in the gpio2mqtt group)" setline_refused
check "SetLine is allowed to root (GPIO27 goes high)" \
  bash -c "busctl call ${D[*]} SetLine sb relay true && wait_for 5 kernel_value_is 27 1"
busctl call "${D[@]}" SetLine sb relay false >/dev/null

echo "== reload"
write_config "  door:
    line: GPIO23
    direction: input
    edge: both"
pid_before=$(prop MainPID)
check "systemctl reload re-reads the config (the new line GPIO23 is requested)" \
  bash -c "systemctl reload gpio2mqtt && wait_for 10 used_by_daemon 23"
check "... by the same process (no restart)" test "$(prop MainPID)" = "$pid_before"
cp "$cfg" /tmp/good.yaml
printf 'lines:\n  bad: [\n' >> "$cfg"
check "a broken config on reload keeps the old one running" \
  bash -c "systemctl reload gpio2mqtt; wait_for 10 journal_has config.yaml: && is_active && used_by_daemon 23 && used_by_daemon 27 && [ \$(systemctl show -p MainPID --value gpio2mqtt) = $pid_before ]"
cp /tmp/good.yaml "$cfg"
systemctl reload gpio2mqtt

echo "== restarts"
mkdir -p /etc/systemd/system/gpio2mqtt.service.d
printf '[Service]\nWatchdogSec=3s\n' > /etc/systemd/system/gpio2mqtt.service.d/test-watchdog.conf
systemctl daemon-reload && systemctl restart gpio2mqtt && wait_for 20 is_active >/dev/null
pid=$(prop MainPID)
kill -STOP "$pid"
check "watchdog: a stopped (SIGSTOP) daemon is killed and restarted" \
  bash -c "wait_for 40 restarted_from $pid && journalctl -b --no-pager -u gpio2mqtt | grep -i 'watchdog timeout'"
rm /etc/systemd/system/gpio2mqtt.service.d/test-watchdog.conf
systemctl daemon-reload && systemctl restart gpio2mqtt && wait_for 20 is_active >/dev/null
pid=$(prop MainPID)
kill -9 "$pid"
check "kill -9: restarted" bash -c "wait_for 30 restarted_from $pid"
printf 'no_such_key: 1\n' >> "$cfg"
systemctl restart gpio2mqtt 2>/dev/null
config_error_fails() {
  wait_for 10 bash -c '[ "$(systemctl show -p ActiveState --value gpio2mqtt)" = failed ]' || return 1
  local status restarts; status=$(prop ExecMainStatus) restarts=$(prop NRestarts)
  [ "$status" = 78 ] || { echo "exit status $status"; return 1; }
  # Absence of a restart can only be seen by waiting: twice RestartSec=5s.
  sleep 11
  [ "$(prop ActiveState)" = failed ] && [ "$(prop NRestarts)" = "$restarts" ] ||
    { echo "restarted: $(prop ActiveState), NRestarts $(prop NRestarts) (was $restarts)"; return 1; }
}
check "a config error: the unit fails with 78 and is not restarted" config_error_fails
cp /tmp/good.yaml "$cfg"
systemctl reset-failed gpio2mqtt; systemctl start gpio2mqtt; wait_for 20 is_active >/dev/null

echo "== stop"
mosquitto_pub -h 127.0.0.1 -t $base/relay/set -m ON; wait_for 5 kernel_value_is 27 1 >/dev/null
systemctl stop gpio2mqtt
check "systemctl stop: status Off retained" retained_is $base/status '{"status":"Off"}'
check "systemctl stop: the relay went to on_disconnect (off) and was released" \
  bash -c "! line_info 27 | grep gpio2mqtt && kernel_value_is 27 0"
systemctl start gpio2mqtt; wait_for 20 is_active >/dev/null

echo "== upgrade and purge"
pid=$(prop MainPID)
cp "$cfg" /tmp/edited.yaml
cp "$W"/newer/gpio2mqtt_*.deb /home/pi/
new=$(dpkg-deb -f "$W"/newer/gpio2mqtt_*.deb Version)
check "upgrade with apt-get install ./gpio2mqtt_${new}_*.deb" \
  bash -c "cd /home/pi && DEBIAN_FRONTEND=noninteractive apt-get install -y -o Dpkg::Options::=--force-confdef -o Dpkg::Options::=--force-confold ./gpio2mqtt_${new}_*.deb > /tmp/upgrade.log 2>&1 && [ \"\$(dpkg-query -W -f='\${Version}' gpio2mqtt)\" = '$new' ] || { tail -20 /tmp/upgrade.log; false; }"
check "upgrade: the edited config is kept" cmp /tmp/edited.yaml "$cfg"
check "upgrade: the service was restarted and is active" bash -c "wait_for 20 restarted_from $pid"
uid=$(id -u gpio2mqtt) gid=$(getent group gpio2mqtt | cut -d: -f3)
check "apt-get purge gpio2mqtt" bash -c 'DEBIAN_FRONTEND=noninteractive apt-get purge -y gpio2mqtt > /tmp/purge.log 2>&1 || { tail -20 /tmp/purge.log; false; }'
check "purge: /etc/gpio2mqtt and /var/lib/gpio2mqtt are gone" bash -c '! ls -d /etc/gpio2mqtt /var/lib/gpio2mqtt 2>/dev/null'
check "purge: no file of the gpio2mqtt user or group is left" \
  bash -c "f=\$(find / -xdev \\( -uid $uid -o -gid $gid \\) 2>/dev/null); [ -z \"\$f\" ] || { echo \"\$f\"; false; }"
check "purge: the unit is gone and not failed" bash -c '! systemctl cat gpio2mqtt >/dev/null 2>&1 && ! systemctl --failed --plain --no-legend | grep gpio2mqtt'
getent passwd gpio2mqtt >/dev/null && echo "(note: the gpio2mqtt user is kept after purge, as debian/gpio2mqtt.postrm says)"

echo "== done: $passed passed, $failed failed; system up $(cut -d' ' -f1 /proc/uptime) s"
[ $failed -eq 0 ]; echo $? > "$W/result"

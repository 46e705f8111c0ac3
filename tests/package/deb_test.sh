#!/usr/bin/env bash
# The Debian package, end to end: builds the .deb from a copy of this tree (the tree stays
# clean), runs lintian, then in a clean Debian 12 root made with debootstrap installs it with
# `apt-get install ./gpio2mqtt_*.deb`, checks its files, user and groups, runs the installed
# daemon as its service user with the unit's ExecStart line against a mosquitto on this machine's
# loopback, upgrades it over a changed conffile, removes and purges it.
#   tests/package/deb_test.sh
# As root (debootstrap, chroot, mounts). Talks only to Debian's apt repositories (those this
# machine's apt sources name) and 127.0.0.1. The root is cached in $GPIO2MQTT_DEB_CACHE
# (default /var/cache/gpio2mqtt-test): bookworm-root, refreshed once a day, and apt-archives.
# GPIO2MQTT_DEB_KEEP=1 keeps the work directory. GPIO2MQTT_DEB=/path/gpio2mqtt_*.deb tests that
# package instead of building one (lintian then reads it, or its .changes when one is beside it).
set -euo pipefail
GPIO2MQTT_ROOT=$(cd "$(dirname "$0")/../.." && pwd)
. "$GPIO2MQTT_ROOT/scripts/lib/common.sh"
. "$GPIO2MQTT_ROOT/tests/package/lib.sh"

[ "$(id -u)" -eq 0 ] || exec sudo -E "$0" "$@"  # debootstrap, chroot, mount
suite=bookworm
cache=${GPIO2MQTT_DEB_CACHE:-/var/cache/gpio2mqtt-test}
started=$SECONDS
phase_started=$SECONDS
phase() {  # phase NAME: logs the time the previous phase took, then NAME
  [ -z "${phase_name:-}" ] || printf '  (%s: %d s)\n' "$phase_name" $((SECONDS - phase_started))
  phase_name=$1 phase_started=$SECONDS
  log "deb package: $1"
}

work=$(mktemp -d /tmp/gpio2mqtt-deb-test.XXXXXX)
root=$work/root
broker=
daemon=
# Every mount under $work, deepest first; the work directory is deleted only when none is left,
# so that rm never reaches the host's /dev through a bind mount.
unmount_all() {
  local m
  for m in $(findmnt -rn -o TARGET | grep -F "$work/" | sort -r); do
    umount "$m" 2>/dev/null || umount -l "$m" || true
  done
}
cleanup() {
  [ -z "$daemon" ] || kill "$daemon" 2>/dev/null || true
  [ -z "$broker" ] || kill "$broker" 2>/dev/null || true
  unmount_all
  if findmnt -rn -o TARGET | grep -qF "$work/"; then
    log "mounts left under $work: not deleting it"
  elif [ "${GPIO2MQTT_DEB_KEEP:-0}" = 1 ]; then
    log "kept $work"
  else
    rm -rf "$work"
  fi
}
trap cleanup EXIT

in_root() { chroot "$root" "$@"; }
apt_in_root() {
  in_root env DEBIAN_FRONTEND=noninteractive LC_ALL=C.UTF-8 apt-get -q -y \
    -o Dpkg::Use-Pty=0 -o APT::Install-Recommends=false "$@"
}

phase "build dependencies"
ensure_packages dpkg-dev debhelper lintian debootstrap mosquitto mosquitto-clients python3 \
  util-linux
if ! (cd "$GPIO2MQTT_ROOT" && dpkg-checkbuilddeps >/dev/null 2>&1); then
  log "installing the build dependencies (apt-get build-dep)"
  (cd "$GPIO2MQTT_ROOT" && DEBIAN_FRONTEND=noninteractive apt-get build-dep -y -qq ./ >/dev/null)
fi

# Builds the .deb from a copy of the tree's files (tracked and new, not ignored, when it is a git
# checkout; else all of it but build directories) into $work.
build_deb() {
  mkdir -p "$work/src"
  if git -C "$GPIO2MQTT_ROOT" rev-parse --git-dir >/dev/null 2>&1; then
    (cd "$GPIO2MQTT_ROOT" && git ls-files -z -c -o --exclude-standard |
      xargs -0 -I{} sh -c '[ -e "$1" ] && printf "%s\0" "$1"' _ {} |
      tar --null -T - -cf -) | tar -xf - -C "$work/src"
  else
    tar -C "$GPIO2MQTT_ROOT" --exclude='./build*' --exclude='./obj-*' -cf - . | tar -xf - -C "$work/src"
  fi
  # Through ccache (scripts/lib/common.sh) when it is there: /usr/lib/ccache holds its compiler
  # names; paths are hashed relative to $work, whose name changes every run.
  local path=$PATH
  compiler_cache_enabled && path=/usr/lib/ccache:$PATH
  if ! (cd "$work/src" && PATH=$path CCACHE_BASEDIR=$work dpkg-buildpackage -us -uc -b -j"$(nproc)") \
      > "$work/build.log" 2>&1; then
    tail -60 "$work/build.log"
    log "dpkg-buildpackage failed (log above)"
    exit 1
  fi
  grep -E 'tests passed, [0-9]+ tests failed out of' "$work/build.log" | sed 's/^/  dh_auto_test: /' || true
}
if [ -n "${GPIO2MQTT_DEB:-}" ]; then
  phase "using $GPIO2MQTT_DEB"
  cp "$GPIO2MQTT_DEB" "$work/"
  lintian_input=$(ls "$(dirname "$GPIO2MQTT_DEB")"/gpio2mqtt_*.changes 2>/dev/null | head -1 || true)
  lintian_input=${lintian_input:-$GPIO2MQTT_DEB}
else
  phase "building the .deb in $work/src"
  build_deb
  lintian_input=$(ls "$work"/gpio2mqtt_*.changes)
fi
deb=$(ls "$work"/gpio2mqtt_*.deb)
check "dpkg-buildpackage made one gpio2mqtt .deb" test "$(echo "$deb" | wc -l)" -eq 1
version=$(dpkg-deb -f "$deb" Version)
printf '  %s: %s bytes, Installed-Size %s KiB\n' "$(basename "$deb")" "$(stat -c %s "$deb")" \
  "$(dpkg-deb -f "$deb" Installed-Size)"

phase "lintian"
lintian_rc=0
lintian --fail-on warning --pedantic -i "$lintian_input" > "$work/lintian.log" 2>&1 ||
  lintian_rc=$?
# (lintian's advice not to run it as root: this script needs root for the chroot.)
grep -v 'running with root privileges is not recommended' "$work/lintian.log" | sed 's/^/  lintian: /' || true
printf '  lintian: %s tags\n' "$(grep -cE '^[EWIPX]: ' "$work/lintian.log" || true)"
check "lintian --pedantic: no error, no warning" test "$lintian_rc" -eq 0

phase "a clean $suite root"
if [ ! -f "$cache/bookworm-root/.complete" ]; then
  mirror=$(python3 "$GPIO2MQTT_ROOT/tests/package/debian_sources.py" mirror $suite) || {
    log "no Debian repository for $suite in this machine's apt sources"; exit 1; }
  log "debootstrap $suite from $mirror into $cache/bookworm-root (cached for later runs)"
  rm -rf "$cache/bookworm-root.new"
  mkdir -p "$cache"
  debootstrap --variant=minbase $suite "$cache/bookworm-root.new" "$mirror" > "$work/debootstrap.log" 2>&1 ||
    { tail -30 "$work/debootstrap.log"; exit 1; }
  rm -rf "$cache/bookworm-root"
  mv "$cache/bookworm-root.new" "$cache/bookworm-root"
  touch "$cache/bookworm-root/.complete" -d @0
fi
# Once a day: this machine's Debian sources (updates and security too), apt-get update, upgrade.
if [ -n "$(find "$cache/bookworm-root/.complete" -mmin +1440)" ]; then
  log "refreshing the cached root"
  python3 "$GPIO2MQTT_ROOT/tests/package/debian_sources.py" sources $suite \
    > "$cache/bookworm-root/etc/apt/sources.list.d/debian.sources"
  rm -f "$cache/bookworm-root/etc/apt/sources.list"
  printf '#!/bin/sh\nexit 101\n' > "$cache/bookworm-root/usr/sbin/policy-rc.d"  # no daemons in here
  chmod 755 "$cache/bookworm-root/usr/sbin/policy-rc.d"
  mount -t proc proc "$cache/bookworm-root/proc"
  refresh_rc=0
  (root=$cache/bookworm-root; apt_in_root update && apt_in_root dist-upgrade && apt_in_root clean) \
    > "$work/refresh.log" 2>&1 || refresh_rc=$?
  umount "$cache/bookworm-root/proc"
  [ $refresh_rc -eq 0 ] || { tail -30 "$work/refresh.log"; exit 1; }
  touch "$cache/bookworm-root/.complete"
fi
cp -a "$cache/bookworm-root" "$root"
mkdir -p "$cache/apt-archives/partial" "$root/tmp/pkg"
mount -t proc proc "$root/proc"
mount --bind /dev "$root/dev"
mount --bind "$cache/apt-archives" "$root/var/cache/apt/archives"  # downloads kept across runs
cp "$deb" "$root/tmp/pkg/"

phase "apt-get install ./$(basename "$deb")"
if ! in_root sh -c "cd /tmp/pkg && DEBIAN_FRONTEND=noninteractive apt-get -q -y -o Dpkg::Use-Pty=0 \
    -o APT::Install-Recommends=false install ./$(basename "$deb")" > "$work/install.log" 2>&1; then
  tail -40 "$work/install.log"; log "apt-get install failed"; exit 1
fi
check "the package is installed, version $version" \
  bash -c '[ "$(chroot "$1" dpkg-query -W -f="\${Status} \${Version}" gpio2mqtt)" = "install ok installed $2" ]' \
  _ "$root" "$version"
for f in /usr/sbin/gpio2mqtt /lib/systemd/system/gpio2mqtt.service \
    /usr/share/dbus-1/system.d/io.github.gpio2mqtt.conf /etc/gpio2mqtt/config.yaml \
    /lib/udev/rules.d/60-gpio2mqtt.rules /usr/lib/sysusers.d/gpio2mqtt.conf \
    /usr/share/man/man8/gpio2mqtt.8.gz /usr/share/man/man5/gpio2mqtt.yaml.5.gz \
    /usr/share/doc/gpio2mqtt/copyright /usr/share/doc/gpio2mqtt/README.Debian; do
  check "installed: $f" test -f "$root$f"
done
check "/etc/gpio2mqtt/config.yaml is a conffile" \
  bash -c 'chroot "$1" dpkg-query -W -f="\${Conffiles}" gpio2mqtt | grep -q "^ /etc/gpio2mqtt/config.yaml "' _ "$root"
check "the user gpio2mqtt: system, no login, home /var/lib/gpio2mqtt" \
  bash -c 'IFS=: read -r _ _ uid _ _ home shell < <(chroot "$1" getent passwd gpio2mqtt) &&
    [ "$uid" -lt 1000 ] && [ "$home" = /var/lib/gpio2mqtt ] && [ "$shell" = /usr/sbin/nologin ]' _ "$root"
check "the groups gpio2mqtt and gpio exist" in_root getent group gpio2mqtt gpio
check "gpio2mqtt is in the group gpio" \
  bash -c 'chroot "$1" id -nG gpio2mqtt | tr " " "\n" | grep -qx gpio' _ "$root"
# (stat inside the root: its user and group names, not this machine's.)
stat_is() { [ "$(in_root stat -c '%U:%G %a' "$1")" = "$2" ] || { in_root stat -c '%n %U:%G %a' "$1"; return 1; }; }
check "/etc/gpio2mqtt is root:gpio2mqtt 750" stat_is /etc/gpio2mqtt "root:gpio2mqtt 750"
check "config.yaml is root:gpio2mqtt 640" stat_is /etc/gpio2mqtt/config.yaml "root:gpio2mqtt 640"
check "the unit is enabled (multi-user.target wants it)" \
  test -L "$root/etc/systemd/system/multi-user.target.wants/gpio2mqtt.service"
check "gpio2mqtt --version says $version" \
  bash -c '[ "$(chroot "$1" gpio2mqtt --version)" = "gpio2mqtt $2" ]' _ "$root" "$version"
as_service_user() { chroot "$root" setpriv --reuid=gpio2mqtt --regid=gpio2mqtt --init-groups -- "$@"; }
check "the service user can read and check the shipped config" \
  as_service_user gpio2mqtt --check-config /etc/gpio2mqtt/config.yaml
if [ -x "$root/usr/bin/systemd-analyze" ]; then
  check "systemd-analyze verify accepts the installed unit (in the root)" \
    no_output in_root systemd-analyze verify --man=no gpio2mqtt.service
  check "systemd-analyze security scores 2.0 or better (in the root)" \
    in_root systemd-analyze security --offline=yes --threshold=20 /lib/systemd/system/gpio2mqtt.service
else
  log "no systemd in the root: systemd-analyze not run there"
fi

phase "the installed daemon, as gpio2mqtt, with the unit's ExecStart"
port=$(free_port)
printf 'listener %s 127.0.0.1\nallow_anonymous true\npersistence false\n' "$port" > "$work/mosquitto.conf"
/usr/sbin/mosquitto -c "$work/mosquitto.conf" > "$work/mosquitto.log" 2>&1 &
broker=$!
wait_for_port "$port" || { cat "$work/mosquitto.log"; exit 1; }
# The admin's edit of the conffile: a simulated chip whose relay drives the button.
cat > "$root/etc/gpio2mqtt/config.yaml" <<YAML
# changed by deb_test.sh
mqtt:
  server: mqtt://127.0.0.1:$port
  base_topic: raspberry
chips:
  main:
    simulated:
      lines: [GPIO22, GPIO27]
      wires: {GPIO27: GPIO22}
lines:
  button: {line: GPIO22, direction: input}
  relay: {line: GPIO27, direction: output, on_disconnect: off}
YAML
cp "$root/etc/gpio2mqtt/config.yaml" "$work/changed-config.yaml"
# What systemd would make for StateDirectory=, so that purge has something to remove.
install -d -o "$(in_root id -u gpio2mqtt)" -g "$(in_root id -g gpio2mqtt)" -m 0750 "$root/var/lib/gpio2mqtt"
install -o "$(in_root id -u gpio2mqtt)" -g "$(in_root id -g gpio2mqtt)" -m 0600 /dev/null "$root/var/lib/gpio2mqtt/state"
exec_start=$(sed -n 's/^ExecStart=//p' "$root/lib/systemd/system/gpio2mqtt.service")
sub() { timeout 15 mosquitto_sub -h 127.0.0.1 -p "$port" -W 10 "$@"; }
sub -t raspberry/status -C 1 > "$work/status-on" 2>&1 &
status_sub=$!
sleep 0.3
# ExecStart is split into words as systemd does (it has no quotes). chroot and setpriv exec, so
# $! is the daemon's pid.
# shellcheck disable=SC2086
chroot "$root" setpriv --reuid=gpio2mqtt --regid=gpio2mqtt --init-groups -- $exec_start \
  > "$work/daemon.log" 2>&1 &
daemon=$!
wait "$status_sub" || true
check "it publishes {\"status\":\"On\"} on raspberry/status" \
  bash -c '[ "$(cat "$1")" = "{\"status\":\"On\"}" ] || { cat "$1" "$2"; false; }' _ "$work/status-on" "$work/daemon.log"
mosquitto_pub -h 127.0.0.1 -p "$port" -t raspberry/relay/set -m ON
sleep 0.5
check "a relay command reaches the wired button (raspberry/button/state ON)" \
  bash -c '[ "$(timeout 15 mosquitto_sub -h 127.0.0.1 -p "$1" -W 10 -t raspberry/button/state -C 1)" = ON ]' _ "$port"
sub -t raspberry/status -C 2 > "$work/status-off" 2>&1 &  # the retained On, then Off
status_sub=$!
sleep 0.3
kill -TERM "$daemon"
daemon_rc=0
wait "$daemon" || daemon_rc=$?
daemon=
wait "$status_sub" || true
check "SIGTERM: it exits with 0 and publishes {\"status\":\"Off\"}" \
  bash -c '[ "$1" -eq 0 ] && [ "$(tail -1 "$2")" = "{\"status\":\"Off\"}" ] || { echo "exit $1"; cat "$2" "$3"; false; }' \
  _ "$daemon_rc" "$work/status-off" "$work/daemon.log"
kill "$broker" 2>/dev/null || true
wait "$broker" 2>/dev/null || true
broker=

phase "upgrade over a changed conffile"
# The same package as a newer version whose example config changed too: dpkg must keep the
# admin's file (--force-confold, as an admin answering "keep" would) and leave the new one
# beside it as config.yaml.dpkg-dist.
new_version="$version+upgradetest1"
dpkg-deb -R "$deb" "$work/repack"
sed -i "s/^Version: .*/Version: $new_version/" "$work/repack/DEBIAN/control"
echo "# a line added in $new_version" >> "$work/repack/etc/gpio2mqtt/config.yaml"
(cd "$work/repack" && find . -type f ! -path './DEBIAN/*' -printf '%P\0' | xargs -0 md5sum) \
  > "$work/repack/DEBIAN/md5sums"
dpkg-deb --root-owner-group -b "$work/repack" "$root/tmp/pkg/gpio2mqtt_${new_version}_amd64.deb" >/dev/null
if ! in_root sh -c "cd /tmp/pkg && DEBIAN_FRONTEND=noninteractive apt-get -q -y -o Dpkg::Use-Pty=0 \
    -o Dpkg::Options::=--force-confdef -o Dpkg::Options::=--force-confold \
    install ./gpio2mqtt_${new_version}_amd64.deb" > "$work/upgrade.log" 2>&1; then
  tail -40 "$work/upgrade.log"; log "the upgrade failed"; exit 1
fi
check "upgraded to $new_version" \
  bash -c '[ "$(chroot "$1" dpkg-query -W -f="\${Version}" gpio2mqtt)" = "$2" ]' _ "$root" "$new_version"
check "the changed conffile is kept" cmp "$work/changed-config.yaml" "$root/etc/gpio2mqtt/config.yaml"
check "the new example is beside it as config.yaml.dpkg-dist" \
  grep -q "a line added in" "$root/etc/gpio2mqtt/config.yaml.dpkg-dist"
check "/etc/gpio2mqtt is still root:gpio2mqtt 750" stat_is /etc/gpio2mqtt "root:gpio2mqtt 750"
check "config.yaml is still root:gpio2mqtt 640" stat_is /etc/gpio2mqtt/config.yaml "root:gpio2mqtt 640"
check "the unit is still enabled" \
  test -L "$root/etc/systemd/system/multi-user.target.wants/gpio2mqtt.service"

phase "remove, then purge"
apt_in_root remove gpio2mqtt > "$work/remove.log" 2>&1 || { tail -30 "$work/remove.log"; exit 1; }
check "remove: the binary is gone" test ! -e "$root/usr/sbin/gpio2mqtt"
check "remove: the changed config stays" cmp "$work/changed-config.yaml" "$root/etc/gpio2mqtt/config.yaml"
uid=$(in_root id -u gpio2mqtt)
gid=$(in_root getent group gpio2mqtt | cut -d: -f3)
apt_in_root purge gpio2mqtt > "$work/purge.log" 2>&1 || { tail -30 "$work/purge.log"; exit 1; }
rm -rf "$root/tmp/pkg"
check "purge: dpkg forgot the package" \
  bash -c '! chroot "$1" dpkg-query -W -f="\${Status}\n" gpio2mqtt 2>/dev/null | grep -q .' _ "$root"
for f in /etc/gpio2mqtt /var/lib/gpio2mqtt /lib/systemd/system/gpio2mqtt.service \
    /etc/systemd/system/multi-user.target.wants/gpio2mqtt.service \
    /usr/share/dbus-1/system.d/io.github.gpio2mqtt.conf /lib/udev/rules.d/60-gpio2mqtt.rules; do
  check "purge: $f is gone" test ! -e "$root$f"
done
check "purge: no file named *gpio2mqtt* is left in the root" \
  bash -c 'found=$(find "$1" -xdev -name "*gpio2mqtt*" | sed "s#^$1##"); [ -z "$found" ] || { echo "$found"; false; }' \
  _ "$root"
check "purge: no file owned by the gpio2mqtt user or group is left" \
  bash -c 'found=$(find "$1" -xdev \( -uid "$2" -o -gid "$3" \) | sed "s#^$1##"); [ -z "$found" ] || { echo "$found"; false; }' \
  _ "$root" "$uid" "$gid"
phase "done"
printf '  deb_test.sh took %d s\n' $((SECONDS - started))
finish "package tests"

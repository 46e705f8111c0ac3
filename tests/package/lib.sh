# Shared by tests/package/*.sh: named checks that count, and a closing "N passed, N failed" line.
# Sourced, not run; needs scripts/lib/common.sh (log) first.

pkg_passed=0
pkg_failed=0
pkg_failures=()

# check NAME COMMAND [ARGS...]: runs the command, prints "ok"/"FAILED" with NAME; its output is
# shown only when it fails.
check() {
  local name=$1 out; shift
  if out=$("$@" 2>&1); then
    pkg_passed=$((pkg_passed + 1))
    printf '  ok      %s\n' "$name"
  else
    pkg_failed=$((pkg_failed + 1))
    pkg_failures+=("$name")
    printf '  FAILED  %s\n' "$name"
    [ -n "$out" ] && printf '%s\n' "$out" | sed 's/^/          | /'
  fi
  return 0
}

# no_output COMMAND [ARGS...]: succeeds when the command exits 0 and prints nothing.
no_output() {
  local out
  out=$("$@" 2>&1) || { printf '%s\n' "$out"; return 1; }
  [ -z "$out" ] || { printf '%s\n' "$out"; return 1; }
}

# finish LABEL: the closing line; exit status 1 when a check failed.
finish() {
  [ $pkg_failed -eq 0 ] || log "$1: failed: ${pkg_failures[*]}"
  echo "$1: $pkg_passed passed, $pkg_failed failed"
  [ $pkg_failed -eq 0 ]
}

# repack_newer_version DEB VERSION DIR: writes DIR/gpio2mqtt_VERSION_ARCH.deb, the same package as
# DEB under VERSION, whose example config has one more line (so an upgrade meets a changed conffile).
repack_newer_version() {
  local deb=$1 version=$2 dir=$3 tree
  tree=$(mktemp -d)
  dpkg-deb -R "$deb" "$tree/pkg"
  sed -i "s/^Version: .*/Version: $version/" "$tree/pkg/DEBIAN/control"
  echo "# a line added in $version" >> "$tree/pkg/etc/gpio2mqtt/config.yaml"
  (cd "$tree/pkg" && find . -type f ! -path './DEBIAN/*' -printf '%P\0' | xargs -0 md5sum) \
    > "$tree/pkg/DEBIAN/md5sums"
  mkdir -p "$dir"
  dpkg-deb --root-owner-group -b "$tree/pkg" \
    "$dir/gpio2mqtt_${version}_$(dpkg-deb -f "$deb" Architecture).deb" >/dev/null
  rm -rf "$tree"
}

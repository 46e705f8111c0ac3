# Shared by scripts/demo and scripts/test: installing what is missing, building, free ports.
# Sourced, not run.

# Debian 12 packages needed to build and test (runtime libraries come with the -dev packages).
GPIO2MQTT_BUILD_DEPS=(
  cmake ninja-build pkgconf g++ make ccache
  libpaho-mqttpp-dev libpaho-mqtt-dev libssl-dev libgpiod-dev libsdbus-c++-dev libsdbus-c++-bin
  libsystemd-dev libyaml-cpp-dev libspdlog-dev libfmt-dev
)
GPIO2MQTT_TEST_DEPS=(libgtest-dev libgmock-dev mosquitto mosquitto-clients dbus-daemon gpiod libbenchmark-dev)
# tests/integration/real_clients_test.cc: clients nobody on the project wrote (python3-paho-mqtt,
# and MQTT.js and the aedes broker from npm, see ensure_npm_packages); nodejs from Debian unless a
# node is already there (NodeSource's nodejs carries its own npm and conflicts with Debian's).
GPIO2MQTT_CLIENT_TEST_DEPS=(python3-paho-mqtt)
# tests/cluster (label cluster) and scripts/bench --scenario fleet: a RabbitMQ cluster of three
# nodes on loopback (tests/support/harness/rabbitmq_cluster.h). Under systemd the package also starts
# Debian's own rabbitmq-server service; the tests use their own nodes, ports and epmd.
GPIO2MQTT_CLUSTER_TEST_DEPS=(rabbitmq-server)
# npm packages, pinned, kept outside the tree (the tests look there too).
GPIO2MQTT_NPM_CACHE=${GPIO2MQTT_NPM_CACHE:-/var/cache/gpio2mqtt-npm}
GPIO2MQTT_NPM_PACKAGES=(mqtt@5.16.0 aedes@0.51.3)
# bench/ (scripts/bench; scripts/test builds it too and runs its 2-second smoke): Google Benchmark;
# libmosquitto-dev for the C bridge of the floors (bench/floor, scripts/bench --vm), the Python packages
# for its seed-style Python peer.
GPIO2MQTT_BENCH_DEPS=(libbenchmark-dev mosquitto libmosquitto-dev python3-paho-mqtt python3-libgpiod)
# fuzz/: the libFuzzer targets are built with clang, whose fuzzer and sanitizer runtimes these are.
GPIO2MQTT_FUZZ_DEPS=(clang libclang-rt-14-dev)
# tests/package/unit_test.sh: the unit, the D-Bus policy, the man pages (deb_test.sh installs its own).
GPIO2MQTT_PACKAGE_TEST_DEPS=(systemd procps libxml2-utils lowdown man-db)

# Compiles go through ccache, whose cache is kept between runs in GPIO2MQTT_CCACHE_DIR (default
# /var/cache/gpio2mqtt-ccache), like the test roots in /var/cache/gpio2mqtt-test: on two cores
# compiling is most of what scripts/test costs, and most files did not change since the last run.
# One cache per root that compiles (host, and each chroot: tests/platforms/lib.sh, platform_ccache).
# Paths below the tree are hashed relative to it, so clones elsewhere share the cache. Objects
# taken from the cache may name another clone's directory in their debug information; nothing
# that is shipped is built this way but by dpkg-buildpackage. GPIO2MQTT_CCACHE=0: no cache.
GPIO2MQTT_CCACHE_DIR=${GPIO2MQTT_CCACHE_DIR:-/var/cache/gpio2mqtt-ccache}
if [ "${GPIO2MQTT_CCACHE:-1}" != 0 ]; then
  export CCACHE_DIR=$GPIO2MQTT_CCACHE_DIR/host CCACHE_BASEDIR=$GPIO2MQTT_ROOT CCACHE_NOHASHDIR=true \
    CCACHE_MAXSIZE=${CCACHE_MAXSIZE:-4G}
fi
compiler_cache_enabled() { [ "${GPIO2MQTT_CCACHE:-1}" != 0 ] && command -v ccache >/dev/null; }
# The cmake arguments that put ccache in front of the compilers (none without it).
compiler_cache_args() {
  compiler_cache_enabled && echo -DCMAKE_C_COMPILER_LAUNCHER=ccache -DCMAKE_CXX_COMPILER_LAUNCHER=ccache
  return 0
}

log() { printf '\033[1m==> %s\033[0m\n' "$*" >&2; }

# Installs the packages that are not installed yet (apt-get, as root or through sudo).
ensure_packages() {
  local missing=()
  for p in "$@"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  log "installing ${missing[*]}"
  local sudo=()
  [ "$(id -u)" -eq 0 ] || sudo=(sudo)
  export DEBIAN_FRONTEND=noninteractive
  # Fresh machines have empty package lists; refresh them once, not on every run.
  if [ -z "$(find /var/lib/apt/lists -maxdepth 1 -name '*Packages*' -mmin -1440 2>/dev/null | head -1)" ]; then
    "${sudo[@]}" apt-get update -qq
  fi
  "${sudo[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
}

# Installs node and npm if missing, then GPIO2MQTT_NPM_PACKAGES into GPIO2MQTT_NPM_CACHE unless
# the pinned versions are there already.
ensure_npm_packages() {
  command -v node >/dev/null || ensure_packages nodejs
  command -v npm >/dev/null || ensure_packages npm
  local missing=() spec name have
  for spec in "${GPIO2MQTT_NPM_PACKAGES[@]}"; do
    name=${spec%@*}
    have=$(node -p "require('$GPIO2MQTT_NPM_CACHE/node_modules/$name/package.json').version" 2>/dev/null || true)
    [ "$name@$have" = "$spec" ] || missing+=("$spec")
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  log "installing ${missing[*]} from npm into $GPIO2MQTT_NPM_CACHE"
  local sudo=()
  [ "$(id -u)" -eq 0 ] || sudo=(sudo)
  "${sudo[@]}" mkdir -p "$GPIO2MQTT_NPM_CACHE"
  "${sudo[@]}" npm install --prefix "$GPIO2MQTT_NPM_CACHE" --no-audit --no-fund --loglevel=error \
    "${GPIO2MQTT_NPM_PACKAGES[@]}" >/dev/null
}

# configure_and_build DIR [cmake args...]
configure_and_build() {
  local dir=$1; shift
  # shellcheck disable=SC2046  # the launcher arguments are words
  cmake -S "$GPIO2MQTT_ROOT" -B "$dir" -G Ninja $(compiler_cache_args) "$@" >/dev/null
  ninja -C "$dir"
}

# A TCP port on 127.0.0.1 that is free right now.
free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# Waits up to $2 seconds (default 10) until 127.0.0.1:$1 accepts connections.
wait_for_port() {
  local port=$1 deadline=$((SECONDS + ${2:-10}))
  while [ $SECONDS -lt $deadline ]; do
    (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null && return 0
    sleep 0.05
  done
  return 1
}

// The floors of scripts/bench --vm, in the same VM boot as gpio2mqtt: a kernel reader alone
// (libgpiod, no MQTT) and a minimal single-threaded C bridge (libgpiod 1.x or 2.x + libmosquitto,
// one poll loop, "ON"/"OFF" at QoS 0), both bench/floor/c_bridge.c, and that bridge over
// paho.mqtt.c (the library gpio2mqtt publishes through), each on a fresh gpio-sim line toggled as
// gpio2mqtt's is. Every figure of gpio2mqtt is then shown as a ratio to the C bridge's. Beside
// them, the bridge a user would write from the seed tutorial in Python (bench/floor/seed_bridge.py)
// and gpio2mqtt itself with a line that publishes only its state (edge: none) at QoS 0: one
// message per edge, as the C bridge sends, where a default line sends two (state and event).
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <vector>

#include "scenario.h"
#include "stats.h"

namespace gpio2mqtt::bench {

// One peer at one rate.
struct PeerRate {
  double hz = 0;
  std::uint64_t sent = 0, received = 0;  // edges made; events read (reader) or messages received
  Percentiles latency;                   // just before the sysfs write -> read / received, n-th to n-th
  double cpu_ms_per_edge = 0;
};

struct FloorRun {
  // By options.rates. paho311, paho5: the C bridge over paho.mqtt.c; seed: the seed-style Python
  // bridge (floor/seed_bridge.py); lean: gpio2mqtt, edge: none; lean_before: the same with
  // options.before_daemon, when given.
  std::vector<PeerRate> reader, bridge, paho311, paho5, seed, lean, lean_before;
};

// Empty when the floors cannot run in this build (libgpiod 2.x: the C bridge is written for 1.x).
std::string why_no_floors();
FloorRun run_floors(Scenario& scenario, const Options& options, int index);

// The side-by-side table: median over the runs of each figure, and its ratio to the C bridge's.
void print_floors(const Options& options, const std::vector<FloorRun>& floors,
                  const std::vector<std::array<QosRun, 2>>& runs);

}  // namespace gpio2mqtt::bench

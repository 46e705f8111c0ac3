// Sensors beside lines: the daemon's edge and command latency without sensors and with 20 of
// them read every second, one a thermometer whose every read blocks 750 ms (a FIFO the bench
// answers late, as a DS18B20's conversion does), each run by its own daemon on the same broker.
// The reads run off the loop thread: the latencies with sensors should stay within 1.1x.
#pragma once

#include <vector>

#include "scenario.h"

namespace gpio2mqtt::bench {

inline constexpr int kBenchSensors = 20;
inline constexpr double kSlowReadS = 0.75;

struct SensorsRun {
  QosRun without, with;
  std::size_t slow_reads = 0;  // reads of the slow sensor answered during the run with sensors
};

// QoS 1, both daemons; the sensors' sysfs tree is a directory of the run.
SensorsRun run_sensors(Scenario& scenario, const Options& options, int index);
// The table: p50 and p99 of edge (at each rate) and command latency, without and with, and the ratios.
void print_sensors(const std::vector<SensorsRun>& runs);

}  // namespace gpio2mqtt::bench

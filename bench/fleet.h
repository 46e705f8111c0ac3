// A fleet on a clustered broker (--scenario fleet, not in the default set: it starts a
// three-node RabbitMQ cluster and tens of daemons): every board with its own identity and base
// topic on a simulated chip, an edge 5 times a second each at QoS 1 with a persisted outbox, the
// node list shuffled per board. One node is SIGKILLed, later the whole cluster restarted, twice:
// with the reconnect jitter and without. A subscriber with a persistent session on the first node
// checks every board's per-line sequence numbers; the daemons' logs give the connect times.
#pragma once

#include <cstddef>
#include <map>
#include <string>
#include <vector>

#include "scenario.h"

namespace gpio2mqtt::bench {

struct FleetRestart {
  bool jitter = true;
  double all_back_s = 0;         // from the first board connected again to the last
  int peak_connects_per_s = 0;   // successful connects in the busiest second
  int peak_attempts_per_s = 0;   // connect attempts (failed ones too) in the busiest second
  std::map<long, int> connects;  // per second from the first board connected again
  std::size_t boards_back = 0;
};

struct FleetRun {
  std::size_t boards = 0;
  double cluster_start_s = 0;
  std::size_t on_stopped_node = 0;                   // boards connected to the node that was stopped
  double failover_max_s = 0, failover_median_s = 0;  // node SIGKILLed -> board connected elsewhere
  std::size_t failed_over = 0;
  std::vector<FleetRestart> restarts;
  std::uint64_t edges = 0, received = 0, lost = 0, reordered = 0, duplicates = 0;
  double idle_cpu_percent = 0;  // per daemon, mean over the fleet at idle
  long rss_kb = 0, pss_kb = 0;  // per daemon, mean
};

FleetRun run_fleet(const Options& options);
void print_fleet(const FleetRun& run);

}  // namespace gpio2mqtt::bench

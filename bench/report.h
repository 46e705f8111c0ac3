// The table: every figure as the median of the runs, its ratio to the limit measured in the same
// run (the median of those ratios), and whether the targets are met.
#pragma once

#include <array>
#include <string>
#include <vector>

#include "micro.h"
#include "scenario.h"

namespace gpio2mqtt::bench {

struct Results {
  std::vector<std::array<QosRun, 2>> runs;  // [run][qos]
  IdleResult idle;
  std::vector<MicroResult> micro;
};

// Prints the tables and the targets; true when every target is met.
bool print_report(const Options& options, const Results& results);

// "2026-11-25 23:40 UTC, Debian 12.11, kernel 6.1.0-..., 2 x Intel(R) Xeon(R) ...".
std::string machine_description();

}  // namespace gpio2mqtt::bench

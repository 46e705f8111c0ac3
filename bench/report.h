// The table: every figure as the median of the runs, its ratio to the limit measured in the same
// run (the median of those ratios), and whether the targets are met.
#pragma once

#include <array>
#include <string>
#include <vector>

#include "counter.h"
#include "micro.h"
#include "scale.h"
#include "scenario.h"

namespace gpio2mqtt::bench {

struct Results {
  std::vector<std::array<QosRun, 2>> runs;  // [run][qos]
  IdleResult idle;
  std::vector<MicroResult> micro;
  std::vector<CounterRun> counter;  // one per run
  std::vector<ScaleRun> scale;      // one per run
};

// The targets, met or missed, listed at the end of the report.
class Targets {
 public:
  void add(bool ok, const std::string& text);
  void print() const;
  bool all() const { return all_; }

 private:
  bool all_ = true;
  std::vector<std::string> lines_;
};

// Prints the tables and the targets; true when every target is met.
bool print_report(const Options& options, const Results& results);

// The sections of the counter and scale scenarios (report_scenarios.cc); nothing without runs.
void print_counter_report(const Options& options, const std::vector<CounterRun>& runs, Targets& targets);
void print_scale_report(const Options& options, const std::vector<ScaleRun>& runs, Targets& targets);

// "2026-11-25 23:40 UTC, Debian 12.11, kernel 6.1.0-..., 2 x Intel(R) Xeon(R) ...".
std::string machine_description();

}  // namespace gpio2mqtt::bench

// Google Benchmark micro-benchmarks of the daemon's hot path, run in-process.
#pragma once

#include <string>
#include <vector>

namespace gpio2mqtt::bench {

struct MicroResult {
  std::string name;
  double ns_per_op = 0;  // real time per iteration
};

// Runs the micro-benchmarks (Google Benchmark flags in argv are honoured; it removes them).
std::vector<MicroResult> run_micro(int& argc, char** argv, bool smoke);

}  // namespace gpio2mqtt::bench

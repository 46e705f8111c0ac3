// Issue 23's benchmark: a local binding's input edge -> output edge, in the daemon alone (no
// broker on the way). On the host, a simulated chip whose output is wired to an input: both edge
// timestamps come from the daemon's events. In the gpio-sim VM (--kernel), the input's kernel
// timestamp (from the daemon's event) against the output line's write as the kernel's
// gpio:gpio_value tracepoint records it (gpio-sim has no wires), beside the reference measured
// alike in the same run: a minimal uAPI v2 reader that writes an output line on every edge it reads.
#pragma once

#include <vector>

#include "scenario.h"

namespace gpio2mqtt::bench {

// Input edges a second: under a binding's rate limit (10 a second, bursts of 20).
inline constexpr double kBindingHz = 8;

struct BindingRun {
  std::size_t edges = 0;  // input edges made
  Percentiles latency;    // input edge -> output edge, µs, for each edge matched
  std::size_t reference_edges = 0;
  Percentiles reference;  // --kernel: the uAPI v2 reader's edge -> its output write, seen alike
  int exit_code = -1;     // the daemon's
};

BindingRun run_binding(Scenario& scenario, const Options& options, int index);
// The table: every run, the medians and the targets (host: p50 < 1 ms, p99 < 5 ms; VM: within
// 1.5x of the reference). Returns whether they were met.
bool print_binding(const Options& options, const std::vector<BindingRun>& runs);

}  // namespace gpio2mqtt::bench

// Many lines: 100 inputs on 3 simulated chips toggling at 50 Hz each (5,000 edges/s together)
// against one input at the same total rate; start-up to READY and a reload (SIGHUP -> READY) with
// 500 lines configured, timed through a NOTIFY_SOCKET the bench owns; memory per configured line.
#pragma once

#include <cstdint>
#include <vector>

#include "scenario.h"
#include "stats.h"

namespace gpio2mqtt::bench {

inline constexpr std::size_t kScaleLines = 100, kScaleChips = 3, kLargeLines = 500;
inline constexpr double kScaleHzPerLine = 50;

// Inputs toggled round-robin (line i on chip i % chips), `hz` edges/s together.
struct LinesResult {
  std::size_t lines = 0, chips = 0;
  double target_hz = 0, achieved_hz = 0;
  std::uint64_t sent = 0, unique = 0, lost = 0;
  std::uint64_t out_of_order = 0;  // arrived after a later edge of its line, or twice
  std::uint64_t wrong_edge = 0;    // rising where the line fell, or the other way round
  Percentiles edge;                // the edge's timestamp_ns -> the subscriber's receipt, µs
  double cpu_us_per_edge = 0;
  // Voluntary context switches per edge: of the daemon's loop thread, and of paho's threads. Most
  // of an edge's CPU is the system calls of a wake-up, so these say how well wake-ups were shared.
  double loop_wakeups_per_edge = 0, paho_wakeups_per_edge = 0;
};

// A daemon started on `lines` inputs, then reloaded (the same config) a few times.
struct StartResult {
  std::size_t lines = 0;
  double ready_ms = 0;            // fork -> READY=1
  std::vector<double> reload_ms;  // SIGHUP -> READY=1 (after its RELOADING=1)
  long rss_kb = 0, pss_kb = 0;    // once online, before any edge
};

struct ScaleRun {
  LinesResult one, many;     // 1 line at kScaleLines * kScaleHzPerLine; kScaleLines lines at kScaleHzPerLine
  StartResult small, large;  // 1 line, kLargeLines lines
  int exit_code = 0;         // the first non-zero exit of its daemons, else 0
};

// Three daemons (1 line, kScaleLines, kLargeLines), at QoS 0; the probe is subscribed at QoS 0 here.
ScaleRun run_scale(Scenario& scenario, const Options& options, int index);

}  // namespace gpio2mqtt::bench

// Software debounce for inputs, with time passed in.
//
// The first edge that changes the level is reported at once (no added latency); edges within
// `period` after it only update the level seen; when the period ends, a level that differs from
// the last report is reported (and opens a new period). So a bouncing contact yields one report
// per real change, and a change that lasts is never missed.
#pragma once

#include <optional>

#include "gpio2mqtt/util/clock.h"

namespace gpio2mqtt::bridge {

class Debouncer {
 public:
  struct Report {
    bool active;
    MonoTime timestamp;  // of the edge that made this level
  };

  Debouncer(Nanos period, bool initial_level) : period_(period), reported_(initial_level), seen_(initial_level) {}

  // An edge to `level` at `timestamp` (monotonic).
  std::optional<Report> on_edge(bool level, MonoTime timestamp);
  // Ends a period that is over at `now`.
  std::optional<Report> on_time(MonoTime now);
  // When on_time() next has something to do.
  std::optional<MonoTime> deadline() const { return window_end_; }
  bool reported() const { return reported_; }
  // The level was read directly (start-up, reconnect): adopt it without a report.
  void reset(bool level) {
    reported_ = seen_ = level;
    window_end_.reset();
  }

 private:
  std::optional<Report> report(bool level, MonoTime timestamp, MonoTime window_start);

  Nanos period_;
  bool reported_;
  bool seen_;
  MonoTime seen_at_{};
  std::optional<MonoTime> window_end_;
};

}  // namespace gpio2mqtt::bridge

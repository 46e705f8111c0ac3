// A token bucket with time passed in: how many commands a line takes per second.
#pragma once

#include <algorithm>
#include <cstdint>
#include <optional>

#include "gpio2mqtt/util/clock.h"

namespace gpio2mqtt::bridge {

class RateLimit {
 public:
  // `rate` commands per second on average, bursts of up to `burst`.
  RateLimit(double rate, double burst) : rate_(rate), burst_(burst), tokens_(burst) {}

  // True when a command at `now` is within the limit (and takes its token).
  bool allow(MonoTime now) {
    if (last_) tokens_ = std::min(burst_, tokens_ + rate_ * std::chrono::duration<double>(now - *last_).count());
    last_ = now;
    if (tokens_ < 1) return false;
    tokens_ -= 1;
    return true;
  }

 private:
  double rate_;
  double burst_;
  double tokens_;
  std::optional<MonoTime> last_;  // the last command, none yet
};

}  // namespace gpio2mqtt::bridge

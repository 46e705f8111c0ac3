// A clock that moves only when the test says so, for stepping the service's timers.
#pragma once

#include "gpio2mqtt/util/clock.h"

namespace gpio2mqtt::testing {

class ManualClock : public Clock {
 public:
  // Starts at the real monotonic time, so that the simulated chip's edge timestamps (real ones)
  // stay comparable with it; it only ever moves forward.
  ManualClock() : now_(monotonic_now()) {}
  MonoTime now() const override { return now_; }
  void advance(Nanos by) { now_ += by; }

 private:
  MonoTime now_;
};

}  // namespace gpio2mqtt::testing

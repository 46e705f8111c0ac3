// Time in the daemon: CLOCK_MONOTONIC nanoseconds, the clock of kernel GPIO event timestamps.
#pragma once

#include <chrono>
#include <cstdint>

namespace gpio2mqtt {

using Nanos = std::chrono::nanoseconds;
// A point on CLOCK_MONOTONIC, as nanoseconds since boot. Pure logic takes it as an argument.
using MonoTime = std::chrono::nanoseconds;

MonoTime monotonic_now();

// Where the event loop reads the time for its timers, so that a test can step it.
class Clock {
 public:
  virtual ~Clock() = default;
  virtual MonoTime now() const = 0;
};

// CLOCK_MONOTONIC, shared by everything that does not pass another clock.
const Clock& monotonic_clock();

}  // namespace gpio2mqtt

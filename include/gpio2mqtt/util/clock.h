// Time in the daemon: CLOCK_MONOTONIC, the clock of the kernel's GPIO event timestamps.
#pragma once

#include <chrono>
#include <cstdint>

namespace gpio2mqtt {

// A length of time.
using Nanos = std::chrono::nanoseconds;

// A point on CLOCK_MONOTONIC (nanoseconds since boot). Pure logic takes it as an argument. A type
// of its own, not a duration, so that a length of time cannot pass for a point in time: points
// subtract to a Nanos, and a Nanos added to a point is a point.
struct MonotonicTime {
  using duration = Nanos;
  using rep = duration::rep;
  using period = duration::period;
  using time_point = std::chrono::time_point<MonotonicTime>;
  static constexpr bool is_steady = true;
};
using MonoTime = MonotonicTime::time_point;

// A kernel event timestamp (nanoseconds on CLOCK_MONOTONIC) as a point in time.
inline MonoTime from_kernel_ns(std::uint64_t ns) { return MonoTime(Nanos(static_cast<Nanos::rep>(ns))); }

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

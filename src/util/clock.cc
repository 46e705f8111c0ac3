#include "gpio2mqtt/util/clock.h"

#include <time.h>

namespace gpio2mqtt {

MonoTime monotonic_now() {
  timespec ts{};
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return MonoTime(std::chrono::seconds(ts.tv_sec) + std::chrono::nanoseconds(ts.tv_nsec));
}

namespace {
class MonotonicClock : public Clock {
 public:
  MonoTime now() const override { return monotonic_now(); }
};
}  // namespace

const Clock& monotonic_clock() {
  static const MonotonicClock clock;
  return clock;
}

}  // namespace gpio2mqtt

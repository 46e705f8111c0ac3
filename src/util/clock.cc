#include "gpio2mqtt/util/clock.h"

#include <time.h>

namespace gpio2mqtt {

MonoTime monotonic_now() {
  timespec ts{};
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return std::chrono::seconds(ts.tv_sec) + std::chrono::nanoseconds(ts.tv_nsec);
}

}  // namespace gpio2mqtt

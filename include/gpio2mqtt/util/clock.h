// Time in the daemon: CLOCK_MONOTONIC nanoseconds, the clock of kernel GPIO event timestamps.
#pragma once

#include <chrono>
#include <cstdint>

namespace gpio2mqtt {

using Nanos = std::chrono::nanoseconds;
// A point on CLOCK_MONOTONIC, as nanoseconds since boot. Pure logic takes it as an argument.
using MonoTime = std::chrono::nanoseconds;

MonoTime monotonic_now();

}  // namespace gpio2mqtt

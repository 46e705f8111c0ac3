// The kernel holds at most 64 lines in one line request (uAPI v2's GPIO_V2_LINES_MAX, and v1's
// GPIOHANDLES_MAX), while a chip may have more lines configured: a big I/O expander, an industrial
// board. A larger request is made as several kernel requests of at most 64 lines each and handed
// out as one LineRequest. Every line lives in exactly one group, so its edges keep their order and
// its kernel sequence numbers keep counting per line; the per-request sequence number counts per
// group. Pure: the kernel chip base class calls it with its backend, tests with fakes.
#pragma once

#include <cstddef>
#include <functional>
#include <memory>
#include <vector>

#include "gpio2mqtt/gpio/gpio.h"

namespace gpio2mqtt::gpio {

inline constexpr std::size_t kMaxLinesPerKernelRequest = 64;

using GroupRequester = std::function<std::unique_ptr<LineRequest>(const std::vector<LineSettings>& group)>;

// Requests `lines` (distinct offsets) as consecutive groups of at most `max_per_group`, in their
// order, through `request_group`. Lines that fit in one group are one request, returned as the
// backend made it. All or nothing: when a group fails, the groups already requested are released
// before its exception goes on.
std::unique_ptr<LineRequest> request_in_groups(const std::vector<LineSettings>& lines, std::size_t max_per_group,
                                               const GroupRequester& request_group);

}  // namespace gpio2mqtt::gpio

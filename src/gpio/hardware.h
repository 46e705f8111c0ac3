// The kernel GPIO backend of this build (libgpiod 1.x or 2.x, chosen at configure time).
#pragma once

#include <memory>

#include "gpio2mqtt/gpio/gpio.h"

namespace gpio2mqtt::gpio {

// The kernel's chips, through the libgpiod this build was configured with.
std::unique_ptr<ChipProvider> make_hardware_provider();

// The GPIO character device uAPI the backend of this build speaks: 1 (libgpiod 1.x: one event fd
// per input, no sequence numbers, no kernel debounce) or 2 (libgpiod 2.x).
int hardware_uapi_version();

}  // namespace gpio2mqtt::gpio

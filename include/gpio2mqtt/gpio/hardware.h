// The kernel GPIO backend of this build (libgpiod 1.x or 2.x, chosen at configure time).
#pragma once

#include <memory>

#include "gpio2mqtt/gpio/gpio.h"

namespace gpio2mqtt::gpio {

// Null when this build has no hardware backend.
std::unique_ptr<ChipProvider> make_hardware_provider();

}  // namespace gpio2mqtt::gpio

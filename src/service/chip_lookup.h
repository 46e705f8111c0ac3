// Finding kernel chips by label or path, and the names a typo probably meant.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "gpio2mqtt/config/config.h"
#include "gpio2mqtt/gpio/gpio.h"

namespace gpio2mqtt::service {

// Opens the chip a config entry names: by path, or the one whose label matches.
std::unique_ptr<gpio::Chip> open_hardware_chip(const config::ChipConfig& chip, gpio::ChipProvider& provider);
// Up to five of `names` closest to `wanted` (edit distance), comma-separated, for messages.
std::string closest_names(const std::string& wanted, const std::vector<std::string>& names);

}  // namespace gpio2mqtt::service

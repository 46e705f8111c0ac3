// A readable summary of a loaded config: what --check-config prints.
#pragma once

#include <string>

#include "gpio2mqtt/config/config.h"

namespace gpio2mqtt::config {

std::string describe(const Config& config);

}  // namespace gpio2mqtt::config

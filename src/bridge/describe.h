// A readable summary of a loaded config: what --check-config prints. In the bridge, whose
// topics and Home Assistant components it names; in config's namespace, where callers look.
#pragma once

#include <string>

#include "gpio2mqtt/config/config.h"

namespace gpio2mqtt::config {

std::string describe(const Config& config);

}  // namespace gpio2mqtt::config

// A readable summary of a loaded config: what --check-config prints. In the bridge, whose
// topics and Home Assistant components it names; in config's namespace, where callers look.
#pragma once

#include <functional>
#include <string>

#include "gpio2mqtt/config/config.h"

namespace gpio2mqtt::config {

// What the machine has for a sensor's channel (the device and files found, or why none).
using SensorFinder = std::function<std::string(const sensors::Channel&)>;

// `found` adds what this machine has for each sensor; without it, sensors are listed as configured.
std::string describe(const Config& config, const SensorFinder& found = {});

}  // namespace gpio2mqtt::config

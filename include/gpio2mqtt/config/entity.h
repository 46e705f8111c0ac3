// How a line appears in Home Assistant: its platform, decided by the line's mode, and what that
// platform accepts. The config loader checks `homeassistant:` keys against it; bridge/discovery
// builds the component. A new line mode adds its platform here and its component there.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "gpio2mqtt/config/config.h"

namespace gpio2mqtt::config {

// "binary_sensor" for inputs, "switch" for outputs, "button" for momentary outputs (stateless: a
// press is one pulse), "sensor" for counters.
std::string_view entity_platform(const LineConfig& line);
// The device classes Home Assistant documents for `platform`; empty for an unknown platform.
const std::vector<std::string_view>& device_classes(std::string_view platform);
// The line's id in discovery (component id, part of its unique_id): [a-zA-Z0-9_-] only, so a
// '.' in the line's name becomes '_'.
std::string entity_object_id(const LineConfig& line);
// The ids of every component the line brings: its own, and a counter's `<id>_rate` or a button's
// `<id>_action` (no two lines may share one).
std::vector<std::string> entity_object_ids(const LineConfig& line);
// A binding's switch's id: binding_<name>, '.' made '_'.
std::string binding_object_id(const BindingConfig& binding);
// A cover's: its name, '.' as '_'.
std::string cover_object_id(const CoverConfig& cover);
// A sensor's id (its name, '.' as '_') and its thresholds' (`<id>_<threshold>`), in that order.
std::vector<std::string> sensor_object_ids(const SensorConfig& sensor);

}  // namespace gpio2mqtt::config

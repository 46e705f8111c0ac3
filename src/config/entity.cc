#include "gpio2mqtt/config/entity.h"

#include <algorithm>

namespace gpio2mqtt::config {

std::string_view entity_platform(const LineConfig& line) {
  if (line.mode == Mode::kCounter) return "sensor";
  if (line.direction != gpio::Direction::kOutput) return "binary_sensor";
  return line.momentary ? "button" : "switch";
}

const std::vector<std::string_view>& device_classes(std::string_view platform) {
  // Home Assistant's BinarySensorDeviceClass and SwitchDeviceClass.
  static const std::vector<std::string_view> kBinarySensor{"battery",
                                                           "battery_charging",
                                                           "carbon_monoxide",
                                                           "cold",
                                                           "connectivity",
                                                           "door",
                                                           "garage_door",
                                                           "gas",
                                                           "heat",
                                                           "light",
                                                           "lock",
                                                           "moisture",
                                                           "motion",
                                                           "moving",
                                                           "occupancy",
                                                           "opening",
                                                           "plug",
                                                           "power",
                                                           "presence",
                                                           "problem",
                                                           "running",
                                                           "safety",
                                                           "smoke",
                                                           "sound",
                                                           "tamper",
                                                           "update",
                                                           "vibration",
                                                           "window"};
  static const std::vector<std::string_view> kSwitch{"outlet", "switch"};
  static const std::vector<std::string_view> kButton{"identify", "restart", "update"};
  // A counter's total: the meters Home Assistant's energy dashboard takes.
  static const std::vector<std::string_view> kSensor{"energy", "gas", "water"};
  static const std::vector<std::string_view> kNone;
  if (platform == "binary_sensor") return kBinarySensor;
  if (platform == "switch") return kSwitch;
  if (platform == "button") return kButton;
  if (platform == "sensor") return kSensor;
  return kNone;
}

std::string entity_object_id(const LineConfig& line) {
  std::string id = line.name;
  std::replace(id.begin(), id.end(), '.', '_');
  return id;
}

std::string binding_object_id(const BindingConfig& binding) {
  std::string id = "binding_" + binding.name;
  std::replace(id.begin(), id.end(), '.', '_');
  return id;
}

std::string cover_object_id(const CoverConfig& cover) {
  std::string id = cover.name;
  std::replace(id.begin(), id.end(), '.', '_');
  return id;
}

std::vector<std::string> entity_object_ids(const LineConfig& line) {
  std::string id = entity_object_id(line);
  if (line.mode == Mode::kCounter) return {id, id + "_rate"};
  if (line.mode == Mode::kButton) return {id, id + "_action"};
  return {id};
}

std::vector<std::string> sensor_object_ids(const SensorConfig& sensor) {
  auto id_of = [](std::string name) {
    std::replace(name.begin(), name.end(), '.', '_');
    return name;
  };
  std::vector<std::string> ids{id_of(sensor.name)};
  for (const auto& threshold : sensor.thresholds) ids.push_back(ids.front() + "_" + id_of(threshold.name));
  return ids;
}

}  // namespace gpio2mqtt::config

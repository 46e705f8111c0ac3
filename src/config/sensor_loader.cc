// The `sensors:` section: IIO channels and 1-Wire thermometers (see sensors/source.h).
#include <algorithm>
#include <charconv>
#include <cmath>
#include <set>

#include "gpio2mqtt/sensors/quantity.h"
#include "yaml_reader.h"

namespace gpio2mqtt::config {
namespace {

// Home Assistant's SensorDeviceClass values for measurements (the meters a counter uses are
// among them too).
constexpr std::string_view kSensorClasses[] = {"apparent_power",
                                               "aqi",
                                               "atmospheric_pressure",
                                               "battery",
                                               "carbon_dioxide",
                                               "carbon_monoxide",
                                               "current",
                                               "distance",
                                               "energy",
                                               "frequency",
                                               "gas",
                                               "humidity",
                                               "illuminance",
                                               "irradiance",
                                               "moisture",
                                               "nitrogen_dioxide",
                                               "ozone",
                                               "ph",
                                               "pm1",
                                               "pm10",
                                               "pm25",
                                               "power",
                                               "power_factor",
                                               "precipitation",
                                               "pressure",
                                               "reactive_power",
                                               "signal_strength",
                                               "sound_pressure",
                                               "speed",
                                               "sulphur_dioxide",
                                               "temperature",
                                               "volatile_organic_compounds",
                                               "voltage",
                                               "volume",
                                               "water",
                                               "weight",
                                               "wind_speed"};

double number(const YamlReader& r, const YAML::Node& node, const std::string& what) {
  std::string text = r.string(node, what);
  double value = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (text.empty() || ec != std::errc() || end != text.data() + text.size() || !std::isfinite(value))
    r.fail(node, what + ": '" + text + "' is not a number");
  return value;
}

std::chrono::nanoseconds bounded(const YamlReader& r, const YAML::Node& node, const std::string& what,
                                 std::chrono::nanoseconds min, std::chrono::nanoseconds max, const char* range) {
  auto value = r.duration(node, what);
  if (value < min || value > max) r.fail(node, what + ": expected " + range);
  return value;
}

ThresholdConfig load_threshold(const YamlReader& r, const YAML::Node& key, const YAML::Node& node,
                               const std::string& sensor) {
  ThresholdConfig threshold;
  const std::string what = "sensor '" + sensor + "': threshold '" + key.Scalar() + "'";
  r.open_entry(key, node, what, "threshold", {"above", "below", "hysteresis"}, threshold);
  if (!node["above"] == !node["below"])
    r.fail(node, what + ": expected exactly one of above: or below:, e.g. {below: 3, hysteresis: 0.5}");
  threshold.above = static_cast<bool>(node["above"]);
  threshold.level = number(r, node[threshold.above ? "above" : "below"], what);
  if (node["hysteresis"]) {
    threshold.hysteresis = number(r, node["hysteresis"], what + ".hysteresis");
    if (threshold.hysteresis < 0) r.fail(node["hysteresis"], what + ".hysteresis: expected 0 or more");
  }
  return threshold;
}

SensorConfig load_sensor(const YamlReader& r, const YAML::Node& key, const YAML::Node& node) {
  SensorConfig sensor;
  const std::string what = "sensor '" + key.Scalar() + "'";
  r.open_entry(key, node, what, "sensor",
               {"iio", "channel", "w1", "interval", "timeout", "delta", "max_interval", "precision", "multiply",
                "offset", "unit", "device_class", "title", "thresholds"},
               sensor);
  if (!node["iio"] == !node["w1"])
    r.fail(key, what + ": expected exactly one of iio: (a device name or path, with channel:) or w1: (an id, or all)");
  if (node["iio"]) {
    sensor.channel.device = r.string(node["iio"], what + ".iio");
    if (sensor.channel.device.empty()) r.fail(node["iio"], what + ".iio: expected a device name, e.g. bme280");
    if (!node["channel"]) r.fail(key, what + ": an IIO sensor needs channel:, e.g. in_temp or in_voltage0");
    sensor.channel.channel = r.string(node["channel"], what + ".channel");
    if (sensor.channel.channel.rfind("in_", 0) != 0 || sensors::channel_type(sensor.channel).empty() ||
        sensor.channel.channel.find('/') != std::string::npos)
      r.fail(node["channel"], what + ".channel: expected an input channel, e.g. in_temp, in_voltage0, in_pressure");
  } else {
    sensor.channel.kind = sensors::Channel::Kind::kW1;
    if (node["channel"]) r.fail(node["channel"], what + ": channel: is for IIO sensors");
    sensor.channel.device = r.string(node["w1"], what + ".w1");
    const std::string& id = sensor.channel.device;
    if (id != "all" && (id.size() < 4 || id[2] != '-' || id.find('/') != std::string::npos))
      r.fail(node["w1"], what + ".w1: expected a 1-Wire id like 28-0316a2794bff, or all");
  }
  sensors::Quantity quantity = sensors::quantity(sensor.channel);
  sensor.unit = quantity.unit;
  sensor.factor = quantity.factor;
  sensor.precision = quantity.precision;
  sensor.device_class = quantity.device_class;
  if (const auto& n = node["unit"]) {
    sensor.unit = r.string(n, what + ".unit");
    // A unit the type is known in converts; any other takes the ABI's value as it is.
    auto known = sensors::known_unit(quantity.type, sensor.unit);
    sensor.factor = known ? known->factor : 1;
    sensor.precision = known ? known->precision : 2;
  }
  if (const auto& n = node["interval"])
    sensor.interval =
        bounded(r, n, what + ".interval", std::chrono::milliseconds(100), std::chrono::hours(24), "100ms to 24h");
  if (const auto& n = node["timeout"])
    sensor.timeout =
        bounded(r, n, what + ".timeout", std::chrono::milliseconds(10), std::chrono::seconds(60), "10ms to 60s");
  if (const auto& n = node["max_interval"]) {
    sensor.max_interval = bounded(r, n, what + ".max_interval", std::chrono::nanoseconds(0), std::chrono::hours(24),
                                  "0 (only on change) to 24h");
    if (sensor.max_interval.count() != 0 && sensor.max_interval < sensor.interval)
      r.fail(n, what + ".max_interval: shorter than interval (values are read every interval)");
  }
  if (const auto& n = node["delta"]) {
    sensor.delta = number(r, n, what + ".delta");
    if (sensor.delta < 0) r.fail(n, what + ".delta: expected 0 or more");
  }
  if (const auto& n = node["precision"]) sensor.precision = static_cast<int>(r.integer(n, what + ".precision", 0, 6));
  if (const auto& n = node["multiply"]) {
    sensor.multiply = number(r, n, what + ".multiply");
    if (sensor.multiply == 0) r.fail(n, what + ".multiply: 0 would make every value 0");
  }
  if (const auto& n = node["offset"]) sensor.offset = number(r, n, what + ".offset");
  if (const auto& n = node["device_class"]) {
    sensor.device_class = r.string(n, what + ".device_class");
    if (std::find(std::begin(kSensorClasses), std::end(kSensorClasses), sensor.device_class) ==
        std::end(kSensorClasses))
      r.fail(n, what + ".device_class: '" + sensor.device_class +
                    "' is not a device class of a Home Assistant sensor, e.g. temperature, humidity, voltage");
  }
  if (const auto& n = node["title"]) sensor.title = r.string(n, what + ".title");
  if (const auto& n = node["thresholds"]) {
    std::set<std::string> ids;
    for (const auto& [threshold_key, threshold_node] : r.entries(n, what + ".thresholds")) {
      ThresholdConfig threshold = load_threshold(r, threshold_key, threshold_node, sensor.name);
      std::string id = threshold.name;
      std::replace(id.begin(), id.end(), '.', '_');
      if (!ids.insert(id).second)
        r.fail(threshold_key, what + ": threshold '" + threshold.name + "' has another's Home Assistant id");
      sensor.thresholds.push_back(std::move(threshold));
    }
  }
  return sensor;
}

}  // namespace

void load_sensors(const YamlReader& r, const YAML::Node& node, Config& config) {
  std::set<std::string> names;
  for (const auto& line : config.lines) names.insert(line.name);
  for (const auto& [key, value] : r.entries(node, "sensors")) {
    SensorConfig sensor = load_sensor(r, key, value);
    if (!names.insert(sensor.name).second)
      r.fail(key, "sensor '" + sensor.name + "': a line or sensor has this name (one topic level for each)");
    if (sensor.channel.kind == sensors::Channel::Kind::kW1 && sensor.channel.device == "all")
      config.w1_all.push_back(std::move(sensor));
    else config.sensors.push_back(std::move(sensor));
  }
}

}  // namespace gpio2mqtt::config

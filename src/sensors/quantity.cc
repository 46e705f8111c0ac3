#include "gpio2mqtt/sensors/quantity.h"

#include <cctype>

namespace gpio2mqtt::sensors {
namespace {

struct Known {
  std::string_view type, device_class, unit;
  double factor;
  int precision;
};

// Units as Documentation/ABI/testing/sysfs-bus-iio states them for processed values: millidegrees
// Celsius, milli percent, kilopascal, millivolts, milliamps, lux, ohms. The first row of a type
// is its default.
constexpr Known kKnown[] = {
    {"temp", "temperature", "°C", 0.001, 1},
    {"temp", "temperature", "m°C", 1, 0},
    {"humidityrelative", "humidity", "%", 0.001, 1},
    {"pressure", "pressure", "hPa", 10, 1},
    {"pressure", "pressure", "kPa", 1, 2},
    {"pressure", "pressure", "Pa", 1000, 0},
    {"pressure", "pressure", "mbar", 10, 1},
    {"voltage", "voltage", "V", 0.001, 3},
    {"voltage", "voltage", "mV", 1, 0},
    {"current", "current", "A", 0.001, 3},
    {"current", "current", "mA", 1, 0},
    {"illuminance", "illuminance", "lx", 1, 0},
    {"resistance", "", "Ω", 1, 0},
};

}  // namespace

std::string channel_type(const Channel& channel) {
  if (channel.kind == Channel::Kind::kW1) return "temp";
  std::string_view name = channel.channel;
  if (name.rfind("in_", 0) == 0) name.remove_prefix(3);
  std::size_t end = 0;
  while (end < name.size() && std::isalpha(static_cast<unsigned char>(name[end]))) ++end;
  return std::string(name.substr(0, end));
}

Quantity quantity(const Channel& channel) {
  std::string type = channel_type(channel);
  for (const auto& known : kKnown)
    if (known.type == type)
      return {type, std::string(known.device_class), std::string(known.unit), known.factor, known.precision};
  return {type, "", "", 1, 2};
}

std::optional<Quantity> known_unit(std::string_view type, std::string_view unit) {
  for (const auto& known : kKnown)
    if (known.type == type && known.unit == unit)
      return Quantity{std::string(type), std::string(known.device_class), std::string(unit), known.factor,
                      known.precision};
  return std::nullopt;
}

}  // namespace gpio2mqtt::sensors

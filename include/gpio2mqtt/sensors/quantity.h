// What an IIO channel type measures, in which unit the kernel's ABI gives it, and how Home
// Assistant classes it: the defaults of a sensor's `unit`, `precision` and device class.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "gpio2mqtt/sensors/source.h"

namespace gpio2mqtt::sensors {

struct Quantity {
  std::string type;          // the channel's type: temp, voltage, humidityrelative, ...; empty: unknown
  std::string device_class;  // Home Assistant's; empty: none
  std::string unit;          // the default display unit; empty: none
  double factor = 1;         // display value = ABI value * factor
  int precision = 2;         // decimals published by default
};

// "in_voltage0" -> "voltage", "in_temp_ambient" -> "temp"; a 1-Wire thermometer is "temp".
std::string channel_type(const Channel& channel);
// The defaults for the channel's type (an unknown type: no class, no unit, factor 1).
Quantity quantity(const Channel& channel);
// `type` in `unit`, where known: its factor from the ABI's unit (hPa from kPa: 10), its precision.
std::optional<Quantity> known_unit(std::string_view type, std::string_view unit);

}  // namespace gpio2mqtt::sensors

// The `sensors:` section as the loader reads it, its defaults per channel type, and the
// mistakes it refuses with file:line:col.
#include <gtest/gtest.h>

#include "config_errors.h"
#include "gpio2mqtt/config/entity.h"
#include "gpio2mqtt/config/loader.h"

namespace gpio2mqtt::config {
namespace {

using namespace std::chrono_literals;
using testing::config_error_of;

// Lines 1-4: a chip and a line named `button`; `sensors:` from line 5 on.
std::string with(const std::string& sensors) {
  return "chips:\n  main: {simulated: {lines: [A]}}\nlines:\n  button: {line: A}\n" + sensors;
}

Config parse(const std::string& text) { return parse_config(text, "c.yaml", "pi"); }

TEST(ASensorConfig, ReadsAnIioChannelWithTheDefaultsOfItsType) {
  Config config = parse(with("sensors:\n  air: {iio: bme280, channel: in_temp}\n"));
  ASSERT_EQ(config.sensors.size(), 1u);
  const SensorConfig& air = config.sensors[0];
  EXPECT_EQ(air.channel, (sensors::Channel{sensors::Channel::Kind::kIio, "bme280", "in_temp"}));
  EXPECT_EQ(air.unit, "°C");
  EXPECT_EQ(air.factor, 0.001);
  EXPECT_EQ(air.precision, 1);
  EXPECT_EQ(air.device_class, "temperature");
  EXPECT_EQ(air.interval, 30s);
  EXPECT_EQ(air.max_interval, 5min);
  EXPECT_EQ(air.where.line, 6);
}

TEST(ASensorConfig, ConvertsToAnotherKnownUnitAndTakesAnUnknownOneAsTheAbiGivesIt) {
  Config config =
      parse(with("sensors:\n  p: {iio: bme280, channel: in_pressure, unit: kPa}\n"
                 "  adc: {iio: ads1015, channel: in_voltage0, unit: mV}\n"
                 "  soil: {iio: ads1015, channel: in_voltage1, unit: '%', multiply: 0.03, offset: -5}\n"));
  EXPECT_EQ(config.sensors[0].factor, 1);
  EXPECT_EQ(config.sensors[1].factor, 1);
  EXPECT_EQ(config.sensors[2].factor, 1);
  EXPECT_EQ(config.sensors[2].multiply, 0.03);
  EXPECT_EQ(config.sensors[2].offset, -5);
  EXPECT_EQ(config.sensors[2].device_class, "voltage");
}

TEST(ASensorConfig, ReadsPublishingSettingsAndThresholds) {
  Config config =
      parse(with("sensors:\n"
                 "  outdoor:\n"
                 "    w1: 28-0316a2794bff\n"
                 "    interval: 10s\n"
                 "    delta: 0.2\n"
                 "    max_interval: 10m\n"
                 "    precision: 2\n"
                 "    thresholds:\n"
                 "      frost: {below: 3, hysteresis: 0.5}\n"
                 "      heat: {above: 30}\n"));
  const SensorConfig& outdoor = config.sensors[0];
  EXPECT_EQ(outdoor.channel.kind, sensors::Channel::Kind::kW1);
  EXPECT_EQ(outdoor.interval, 10s);
  EXPECT_EQ(outdoor.delta, 0.2);
  EXPECT_EQ(outdoor.max_interval, 10min);
  EXPECT_EQ(outdoor.precision, 2);
  ASSERT_EQ(outdoor.thresholds.size(), 2u);
  EXPECT_EQ(outdoor.thresholds[0], (ThresholdConfig{"frost", false, 3, 0.5, {"c.yaml", 13, 7}}));
  EXPECT_EQ(outdoor.thresholds[1].above, true);
  EXPECT_EQ(sensor_object_ids(outdoor), (std::vector<std::string>{"outdoor", "outdoor_frost", "outdoor_heat"}));
}

TEST(ASensorConfig, KeepsW1AllUntilTheThermometersFoundAreKnown) {
  Config config = parse(with("sensors:\n  room: {w1: 28-0000000000aa}\n  temp: {w1: all, interval: 1m}\n"));
  EXPECT_EQ(config.sensors.size(), 1u);
  ASSERT_EQ(config.w1_all.size(), 1u);
  expand_w1_all(config, {"28-0000000000aa", "28-0000000000bb"});
  ASSERT_EQ(config.sensors.size(), 2u);
  EXPECT_EQ(config.sensors[1].name, "temp_28_0000000000bb");
  EXPECT_EQ(config.sensors[1].channel.device, "28-0000000000bb");
  EXPECT_EQ(config.sensors[1].interval, 1min);
}

TEST(ASensorConfig, RefusesASensorWithoutOrWithBothKinds) {
  EXPECT_EQ(config_error_of(with("sensors:\n  x: {interval: 1s}\n")),
            "6:3: sensor 'x': expected exactly one of iio: (a device name or path, with channel:) or w1: (an id, or "
            "all)");
  EXPECT_EQ(config_error_of(with("sensors:\n  x: {iio: bme280}\n")),
            "6:3: sensor 'x': an IIO sensor needs channel:, e.g. in_temp or in_voltage0");
}

TEST(ASensorConfig, RefusesAChannelThatIsNoInput) {
  EXPECT_EQ(config_error_of(with("sensors:\n  x: {iio: bme280, channel: temp}\n")),
            "6:29: sensor 'x'.channel: expected an input channel, e.g. in_temp, in_voltage0, in_pressure");
}

TEST(ASensorConfig, RefusesABadW1Id) {
  EXPECT_EQ(config_error_of(with("sensors:\n  x: {w1: 0316a2794bff}\n")),
            "6:11: sensor 'x'.w1: expected a 1-Wire id like 28-0316a2794bff, or all");
}

TEST(ASensorConfig, RefusesAMaxIntervalShorterThanTheInterval) {
  EXPECT_EQ(config_error_of(with("sensors:\n  x: {w1: all, interval: 1m, max_interval: 30s}\n")),
            "6:44: sensor 'x'.max_interval: shorter than interval (values are read every interval)");
}

TEST(ASensorConfig, RefusesANameALineHas) {
  EXPECT_EQ(config_error_of(with("sensors:\n  button: {w1: all}\n")),
            "6:3: sensor 'button': a line or sensor has this name (one topic level for each)");
}

TEST(ASensorConfig, RefusesAThresholdWithBothOrNeitherLevel) {
  EXPECT_EQ(config_error_of(with("sensors:\n  x:\n    w1: all\n    thresholds:\n      t: {above: 1, below: 2}\n")),
            "9:10: sensor 'x': threshold 't': expected exactly one of above: or below:, e.g. {below: 3, "
            "hysteresis: 0.5}");
}

TEST(ASensorConfig, RefusesADeviceClassHomeAssistantDoesNotHave) {
  EXPECT_EQ(config_error_of(with("sensors:\n  x: {w1: all, device_class: warmth}\n")),
            "6:30: sensor 'x'.device_class: 'warmth' is not a device class of a Home Assistant sensor, e.g. "
            "temperature, humidity, voltage");
}

TEST(ASensorConfig, RefusesANumberThatIsNone) {
  EXPECT_EQ(config_error_of(with("sensors:\n  x: {w1: all, offset: warm}\n")),
            "6:24: sensor 'x'.offset: 'warm' is not a number");
  EXPECT_EQ(config_error_of(with("sensors:\n  x: {w1: all, multiply: inf}\n")),
            "6:26: sensor 'x'.multiply: 'inf' is not a number");
}

}  // namespace
}  // namespace gpio2mqtt::config

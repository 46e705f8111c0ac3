// A sensor in Home Assistant: a `sensor` with its class, unit and precision, available while both
// the daemon and the sensor are, and a `binary_sensor` per threshold.
#include <gtest/gtest.h>

#include "gpio2mqtt/bridge/discovery.h"
#include "gpio2mqtt/config/loader.h"
#include "util/json.h"

namespace gpio2mqtt::bridge {
namespace {

config::Config sensor_config(const std::string& sensors) {
  return config::parse_config(
      "mqtt: {base_topic: pi}\nhomeassistant: {discovery: true, device_id: dev}\n"
      "chips:\n  main: {simulated: {lines: [A]}}\nlines:\n  door: {line: A}\nsensors:\n" +
          sensors,
      "test.yaml", "host");
}

Json components(const config::Config& config) {
  auto json = parse_json(device_payload(config));
  EXPECT_TRUE(json) << device_payload(config);
  return json ? (*json)["cmps"] : Json{};
}

TEST(ASensorsDiscovery, IsAMeasurementWithItsClassUnitAndPrecision) {
  Json cmps = components(sensor_config("  air: {iio: bme280, channel: in_pressure, title: Air pressure}\n"));
  const Json& air = cmps["air"];
  EXPECT_EQ(air["p"].string, "sensor");
  EXPECT_EQ(air["name"].string, "Air pressure");
  EXPECT_EQ(air["unique_id"].string, "dev_air");
  EXPECT_EQ(air["state_topic"].string, "pi/air/state");
  EXPECT_EQ(air["device_class"].string, "pressure");
  EXPECT_EQ(air["unit_of_measurement"].string, "hPa");
  EXPECT_EQ(air["state_class"].string, "measurement");
  EXPECT_EQ(air["suggested_display_precision"].number, 1);
  EXPECT_EQ(air["availability_mode"].string, "all");
  ASSERT_EQ(air["availability"].array.size(), 2u);
  EXPECT_EQ(air["availability"].array[0]["topic"].string, "pi/status");
  EXPECT_EQ(air["availability"].array[1]["topic"].string, "pi/air/availability");
  EXPECT_TRUE(cmps.has("door"));
}

TEST(ASensorsDiscovery, LeavesOutTheClassAndUnitOfAnUnknownType) {
  Json cmps = components(sensor_config("  x: {iio: dev, channel: in_concentration}\n"));
  EXPECT_FALSE(cmps["x"].has("device_class"));
  EXPECT_FALSE(cmps["x"].has("unit_of_measurement"));
  EXPECT_EQ(cmps["x"]["state_class"].string, "measurement");
}

TEST(ASensorsDiscovery, MakesEachThresholdABinarySensorColdOrHeatForAThermometer) {
  Json cmps =
      components(sensor_config("  pipe:\n    w1: 28-0000000000aa\n    thresholds:\n"
                               "      frost: {below: 3}\n      hot: {above: 60}\n"));
  const Json& frost = cmps["pipe_frost"];
  EXPECT_EQ(frost["p"].string, "binary_sensor");
  EXPECT_EQ(frost["name"].string, "pipe frost");
  EXPECT_EQ(frost["state_topic"].string, "pi/pipe/frost/state");
  EXPECT_EQ(frost["payload_on"].string, "ON");
  EXPECT_EQ(frost["device_class"].string, "cold");
  EXPECT_EQ(frost["availability"].array[1]["topic"].string, "pi/pipe/availability");
  EXPECT_EQ(cmps["pipe_hot"]["device_class"].string, "heat");
  EXPECT_EQ(announced_components(sensor_config("  pipe:\n    w1: 28-0000000000aa\n    thresholds:\n"
                                               "      frost: {below: 3}\n"))
                .size(),
            3u);
}

}  // namespace
}  // namespace gpio2mqtt::bridge

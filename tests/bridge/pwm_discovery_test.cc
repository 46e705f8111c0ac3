// The Home Assistant components of PWM outputs: a JSON-schema light with brightness, a fan with
// a percentage read from the same JSON state, and none for a hidden output.
#include <gtest/gtest.h>

#include "gpio2mqtt/bridge/discovery.h"
#include "gpio2mqtt/config/loader.h"
#include "util/json.h"

namespace gpio2mqtt::bridge {
namespace {

Json components_of(const std::string& pwm) {
  auto config = config::parse_config(
      "mqtt: {base_topic: pi}\nhomeassistant: {discovery: true}\nchips:\n  main: {simulated: {lines: [A, B]}}\n"
      "lines:\n  relay: {line: A, direction: output}\npwm:\n" +
          pwm,
      "test.yaml", "host");
  config.homeassistant.device_id = "gpio2mqtt_0123456789abcdef";
  auto json = parse_json(device_payload(config));
  EXPECT_TRUE(json) << device_payload(config);
  return json ? (*json)["cmps"] : Json{};
}

TEST(APwmOutputsDiscovery, AnnouncesALightOfTheJsonSchemaWithBrightness) {
  Json lamp = components_of("  desk.lamp: {pwm_chip: x, homeassistant: {name: Desk, icon: 'mdi:lamp'}}\n")["desk_lamp"];
  EXPECT_EQ(lamp["p"].string, "light");
  EXPECT_EQ(lamp["schema"].string, "json");
  EXPECT_EQ(lamp["name"].string, "Desk");
  EXPECT_EQ(lamp["icon"].string, "mdi:lamp");
  EXPECT_EQ(lamp["unique_id"].string, "gpio2mqtt_0123456789abcdef_desk_lamp");
  EXPECT_EQ(lamp["command_topic"].string, "pi/desk.lamp/set");
  EXPECT_EQ(lamp["state_topic"].string, "pi/desk.lamp/state");
  ASSERT_EQ(lamp["supported_color_modes"].array.size(), 1u);
  EXPECT_EQ(lamp["supported_color_modes"].array[0].string, "brightness");
  EXPECT_FALSE(lamp["retain"].boolean);
}

TEST(APwmOutputsDiscovery, AnnouncesAFanWithAPercentageFromTheJsonState) {
  Json heater = components_of("  heater: {line: B, homeassistant: {component: fan}}\n")["heater"];
  EXPECT_EQ(heater["p"].string, "fan");
  EXPECT_EQ(heater["command_topic"].string, "pi/heater/set");
  EXPECT_EQ(heater["percentage_command_topic"].string, "pi/heater/set");
  EXPECT_EQ(heater["state_value_template"].string, "{{ value_json.state }}");
  EXPECT_EQ(heater["percentage_value_template"].string, "{{ value_json.percentage }}");
  EXPECT_EQ(heater["payload_on"].string, "ON");
}

TEST(APwmOutputsDiscovery, LeavesAHiddenOutputOutAndKeepsTheLines) {
  Json components = components_of("  heater: {line: B, homeassistant: false}\n");
  EXPECT_FALSE(components.has("heater"));
  EXPECT_TRUE(components.has("relay"));
}

}  // namespace
}  // namespace gpio2mqtt::bridge

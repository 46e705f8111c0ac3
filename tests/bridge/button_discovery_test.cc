// A button in Home Assistant: its binary_sensor as before, and an event entity of its gestures.
#include <gtest/gtest.h>

#include "gpio2mqtt/bridge/discovery.h"
#include "gpio2mqtt/config/loader.h"
#include "util/json.h"

namespace gpio2mqtt::bridge {
namespace {

Json components(const std::string& hall) {
  auto config = config::parse_config(
      "mqtt: {base_topic: pi}\nhomeassistant: {discovery: true, device_id: dev}\n"
      "chips:\n  main: {simulated: {lines: [A, B]}}\nlines:\n  hall: {line: A, mode: button" +
          hall + "}\n",
      "test.yaml", "host");
  auto json = parse_json(device_payload(config));
  EXPECT_TRUE(json) << device_payload(config);
  return json ? (*json)["cmps"] : Json{};
}

std::vector<std::string> strings(const Json& array) {
  std::vector<std::string> out;
  for (const Json& item : array.array) out.push_back(item.string);
  return out;
}

TEST(AButtonsDiscovery, IsItsBinarySensorAndAnEventEntityOfEveryGesture) {
  Json cmps = components("");
  ASSERT_EQ(cmps.object.size(), 2u);
  EXPECT_EQ(cmps["hall"]["p"].string, "binary_sensor");
  EXPECT_EQ(cmps["hall"]["state_topic"].string, "pi/hall/state");
  const Json& event = cmps["hall_action"];
  EXPECT_EQ(event["p"].string, "event");
  EXPECT_EQ(event["name"].string, "hall action");
  EXPECT_EQ(event["unique_id"].string, "dev_hall_action");
  EXPECT_EQ(event["state_topic"].string, "pi/hall/action");
  EXPECT_EQ(event["device_class"].string, "button");
  EXPECT_EQ(strings(event["event_types"]),
            (std::vector<std::string>{"single", "double", "triple", "long", "long_release"}));
  EXPECT_EQ(event["value_template"].string, R"({"event_type":"{{ value }}"})");
  EXPECT_FALSE(event.has("command_topic"));
}

TEST(AButtonsDiscovery, OffersOnlyTheGesturesTheLineCanProduce) {
  Json cmps = components(", button: {gestures: [long, single]}, homeassistant: {name: Hall light}");
  EXPECT_EQ(strings(cmps["hall_action"]["event_types"]), (std::vector<std::string>{"single", "long"}));
  EXPECT_EQ(cmps["hall_action"]["name"].string, "Hall light action");
}

TEST(AButtonsDiscovery, HidesBothWithTheLine) { EXPECT_TRUE(components(", homeassistant: false").object.empty()); }

}  // namespace
}  // namespace gpio2mqtt::bridge

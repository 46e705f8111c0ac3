#include "gpio2mqtt/bridge/discovery.h"

#include <gtest/gtest.h>

#include "gpio2mqtt/bridge/announcer.h"
#include "gpio2mqtt/config/loader.h"
#include "util/json.h"

namespace gpio2mqtt::bridge {
namespace {

using namespace std::chrono_literals;

config::Config ha_config(const std::string& lines, const std::string& status = "", const std::string& ha = "") {
  auto config = config::parse_config("mqtt: {base_topic: pi, qos: 1" + status + "}\nhomeassistant: {discovery: true" +
                                         ha + "}\nchips:\n  main: {simulated: {lines: [A, B, C]}}\nlines:\n" + lines,
                                     "test.yaml", "host");
  config.homeassistant.device_id = "gpio2mqtt_0123456789abcdef";
  return config;
}

const std::string kDemoLines =
    "  button: {line: A}\n"
    "  relay: {line: B, direction: output}\n";

Json payload_of(const config::Config& config, const std::vector<ComponentId>& removed = {}) {
  auto json = parse_json(device_payload(config, removed));
  EXPECT_TRUE(json) << device_payload(config, removed);
  return json ? *json : Json{};
}

TEST(TheDiscoveryPayload, DescribesTheDaemonAsOneDeviceWithItsOrigin) {
  auto config = ha_config(kDemoLines);
  EXPECT_EQ(device_topic(config.homeassistant), "homeassistant/device/gpio2mqtt_0123456789abcdef/config");
  Json json = payload_of(config);
  ASSERT_EQ(json["dev"]["ids"].array.size(), 1u);
  EXPECT_EQ(json["dev"]["ids"].array[0].string, "gpio2mqtt_0123456789abcdef");
  EXPECT_EQ(json["dev"]["name"].string, "host");
  EXPECT_TRUE(json["dev"]["sw"].is_string());
  EXPECT_TRUE(json["dev"]["mdl"].is_string());
  EXPECT_EQ(json["o"]["name"].string, "gpio2mqtt");
  EXPECT_EQ(json["o"]["sw"].string, json["dev"]["sw"].string);
  EXPECT_EQ(json["o"]["url"].string.rfind("https://", 0), 0u);
  EXPECT_EQ(json["qos"].number, 1);
}

TEST(TheDiscoveryPayload, MakesInputsBinarySensorsAndOutputsSwitchesThatNeverRetain) {
  Json cmps = payload_of(ha_config(kDemoLines))["cmps"];
  ASSERT_EQ(cmps.object.size(), 2u);
  const Json& button = cmps["button"];
  EXPECT_EQ(button["p"].string, "binary_sensor");
  EXPECT_EQ(button["name"].string, "button");
  EXPECT_EQ(button["unique_id"].string, "gpio2mqtt_0123456789abcdef_button");
  EXPECT_EQ(button["state_topic"].string, "pi/button/state");
  EXPECT_EQ(button["payload_on"].string, "ON");
  EXPECT_EQ(button["payload_off"].string, "OFF");
  EXPECT_FALSE(button.has("command_topic"));
  const Json& relay = cmps["relay"];
  EXPECT_EQ(relay["p"].string, "switch");
  EXPECT_EQ(relay["unique_id"].string, "gpio2mqtt_0123456789abcdef_relay");
  EXPECT_EQ(relay["state_topic"].string, "pi/relay/state");
  EXPECT_EQ(relay["command_topic"].string, "pi/relay/set");
  EXPECT_EQ(relay["retain"].kind, Json::Kind::kBool);
  EXPECT_FALSE(relay["retain"].boolean);
}

TEST(TheDiscoveryPayload, MakesAMomentaryOutputAStatelessButtonThatPressesWithOn) {
  Json cmps = payload_of(ha_config(
      "  opener: {line: C, direction: output, momentary: 500ms, homeassistant: {device_class: restart}}\n"))["cmps"];
  const Json& opener = cmps["opener"];
  EXPECT_EQ(opener["p"].string, "button");
  EXPECT_EQ(opener["unique_id"].string, "gpio2mqtt_0123456789abcdef_opener");
  EXPECT_EQ(opener["command_topic"].string, "pi/opener/set");
  EXPECT_EQ(opener["payload_press"].string, "ON");
  EXPECT_EQ(opener["retain"].kind, Json::Kind::kBool);
  EXPECT_FALSE(opener["retain"].boolean);
  EXPECT_EQ(opener["device_class"].string, "restart");
  EXPECT_FALSE(opener.has("state_topic"));
  EXPECT_FALSE(opener.has("payload_on"));
}

TEST(TheDiscoveryPayload, TakesEachLinesNameDeviceClassAndIconAndLeavesHiddenLinesOut) {
  Json cmps = payload_of(
      ha_config("  door: {line: A, homeassistant: {name: Front door, device_class: door, icon: 'mdi:door'}}\n"
                "  lamp: {line: B, direction: output, homeassistant: {device_class: outlet}}\n"
                "  secret: {line: C, homeassistant: false}\n"))["cmps"];
  EXPECT_EQ(cmps.object.size(), 2u);
  EXPECT_FALSE(cmps.has("secret"));
  EXPECT_EQ(cmps["door"]["name"].string, "Front door");
  EXPECT_EQ(cmps["door"]["device_class"].string, "door");
  EXPECT_EQ(cmps["door"]["icon"].string, "mdi:door");
  EXPECT_EQ(cmps["lamp"]["device_class"].string, "outlet");
  EXPECT_FALSE(cmps["lamp"].has("icon"));
}

TEST(TheDiscoveryPayload, GivesDottedLineNamesAnIdHomeAssistantAccepts) {
  Json cmps = payload_of(ha_config("  hall.light: {line: B, direction: output}\n"))["cmps"];
  EXPECT_EQ(cmps["hall_light"]["unique_id"].string, "gpio2mqtt_0123456789abcdef_hall_light");
  EXPECT_EQ(cmps["hall_light"]["state_topic"].string, "pi/hall.light/state");
}

TEST(TheDiscoveryPayload, BindsAvailabilityToAJsonStatusWithATemplate) {
  Json avty = payload_of(ha_config(kDemoLines))["availability"];
  ASSERT_EQ(avty.array.size(), 1u);
  EXPECT_EQ(avty.array[0]["topic"].string, "pi/status");
  EXPECT_EQ(avty.array[0]["value_template"].string, "{{ value_json.status }}");
  EXPECT_EQ(avty.array[0]["payload_available"].string, "On");
  EXPECT_EQ(avty.array[0]["payload_not_available"].string, "Off");
}

TEST(TheDiscoveryPayload, BindsAvailabilityToAPlainStatusWithoutATemplate) {
  Json avty =
      payload_of(ha_config(kDemoLines, ", status: {topic: pi/up, online: online, offline: gone}"))["availability"];
  EXPECT_EQ(avty.array[0]["topic"].string, "pi/up");
  EXPECT_FALSE(avty.array[0].has("value_template"));
  EXPECT_EQ(avty.array[0]["payload_available"].string, "online");
  EXPECT_EQ(avty.array[0]["payload_not_available"].string, "gone");
}

TEST(TheDiscoveryPayload, UsesTheKeyThatDiffersInAJsonStatusWithSeveralKeys) {
  Json avty = payload_of(ha_config(
      kDemoLines,
      R"(, status: {online: '{"host":"pi","state":"up"}', offline: '{"host":"pi","state":"down"}'})"))["availability"];
  EXPECT_EQ(avty.array[0]["value_template"].string, "{{ value_json.state }}");
  EXPECT_EQ(avty.array[0]["payload_available"].string, "up");
  EXPECT_EQ(avty.array[0]["payload_not_available"].string, "down");
}

TEST(TheDiscoveryPayload, ComparesJsonStatusesItCannotTemplateAsAWhole) {
  std::string status = R"(, status: {online: '{"a":{"b":1}}', offline: '{"a":{"b":0}}'})";
  Json avty = payload_of(ha_config(kDemoLines, status))["availability"];
  EXPECT_FALSE(avty.array[0].has("value_template"));
  EXPECT_EQ(avty.array[0]["payload_available"].string, R"({"a":{"b":1}})");
}

TEST(TheDiscoveryPayload, ListsRemovedComponentsByTheirPlatformAlone) {
  auto config = ha_config(kDemoLines);
  Json cmps = payload_of(config, {{"door", "binary_sensor"}, {"relay", "binary_sensor"}})["cmps"];
  EXPECT_EQ(cmps["door"].object.size(), 1u);
  EXPECT_EQ(cmps["door"]["p"].string, "binary_sensor");
  // relay changed platform: its old component goes first, the switch comes in the next payload.
  EXPECT_EQ(cmps["relay"].object.size(), 1u);
  EXPECT_EQ(cmps["relay"]["p"].string, "binary_sensor");
  EXPECT_EQ(cmps["button"]["p"].string, "binary_sensor");
}

TEST(TheDiscoveryPayload, EscapesWhatJsonNeedsEscaped) {
  auto config = ha_config("  button: {line: A, homeassistant: {name: 'say \"hi\" \\ there'}}\n");
  EXPECT_EQ(payload_of(config)["cmps"]["button"]["name"].string, "say \"hi\" \\ there");
}

TEST(TheAnnouncer, AnnouncesTheDeviceRetainedAtQos1) {
  auto config = ha_config(kDemoLines);
  Announcer announcer;
  auto messages = announcer.sync(config);
  ASSERT_EQ(messages.size(), 1u);
  EXPECT_EQ(messages[0].topic, device_topic(config.homeassistant));
  EXPECT_TRUE(messages[0].retain);
  EXPECT_EQ(messages[0].qos, 1);
  EXPECT_EQ(messages[0].payload, device_payload(config));
}

TEST(TheAnnouncer, RemovesAComponentByListingItBareFirstThenLeavingItOut) {
  auto before = ha_config(kDemoLines);
  auto after = ha_config("  door: {line: A}\n  relay: {line: B, direction: output}\n");  // button renamed
  Announcer announcer;
  announcer.sync(before);
  announcer.confirm(before);
  auto messages = announcer.sync(after);
  ASSERT_EQ(messages.size(), 2u);
  Json first = *parse_json(messages[0].payload);
  EXPECT_EQ(first["cmps"]["button"].object.size(), 1u);
  EXPECT_TRUE(first["cmps"].has("door"));
  Json second = *parse_json(messages[1].payload);
  EXPECT_FALSE(second["cmps"].has("button"));
  EXPECT_TRUE(second["cmps"].has("door"));
  announcer.confirm(after);
  EXPECT_EQ(announcer.sync(after).size(), 1u);  // gone for good
}

TEST(TheAnnouncer, KeepsRemovingUntilTheRemovalWasConfirmed) {
  auto before = ha_config(kDemoLines);
  auto after = ha_config("  relay: {line: B, direction: output}\n");
  Announcer announcer;
  announcer.confirm(before);
  EXPECT_EQ(announcer.sync(after).size(), 2u);
  EXPECT_EQ(announcer.sync(after).size(), 2u);  // not confirmed: the broker may not have seen it
}

TEST(TheAnnouncer, RemovesTheWholeDeviceWhenDiscoveryIsTurnedOff) {
  auto on = ha_config(kDemoLines);
  auto off = on;
  off.homeassistant.discovery = false;
  Announcer announcer;
  EXPECT_TRUE(announcer.sync(off).empty());  // never announced: nothing to remove
  announcer.confirm(on);
  auto messages = announcer.sync(off);
  ASSERT_EQ(messages.size(), 1u);
  EXPECT_EQ(messages[0].topic, device_topic(on.homeassistant));
  EXPECT_EQ(messages[0].payload, "");
  EXPECT_TRUE(messages[0].retain);
  announcer.confirm(off);
  EXPECT_TRUE(announcer.sync(off).empty());
}

TEST(TheAnnouncer, MovesTheDeviceWhenItsIdChanges) {
  auto before = ha_config(kDemoLines);
  auto after = before;
  after.homeassistant.device_id = "kitchen";
  Announcer announcer;
  announcer.confirm(before);
  auto messages = announcer.sync(after);
  ASSERT_EQ(messages.size(), 2u);
  EXPECT_EQ(messages[0].topic, device_topic(before.homeassistant));
  EXPECT_EQ(messages[0].payload, "");
  EXPECT_EQ(messages[1].topic, "homeassistant/device/kitchen/config");
}

TEST(TheAnnouncer, AnswersHomeAssistantsBirthWithinTheDelayAndIgnoresItsWill) {
  auto config = ha_config(kDemoLines, "", ", announce_delay: 2s");
  Announcer announcer;
  announcer.on_status("offline", config.homeassistant, MonoTime(10s));
  EXPECT_FALSE(announcer.deadline());
  announcer.on_status("online", config.homeassistant, MonoTime(10s));
  ASSERT_TRUE(announcer.deadline());
  EXPECT_GE(*announcer.deadline(), MonoTime(10s));
  EXPECT_LE(*announcer.deadline(), MonoTime(12s));
  EXPECT_FALSE(announcer.take_due(*announcer.deadline() - 1ns));
  EXPECT_TRUE(announcer.take_due(MonoTime(12s)));
  EXPECT_FALSE(announcer.take_due(MonoTime(12s)));  // once
}

TEST(TheAnnouncer, AnswersAFloodOfBirthsAtMostOncePerDelay) {
  auto config = ha_config(kDemoLines, "", ", announce_delay: 2s");
  Announcer announcer;
  int announcements = 0;
  for (MonoTime now = MonoTime(0s); now < MonoTime(20s); now += 10ms) {
    announcer.on_status("online", config.homeassistant, now);
    announcements += announcer.take_due(now);
  }
  EXPECT_GE(announcements, 5);   // it does answer...
  EXPECT_LE(announcements, 11);  // ...but not more than once every 2 s
}

TEST(TheAnnouncer, SpreadsItsAnswersOverTheDelay) {
  auto config = ha_config(kDemoLines, "", ", announce_delay: 10s");
  std::set<MonoTime> deadlines;
  for (int i = 0; i < 20; ++i) {
    Announcer announcer;
    announcer.on_status("online", config.homeassistant, MonoTime(0s));
    deadlines.insert(*announcer.deadline());
  }
  EXPECT_GT(deadlines.size(), 10u);  // 20 draws of nanoseconds in 10 s: a repeat means no randomness
}

}  // namespace
}  // namespace gpio2mqtt::bridge

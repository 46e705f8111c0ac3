// The bridge announcing itself to Home Assistant: at connect, after Home Assistant's birth, on reload.
#include <gtest/gtest.h>

#include "fakes.h"
#include "gpio2mqtt/bridge/bridge.h"
#include "gpio2mqtt/config/loader.h"
#include "util/json.h"

namespace gpio2mqtt::bridge {
namespace {

using namespace std::chrono_literals;

const std::string kDevice = "homeassistant/device/test_device/config";

config::Config ha_config(const std::string& lines, bool discovery = true) {
  auto config = config::parse_config(std::string("mqtt: {base_topic: pi}\nhomeassistant: {discovery: ") +
                                         (discovery ? "true" : "false") +
                                         ", device_id: test_device, announce_delay: 3s}\n"
                                         "chips:\n  main: {simulated: {lines: [A, B, C]}}\nlines:\n" +
                                         lines,
                                     "test.yaml", "host");
  return config;
}

const std::string kDemoLines = "  button: {line: A}\n  relay: {line: B, direction: output}\n";

std::vector<std::string> topics_of(const std::vector<Message>& messages) {
  std::vector<std::string> out;
  for (const auto& m : messages) out.push_back(m.topic);
  return out;
}

class ABridgeWithDiscovery : public ::testing::Test {
 protected:
  void SetUp() override {
    bridge_.emplace(config_, publisher_, lines_);
    start(*bridge_, config_, lines_, MonoTime(0s));
  }
  config::Config config_ = ha_config(kDemoLines);
  RecordingPublisher publisher_;
  FakeLines lines_;
  std::optional<Bridge> bridge_;
};

TEST_F(ABridgeWithDiscovery, AnnouncesAfterTheOnlineStatusAndBeforeTheStates) {
  bridge_->on_connected(MonoTime(0s));
  EXPECT_EQ(topics_of(publisher_.sent),
            (std::vector<std::string>{"pi/status", kDevice, "pi/button/state", "pi/relay/state"}));
  EXPECT_TRUE(publisher_.sent[1].retain);
  EXPECT_TRUE(parse_json(publisher_.sent[1].payload));
}

TEST_F(ABridgeWithDiscovery, ListensToHomeAssistantsStatus) {
  EXPECT_EQ(bridge_->subscriptions(), (std::vector<std::string>{"pi/+/get", "pi/+/set", "homeassistant/status"}));
  EXPECT_EQ(command_topics(ha_config(kDemoLines, false)), (std::vector<std::string>{"pi/+/get", "pi/+/set"}));
}

TEST_F(ABridgeWithDiscovery, AnnouncesAgainWithinTheDelayWhenHomeAssistantComesOnline) {
  bridge_->on_connected(MonoTime(0s));
  publisher_.take();
  bridge_->on_message("homeassistant/status", "offline", false, MonoTime(10s));
  EXPECT_FALSE(bridge_->next_deadline());
  bridge_->on_message("homeassistant/status", "online", false, MonoTime(10s));
  auto due = bridge_->next_deadline();
  ASSERT_TRUE(due);
  EXPECT_LE(*due, MonoTime(13s));
  bridge_->on_time(*due);
  EXPECT_EQ(topics_of(publisher_.take()), (std::vector<std::string>{kDevice, "pi/button/state", "pi/relay/state"}));
  EXPECT_FALSE(bridge_->next_deadline());
  EXPECT_EQ(bridge_->counters().commands_rejected, 0u);  // the status is not a command
}

TEST_F(ABridgeWithDiscovery, IgnoresARetainedBirth) {
  bridge_->on_connected(MonoTime(0s));
  bridge_->on_message("homeassistant/status", "online", true, MonoTime(10s));
  EXPECT_FALSE(bridge_->next_deadline());
}

TEST_F(ABridgeWithDiscovery, RemovesTheComponentsOfRemovedRenamedAndHiddenLinesOnReload) {
  bridge_->on_connected(MonoTime(0s));
  publisher_.take();
  auto next = ha_config("  door: {line: A}\n  relay: {line: B, direction: output, homeassistant: false}\n");
  reload(*bridge_, config_, next, lines_, MonoTime(1s));
  auto device = publisher_.payloads_on(kDevice);
  ASSERT_EQ(device.size(), 2u);
  auto first = *parse_json(device[0]);
  EXPECT_EQ(first["cmps"]["button"].object.size(), 1u);  // {"p": "binary_sensor"}: removed
  EXPECT_EQ(first["cmps"]["relay"].object.size(), 1u);
  auto second = *parse_json(device[1]);
  EXPECT_EQ(second["cmps"].object.size(), 1u);
  EXPECT_TRUE(second["cmps"].has("door"));
}

TEST_F(ABridgeWithDiscovery, KeepsAnOutputAsItIsWhenAReloadOnlyRenamesItsEntity) {
  bridge_->on_connected(MonoTime(0s));
  bridge_->on_message("pi/relay/set", "ON", false, MonoTime(1s));
  lines_.writes.clear();
  publisher_.take();
  auto next = ha_config("  button: {line: A}\n  relay: {line: B, direction: output, homeassistant: {name: Lamp}}\n");
  reload(*bridge_, config_, next, lines_, MonoTime(2s));
  EXPECT_TRUE(lines_.writes.empty());
  EXPECT_TRUE(bridge_->level(1));
  EXPECT_EQ((*parse_json(publisher_.payloads_on(kDevice).at(0)))["cmps"]["relay"]["name"].string, "Lamp");
}

TEST_F(ABridgeWithDiscovery, RemovesTheDeviceWhenAReloadTurnsDiscoveryOff) {
  bridge_->on_connected(MonoTime(0s));
  publisher_.take();
  auto next = ha_config(kDemoLines, false);
  reload(*bridge_, config_, next, lines_, MonoTime(1s));
  EXPECT_EQ(publisher_.payloads_on(kDevice), std::vector<std::string>{""});
  EXPECT_EQ(bridge_->subscriptions(), (std::vector<std::string>{"pi/+/get", "pi/+/set"}));
}

TEST_F(ABridgeWithDiscovery, RemovesWhatAReloadWhileDisconnectedTookAwayAtTheNextConnect) {
  bridge_->on_connected(MonoTime(0s));
  bridge_->on_disconnected(MonoTime(2s));
  publisher_.take();
  auto next = ha_config("  relay: {line: B, direction: output}\n");
  reload(*bridge_, config_, next, lines_, MonoTime(3s));
  EXPECT_TRUE(publisher_.sent.empty());
  bridge_->on_connected(MonoTime(2s));
  auto device = publisher_.payloads_on(kDevice);
  ASSERT_EQ(device.size(), 2u);
  EXPECT_EQ((*parse_json(device[0]))["cmps"]["button"].object.size(), 1u);
  EXPECT_FALSE((*parse_json(device[1]))["cmps"].has("button"));
}

TEST_F(ABridgeWithDiscovery, ReadsBackItsRetainedPayloadAndRemovesWhatLinesRemovedWhileStoppedLeft) {
  EXPECT_EQ(bridge_->retained_subscriptions(), std::vector<std::string>{kDevice});
  // A previous run announced a lamp too, and a door that is a removal already.
  auto previous = ha_config(kDemoLines + "  lamp: {line: C, direction: output}\n");
  auto retained = device_payload(previous, {{"door", "binary_sensor"}});
  bridge_->on_connected(MonoTime(0s));
  publisher_.take();
  bridge_->on_message(kDevice, retained, true, MonoTime(1s));
  auto device = publisher_.payloads_on(kDevice);
  ASSERT_EQ(device.size(), 2u);
  auto first = *parse_json(device[0]);
  EXPECT_EQ(first["cmps"]["lamp"].object.size(), 1u);  // {"p": "switch"}
  EXPECT_FALSE(first["cmps"].has("door"));
  EXPECT_EQ(first["cmps"]["relay"]["p"].string, "switch");
  EXPECT_FALSE((*parse_json(device[1]))["cmps"].has("lamp"));
  // Only the first message since connect is the replay: our own echoes that follow are not.
  publisher_.take();
  bridge_->on_message(kDevice, retained, true, MonoTime(2s));
  EXPECT_TRUE(publisher_.sent.empty());
}

TEST_F(ABridgeWithDiscovery, LeavesARetainedPayloadWithNothingStaleAsItIs) {
  bridge_->on_connected(MonoTime(0s));
  publisher_.take();
  bridge_->on_message(kDevice, device_payload(config_), true, MonoTime(1s));
  bridge_->on_message(kDevice, "not json", false, MonoTime(1s));
  EXPECT_TRUE(publisher_.sent.empty());
}

TEST(ABridgeWithoutDiscovery, AnnouncesNothingAndTakesTheStatusTopicForAStrayMessage) {
  auto config = ha_config(kDemoLines, false);
  RecordingPublisher publisher;
  FakeLines lines;
  Bridge bridge(config, publisher, lines);
  start(bridge, config, lines, MonoTime(0s));
  bridge.on_connected(MonoTime(0s));
  EXPECT_TRUE(publisher.payloads_on(kDevice).empty());
  EXPECT_TRUE(bridge.retained_subscriptions().empty());
  bridge.on_message("homeassistant/status", "online", false, MonoTime(1s));
  EXPECT_FALSE(bridge.next_deadline());
}

}  // namespace
}  // namespace gpio2mqtt::bridge

// Local bindings through the Bridge, on timestamp sequences: each trigger kind, each `when`, a
// binding switched off and on (over MQTT, kept by the store), through an interlock, with a
// momentary target.
#include <gtest/gtest.h>

#include "fakes.h"
#include "gpio2mqtt/bridge/bridge.h"
#include "gpio2mqtt/config/loader.h"

namespace gpio2mqtt::bridge {
namespace {

using namespace std::chrono_literals;

constexpr std::size_t kWall = 0, kDoor = 1, kLight = 2, kUp = 3, kDown = 4, kOpener = 5;

MonoTime at(Nanos t) { return MonoTime(t); }

class ABridgeWithBindings : public BridgeTest {
 protected:
  // A bridge (again: a restart) with these bindings.
  void make(const std::string& bindings, const std::string& extra = "") {
    BridgeTest::make(config::parse_config(R"(
mqtt: {base_topic: pi}
chips:
  main: {simulated: {lines: [A, B, C, D, E, F]}}
lines:
  wall: {line: A, mode: button, button: {window: 300ms, long_press: 1s}}
  door: {line: B}
  light: {line: C, direction: output}
  up: {line: D, direction: output}
  down: {line: E, direction: output}
  opener: {line: F, direction: output, momentary: 500ms}
interlocks:
  - {lines: [up, down], dead_time: 500ms}
bindings:
)" + bindings + extra,
                                          "t.yaml", "h"));
  }
  // A press of the wall button at `t`, released 100 ms later; the gesture is made when the window ends.
  void click(Nanos t) {
    bridge_->on_edge(kWall, edge(true, at(t)));
    bridge_->on_edge(kWall, edge(false, at(t + 100ms)));
    bridge_->on_time(at(t + 500ms));
  }
  void door(bool open, Nanos t) { bridge_->on_edge(kDoor, edge(open, at(t))); }
};

TEST_F(ABridgeWithBindings, TogglesItsTargetOnAGestureAndPublishesTheNewLevel) {
  make("  - {trigger: wall, on: single, target: light}\n");
  click(1s);
  EXPECT_TRUE(lines_.levels[kLight]);
  EXPECT_EQ(publisher_.payloads_on("pi/light/state"), std::vector<std::string>{"ON"});
  click(2s);
  EXPECT_FALSE(lines_.levels[kLight]);
  EXPECT_EQ(bridge_->counters().commands_applied, 2u);
  // The button's gesture still goes out, for Home Assistant's automations.
  EXPECT_EQ(publisher_.payloads_on("pi/wall/action"), (std::vector<std::string>{"single", "single"}));
}

TEST_F(ABridgeWithBindings, ActsOnTheLevelItWasToldOf) {
  make(
      "  - {name: opened, trigger: door, on: on, target: light, action: on}\n"
      "  - {name: closed, trigger: door, on: off, target: light, action: off}\n"
      "  - {trigger: door, on: change, target: opener, action: on}\n");
  door(true, 1s);
  EXPECT_TRUE(lines_.levels[kLight]);
  EXPECT_TRUE(lines_.levels[kOpener]);
  door(false, 2s);
  EXPECT_FALSE(lines_.levels[kLight]);
  EXPECT_EQ(bridge_->counters().commands_applied, 4u);
}

TEST_F(ABridgeWithBindings, ActsWhenTheBrokerIsUnreachableOnlyThenWhenToldSo) {
  make("  - {trigger: door, on: on, target: light, action: toggle, when: broker_offline}\n");
  door(true, 1s);
  EXPECT_FALSE(lines_.levels[kLight]);  // connected: Home Assistant does the job
  door(false, 2s);
  bridge_->on_disconnected(at(3s));
  door(true, 4s);
  EXPECT_TRUE(lines_.levels[kLight]);
  EXPECT_TRUE(publisher_.payloads_on("pi/light/state").empty());  // nothing goes out while disconnected
  bridge_->on_connected(at(5s));
  EXPECT_EQ(publisher_.payloads_on("pi/light/state"), std::vector<std::string>{"ON"});  // the true level
  door(false, 6s);
  door(true, 7s);
  EXPECT_TRUE(lines_.levels[kLight]);
}

TEST_F(ABridgeWithBindings, ActsWhenHomeAssistantSaidOfflineOrTheBrokerIsGone) {
  make("  - {trigger: door, on: on, target: light, when: ha_offline}\n");
  EXPECT_NE(std::find(bridge_->subscriptions().begin(), bridge_->subscriptions().end(), "homeassistant/status"),
            bridge_->subscriptions().end());  // followed with discovery off
  EXPECT_EQ(bridge_->retained_subscriptions(), std::vector<std::string>{"homeassistant/status"});
  door(true, 1s);
  EXPECT_FALSE(lines_.levels[kLight]);  // unknown counts as online
  door(false, 2s);
  bridge_->on_message("homeassistant/status", "offline", true, at(3s));  // a retained status counts
  door(true, 4s);
  EXPECT_TRUE(lines_.levels[kLight]);
  door(false, 5s);
  bridge_->on_message("homeassistant/status", "online", false, at(6s));
  door(true, 7s);
  EXPECT_TRUE(lines_.levels[kLight]);  // unchanged: Home Assistant is back
  door(false, 8s);
  bridge_->on_disconnected(at(9s));
  door(true, 10s);
  EXPECT_FALSE(lines_.levels[kLight]);  // the broker is gone: Home Assistant cannot act
}

TEST_F(ABridgeWithBindings, IsSwitchedOffAndOnOverMqttAndTheStoreKeepsIt) {
  make("  - {name: child_lock, trigger: door, on: on, target: light}\n");
  EXPECT_NE(std::find(bridge_->subscriptions().begin(), bridge_->subscriptions().end(), "pi/binding/+/set"),
            bridge_->subscriptions().end());
  bridge_->on_message("pi/binding/child_lock/set", "OFF", false, at(1s));
  EXPECT_EQ(publisher_.payloads_on("pi/binding/child_lock/state"), std::vector<std::string>{"OFF"});
  EXPECT_TRUE(publisher_.sent.back().retain);
  EXPECT_EQ(binding_store_.kept["child_lock"], false);
  door(true, 2s);
  EXPECT_FALSE(lines_.levels[kLight]);
  door(false, 3s);

  bridge_->on_message("pi/binding/child_lock/set", "ON", true, at(4s));  // retained: refused
  EXPECT_EQ(bridge_->counters().commands_rejected, 1u);
  EXPECT_FALSE(bridge_->bindings().enabled("child_lock"));

  make("  - {name: child_lock, trigger: door, on: on, target: light}\n");  // a restart
  EXPECT_FALSE(bridge_->bindings().enabled("child_lock"));
  bridge_->on_connected(at(5s));
  EXPECT_EQ(publisher_.payloads_on("pi/binding/child_lock/state"), std::vector<std::string>{"OFF"});
  bridge_->on_message("pi/binding/child_lock/set", "on", false, at(6s));
  door(true, 7s);
  EXPECT_TRUE(lines_.levels[kLight]);
  // As D-Bus will: the same switch, the same state published.
  EXPECT_TRUE(bridge_->set_binding("child_lock", false, at(8s)));
  EXPECT_EQ(publisher_.payloads_on("pi/binding/child_lock/state").back(), "OFF");
  EXPECT_FALSE(bridge_->set_binding("nothing", false, at(8s)));
}

// The service signals D-Bus when changes() grew: it must grow with what a reader sees, and only then.
TEST_F(ABridgeWithBindings, CountsTheChangesAReaderOfTheBindingsWouldSee) {
  make("  - {name: child_lock, trigger: door, on: on, target: light, when: ha_offline}\n");
  auto seen = bridge_->bindings().changes();
  auto changed = [&] {
    auto now = bridge_->bindings().changes();
    bool grew = now != seen;
    seen = now;
    return grew;
  };
  bridge_->on_message("homeassistant/status", "offline", false, at(1s));
  EXPECT_TRUE(changed());
  bridge_->on_message("homeassistant/status", "offline", false, at(2s));
  EXPECT_FALSE(changed());
  EXPECT_TRUE(bridge_->set_binding("child_lock", false, at(3s)));
  EXPECT_TRUE(changed());
  EXPECT_TRUE(bridge_->set_binding("child_lock", false, at(4s)));
  EXPECT_FALSE(changed());
  bridge_->on_disconnected(at(5s), {});
  EXPECT_TRUE(changed());
  bridge_->on_connected(at(6s));
  EXPECT_TRUE(changed());
}

TEST_F(ABridgeWithBindings, SwitchesThroughTheInterlockAndItsDeadTime) {
  make("  - {trigger: door, on: on, target: up, action: on}\n");
  bridge_->on_message("pi/down/set", "ON", false, at(1s));
  ASSERT_TRUE(lines_.levels[kDown]);
  door(true, 2s);
  EXPECT_FALSE(lines_.levels[kDown]);  // off at once
  EXPECT_FALSE(lines_.levels[kUp]);    // on only after the dead time
  bridge_->on_time(at(2s + 499ms));
  EXPECT_FALSE(lines_.levels[kUp]);
  bridge_->on_time(at(2s + 500ms));
  EXPECT_TRUE(lines_.levels[kUp]);
}

TEST_F(ABridgeWithBindings, CountsTheDeadTimeFromWhenTheEdgeWasReadNotFromItsTimestamp) {
  make("  - {trigger: door, on: on, target: up, action: on}\n");
  bridge_->on_message("pi/down/set", "ON", false, at(1s));
  bridge_->on_edge(kDoor, edge(true, at(2s)), at(2s + 100ms));  // read 100 ms after the kernel saw it
  EXPECT_FALSE(lines_.levels[kDown]);
  bridge_->on_time(at(2s + 599ms));
  EXPECT_FALSE(lines_.levels[kUp]);
  bridge_->on_time(at(2s + 600ms));
  EXPECT_TRUE(lines_.levels[kUp]);
}

TEST_F(ABridgeWithBindings, MakesAMomentaryTargetsOnAPulse) {
  make(
      "  - {trigger: wall, on: long, target: opener, action: on}\n"
      "  - {trigger: door, on: on, target: light, action: pulse, length: 2s}\n");
  bridge_->on_edge(kWall, edge(true, at(1s)));
  bridge_->on_time(at(2s));  // held 1 s: long
  EXPECT_TRUE(lines_.levels[kOpener]);
  bridge_->on_time(at(2s + 499ms));
  EXPECT_TRUE(lines_.levels[kOpener]);
  bridge_->on_time(at(2s + 500ms));
  EXPECT_FALSE(lines_.levels[kOpener]);
  door(true, 3s);
  EXPECT_TRUE(lines_.levels[kLight]);
  bridge_->on_time(at(5s));
  EXPECT_FALSE(lines_.levels[kLight]);
}

TEST_F(ABridgeWithBindings, DropsActionsOfAChatteringContactOverTheRate) {
  make("  - {trigger: door, target: light}\n");
  for (int i = 0; i < 40; ++i) door(i % 2 == 0, 1s + i * 1ms);
  EXPECT_EQ(bridge_->counters().commands_applied, 20u);  // the burst
  EXPECT_EQ(bridge_->counters().commands_rate_limited, 20u);
}

TEST_F(ABridgeWithBindings, KeepsASwitchedOffBindingOffOverAReloadAndTakesNewOnes) {
  make("  - {name: night, trigger: door, on: on, target: light}\n");
  bridge_->on_message("pi/binding/night/set", "OFF", false, at(1s));
  next_ = config_;
  next_.bindings.push_back(next_.bindings.front());
  next_.bindings.back().name = "day";
  next_.bindings.back().target = "opener";
  reload(*bridge_, config_, next_, lines_, at(2s));
  EXPECT_FALSE(bridge_->bindings().enabled("night"));
  EXPECT_TRUE(bridge_->bindings().enabled("day"));
  EXPECT_EQ(publisher_.payloads_on("pi/binding/day/state"), std::vector<std::string>{"ON"});
  door(true, 3s);
  EXPECT_FALSE(lines_.levels[kLight]);
  EXPECT_TRUE(lines_.levels[kOpener]);
  bridge_->on_message("pi/binding/day/set", "OFF", false, at(4s));
  EXPECT_EQ(binding_store_.kept["day"], false);
}

TEST(ABindingSwitch, IsAConfigSwitchInHomeAssistant) {
  auto config = config::parse_config(R"(
homeassistant: {discovery: true, device_id: pi1}
chips:
  main: {simulated: {lines: [A, B]}}
lines:
  door: {line: A}
  light: {line: B, direction: output}
bindings:
  - {name: night, trigger: door, target: light}
)",
                                     "t.yaml", "h");
  std::string payload = device_payload(config);
  EXPECT_NE(
      payload.find(R"("binding_night":{"p":"switch","name":"Binding night","unique_id":"pi1_binding_night",)"
                   R"("state_topic":"raspberry/binding/night/state","command_topic":"raspberry/binding/night/set",)"
                   R"("retain":false,"payload_on":"ON","payload_off":"OFF","entity_category":"config")"),
      std::string::npos)
      << payload;
}

}  // namespace
}  // namespace gpio2mqtt::bridge

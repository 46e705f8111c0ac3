// Covers through the Bridge, on the recording fakes: commands over MQTT, what is published and
// stored, end stops, and the safety rules: nothing moves at start, reload, reconnect, Home
// Assistant's birth or on a retained command; the broker's loss stops a running motor; a failing
// write switches the other direction off too; the cover's lines take no commands of their own.
#include <gtest/gtest.h>

#include "fakes.h"
#include "gpio2mqtt/bridge/bridge.h"
#include "gpio2mqtt/config/loader.h"

namespace gpio2mqtt::bridge {
namespace {

using namespace std::chrono_literals;
using Writes = std::vector<std::pair<std::size_t, bool>>;

constexpr std::size_t kUp = 0, kDown = 1, kTop = 2, kBottom = 3, kWall = 4, kOpener = 5;

MonoTime at(Nanos t) { return MonoTime(t); }

const std::string kConfig = R"(
mqtt: {base_topic: pi}
homeassistant: {discovery: true, device_id: dev, announce_delay: 1s}
chips:
  main: {simulated: {lines: [A, B, C, D, E, F]}}
lines:
  up: {line: A, direction: output}
  down: {line: B, direction: output}
  top: {line: C}
  bottom: {line: D}
  wall: {line: E, mode: button, button: {window: 300ms}}
  opener: {line: F, direction: output}
covers:
  shutter: {open: up, close: down, opened: top, closed: bottom, open_time: 10s, close_time: 10s, margin: 1s,
            dead_time: 500ms, persist_every: 2s}
  garage: {button: opener, open_time: 20s, close_time: 20s, press: 300ms}
bindings:
  - {trigger: wall, on: single, target: shutter, action: toggle}
)";

class ABridgeWithCovers : public ::testing::Test {
 protected:
  void make(Nanos start = 0s) {
    bridge_.reset();
    config_ = config::parse_config(kConfig, "t.yaml", "h");
    bridge_.emplace(config_, publisher_, lines_, nullptr, nullptr, nullptr, &store_);
    start_at_ = at(start);
    bridge::start(*bridge_, config_, lines_, start_at_);
    bridge_->on_connected(start_at_);
    connect_sent_ = publisher_.take();
    lines_.writes.clear();
  }
  // Runs the bridge's timer until `until`, as the service does.
  void run_until(Nanos until) {
    while (auto d = bridge_->next_deadline()) {
      if (*d > at(until)) break;
      bridge_->on_time(*d);
    }
  }
  void set(const std::string& payload, Nanos t, bool retained = false) {
    run_until(t);
    bridge_->on_message("pi/shutter/set", payload, retained, at(t));
  }
  std::vector<std::string> sent(const std::string& topic) const { return publisher_.payloads_on(topic); }

  config::Config config_;
  config::Config next_;
  RecordingPublisher publisher_;
  FakeLines lines_;
  RecordingDeviceStore store_;
  std::optional<Bridge> bridge_;
  std::vector<Message> connect_sent_;
  MonoTime start_at_{};
};

TEST_F(ABridgeWithCovers, DriveNothingAtStartAndPublishTheirKeptStateAtConnect) {
  store_.kept["cover/shutter"] = 4250;  // 42.5 %
  make();
  EXPECT_TRUE(lines_.writes.empty());
  EXPECT_EQ(bridge_->next_deadline(), std::nullopt);
  auto payload_on = [&](const std::string& topic) {
    for (const auto& m : connect_sent_)
      if (m.topic == topic) return m.payload + (m.retain ? " retained" : "");
    return std::string("none");
  };
  EXPECT_EQ(payload_on("pi/shutter/state"), "stopped retained");
  EXPECT_EQ(payload_on("pi/shutter/position"), "43 retained");
  EXPECT_EQ(payload_on("pi/garage/state"), "stopped retained");
  EXPECT_EQ(payload_on("pi/garage/position"), "none");  // unknown until a full travel
}

TEST_F(ABridgeWithCovers, OpenOverMqttRunsTheMotorForItsTimeAndStoresThePosition) {
  store_.kept["cover/shutter"] = 0;
  make();
  set("open", 1s);
  EXPECT_EQ(lines_.writes, (Writes{{kUp, true}}));
  EXPECT_EQ(sent("pi/shutter/state"), std::vector<std::string>{"opening"});
  run_until(30s);
  // A stop switches both directions off, whatever it believes of them.
  EXPECT_EQ(lines_.writes, (Writes{{kUp, true}, {kUp, false}, {kDown, false}}));
  EXPECT_EQ(sent("pi/shutter/state"), (std::vector<std::string>{"opening", "open"}));
  EXPECT_EQ(sent("pi/shutter/position").back(), "100");
  EXPECT_EQ(store_.kept["cover/shutter"], 10000u);
  // Stored while it ran, at most every persist_every (2 s), and at the stop.
  EXPECT_GE(store_.saves.size(), 5u);
  EXPECT_LE(store_.saves.size(), 7u);
}

TEST_F(ABridgeWithCovers, StopsAtItsEndStopAndTakesItsPositionFromIt) {
  store_.kept["cover/shutter"] = 5000;
  make();
  set("CLOSE", 1s);
  run_until(3s);
  bridge_->on_edge(kBottom, edge(true, at(3s)));
  EXPECT_EQ(lines_.writes.back(), (std::pair<std::size_t, bool>{kDown, false}));
  EXPECT_EQ(sent("pi/shutter/state").back(), "closed");
  EXPECT_EQ(sent("pi/shutter/position").back(), "0");
}

TEST_F(ABridgeWithCovers, RefuseRetainedAndMalformedCommands) {
  store_.kept["cover/shutter"] = 0;
  make();
  set("OPEN", 1s, true);
  set("UP", 2s);
  set("150", 3s);
  run_until(10s);
  EXPECT_TRUE(lines_.writes.empty());
  EXPECT_EQ(bridge_->counters().commands_rejected, 3u);
}

TEST_F(ABridgeWithCovers, MoveNothingAtHomeAssistantsBirthOrAReconnect) {
  store_.kept["cover/shutter"] = 0;
  make();
  bridge_->on_message("homeassistant/status", "online", false, at(1s));
  run_until(5s);
  bridge_->on_disconnected(at(6s));
  bridge_->on_connected(at(7s));
  run_until(10s);
  EXPECT_TRUE(lines_.writes.empty());
  EXPECT_FALSE(sent("pi/shutter/state").empty());  // the birth and the connect published it again
}

TEST_F(ABridgeWithCovers, StopARunningMotorWhenTheBrokerGoes) {
  store_.kept["cover/shutter"] = 0;
  make();
  set("OPEN", 1s);
  run_until(3s);
  bridge_->on_disconnected(at(3s));
  EXPECT_EQ(lines_.writes, (Writes{{kUp, true}, {kUp, false}, {kDown, false}}));
  EXPECT_EQ(store_.kept["cover/shutter"], 2000u);
  run_until(60s);
  EXPECT_EQ(lines_.writes.size(), 3u);
}

TEST_F(ABridgeWithCovers, StopAtAReloadAndMoveNothingAfterIt) {
  store_.kept["cover/shutter"] = 0;
  make();
  set("OPEN", 1s);
  run_until(5s);
  next_ = config::parse_config(kConfig, "t.yaml", "h");
  reload(*bridge_, config_, next_, lines_, at(5s));
  EXPECT_EQ(lines_.writes, (Writes{{kUp, true}, {kUp, false}, {kDown, false}}));
  std::size_t writes = lines_.writes.size();
  run_until(60s);
  EXPECT_EQ(lines_.writes.size(), writes);
  EXPECT_EQ(store_.kept["cover/shutter"], 4000u);
  EXPECT_EQ(sent("pi/shutter/position").back(), "40");
}

TEST_F(ABridgeWithCovers, AFailingWriteSwitchesTheOtherDirectionOffToo) {
  store_.kept["cover/shutter"] = 5000;
  make();
  set("CLOSE", 1s);
  run_until(2s);
  lines_.writes.clear();
  lines_.on_write = [](std::size_t line, bool active) {
    if (line == kUp && active) throw std::runtime_error("relay driver gone");
  };
  set("OPEN", 3s);
  run_until(10s);
  // both off (the reversal), up refused, then both off again.
  EXPECT_EQ(lines_.writes, (Writes{{kUp, false}, {kDown, false}, {kUp, true}, {kUp, false}, {kDown, false}}));
  EXPECT_FALSE(lines_.levels[kDown]);
  EXPECT_EQ(sent("pi/shutter/state").back(), "stopped");
}

TEST_F(ABridgeWithCovers, TheirLinesTakeNoCommandsAndAreNoSwitchesInHomeAssistant) {
  make();
  bridge_->on_message("pi/up/set", "ON", false, at(1s));
  bridge_->on_message("pi/opener/set", "ON", false, at(1s));
  EXPECT_TRUE(lines_.writes.empty());
  EXPECT_EQ(bridge_->counters().commands_rejected, 2u);
  EXPECT_NE(bridge_->apply(kUp, Command{}, at(1s)), "");
  std::string discovery;
  for (const auto& m : connect_sent_)
    if (m.topic == "homeassistant/device/dev/config") discovery = m.payload;
  EXPECT_NE(discovery.find(R"("shutter":{"p":"cover")"), std::string::npos) << discovery;
  EXPECT_NE(discovery.find(R"("device_class":"garage")"), std::string::npos);
  EXPECT_NE(discovery.find(R"("set_position_topic":"pi/shutter/set")"), std::string::npos);
  EXPECT_EQ(discovery.find(R"("up":)"), std::string::npos);
  EXPECT_EQ(discovery.find(R"("opener":)"), std::string::npos);
  EXPECT_NE(discovery.find(R"("top":)"), std::string::npos);  // an end stop is still a binary sensor
}

TEST_F(ABridgeWithCovers, TakeABindingsActionWithoutTheBroker) {
  store_.kept["cover/shutter"] = 0;
  make();
  bridge_->on_disconnected(at(1s));
  bridge_->on_edge(kWall, edge(true, at(2s)));
  bridge_->on_edge(kWall, edge(false, at(2s + 100ms)));
  run_until(3s);
  EXPECT_EQ(lines_.writes, (Writes{{kUp, true}}));  // toggle: closed, so it opens
}

TEST_F(ABridgeWithCovers, PressTheGarageButtonOnlyWhenCommanded) {
  make();
  bridge_->on_message("pi/garage/set", "OPEN", false, at(1s));
  run_until(2s);
  EXPECT_EQ(lines_.writes, (Writes{{kOpener, true}, {kOpener, false}}));
  bridge_->on_disconnected(at(3s));  // on_disconnect: stop: one press stops it
  bridge_->on_connected(at(4s));
  bridge_->on_stop(at(5s));  // never a press
  EXPECT_EQ(lines_.writes, (Writes{{kOpener, true}, {kOpener, false}, {kOpener, true}, {kOpener, false}}));
}

TEST_F(ABridgeWithCovers, LeaveAGarageDoorItsRemoteStartedAloneWhenTheBrokerGoes) {
  bridge_.reset();
  std::string text = kConfig;
  text.replace(text.find("garage: {button: opener,"), 24, "garage: {button: opener, closed: bottom,");
  text.replace(text.find("opened: top, closed: bottom,"), 28, "opened: top,");
  config_ = config::parse_config(text, "t.yaml", "h");
  lines_.levels[kBottom] = true;  // closed
  bridge_.emplace(config_, publisher_, lines_, nullptr, nullptr, nullptr, &store_);
  bridge::start(*bridge_, config_, lines_, at(0s));
  bridge_->on_connected(at(0s));
  bridge_->on_edge(kBottom, edge(false, at(1s)));  // the remote opened it
  run_until(2s);
  EXPECT_EQ(publisher_.payloads_on("pi/garage/state").back(), "opening");
  bridge_->on_disconnected(at(3s));
  run_until(30s);  // its deadlines move on without the broker (no busy loop), and it opens
  EXPECT_EQ(lines_.writes, Writes{});
  bridge_->on_connected(at(31s));
  EXPECT_EQ(publisher_.payloads_on("pi/garage/state").back(), "open");
}

}  // namespace
}  // namespace gpio2mqtt::bridge

// A bridge with an input in mode: button: its gestures on the action topic beside its state.
#include <gtest/gtest.h>

#include "fakes.h"
#include "gpio2mqtt/bridge/bridge.h"
#include "gpio2mqtt/config/loader.h"

namespace gpio2mqtt::bridge {
namespace {

using namespace std::chrono_literals;

constexpr std::size_t kButton = 0;

config::Config button_config(const std::string& button = "{window: 300ms, long_press: 1s}") {
  return config::parse_config(R"(
mqtt: {base_topic: pi, qos: 1}
chips:
  main: {simulated: {lines: [A, B]}}
lines:
  hall:
    line: A
    mode: button
    debounce: 20ms
    button: )" + button + "\n",
                              "test.yaml", "host");
}

class ABridgeWithAButton : public BridgeTest {
 protected:
  void SetUp() override { make(button_config()); }
  // The service's part: on_time() at each deadline the bridge names, up to `t`.
  void run_to(MonoTime t) {
    while (auto d = bridge_->next_deadline()) {
      if (*d > t) break;
      bridge_->on_time(*d);
    }
  }
  void change(bool pressed, MonoTime t) {
    run_to(t);
    bridge_->on_edge(kButton, edge(pressed, t));
  }
  void press(MonoTime t, Nanos held = 100ms) {
    change(true, t);
    change(false, t + held);
  }
  std::vector<std::string> actions() const { return publisher_.payloads_on("pi/hall/action"); }
};

TEST_F(ABridgeWithAButton, PublishesADoubleOnceTheWindowPassedNotRetained) {
  press(MonoTime(1s));
  press(MonoTime(1300ms));
  run_to(MonoTime(1500ms));  // past the debounce period of the release
  EXPECT_TRUE(actions().empty());
  EXPECT_EQ(bridge_->next_deadline(), MonoTime(1300ms + 100ms + 300ms)) << "the window after the last release";
  run_to(MonoTime(1700ms));
  EXPECT_EQ(actions(), std::vector<std::string>{"double"});
  for (const auto& m : publisher_.sent)
    if (m.topic == "pi/hall/action") {
      EXPECT_FALSE(m.retain);
      EXPECT_EQ(m.qos, 1);
    }
}

TEST_F(ABridgeWithAButton, KeepsPublishingItsStateAndEdges) {
  press(MonoTime(1s));
  EXPECT_EQ(publisher_.payloads_on("pi/hall/state"), (std::vector<std::string>{"ON", "OFF"}));
  EXPECT_EQ(publisher_.payloads_on("pi/hall/event").size(), 2u);
}

TEST_F(ABridgeWithAButton, PublishesLongWhileHeldAndLongReleaseAtTheRelease) {
  change(true, MonoTime(1s));
  EXPECT_EQ(bridge_->next_deadline(), MonoTime(1s + 20ms)) << "the debounce period first";
  run_to(MonoTime(2s));
  EXPECT_EQ(actions(), std::vector<std::string>{"long"});
  change(false, MonoTime(3s));
  EXPECT_EQ(actions(), (std::vector<std::string>{"long", "long_release"}));
}

TEST_F(ABridgeWithAButton, DebouncesBeforeCountingPresses) {
  // Contact bounce within the 20 ms debounce on the press and on the release: one press.
  change(true, MonoTime(1s));
  change(false, MonoTime(1s + 2ms));
  change(true, MonoTime(1s + 4ms));
  change(false, MonoTime(1100ms));
  change(true, MonoTime(1100ms + 3ms));
  change(false, MonoTime(1100ms + 5ms));
  run_to(MonoTime(5s));
  EXPECT_EQ(actions(), std::vector<std::string>{"single"});
}

TEST_F(ABridgeWithAButton, ConfiguredForSinglePressesSendsAtTheReleaseWithoutWaiting) {
  make(button_config("{gestures: [single]}"));
  press(MonoTime(1s));
  EXPECT_EQ(actions(), std::vector<std::string>{"single"});
  EXPECT_EQ(bridge_->next_deadline(), MonoTime(1100ms + 20ms)) << "only the debounce period is left";
}

TEST_F(ABridgeWithAButton, NeverPublishesAGestureFromWhileTheBrokerWasAway) {
  bridge_->on_disconnected(MonoTime(2s));
  press(MonoTime(1s));
  run_to(MonoTime(5s));
  bridge_->on_connected(MonoTime(5s));
  EXPECT_TRUE(actions().empty());
  EXPECT_EQ(publisher_.payloads_on("pi/hall/state").back(), "OFF");
}

TEST_F(ABridgeWithAButton, ForgetsAPressUnderWayWhenItsLineIsReadAgain) {
  change(true, MonoTime(1s));
  lines_.levels[kButton] = false;  // the release was lost while the lines were reopened
  bridge_->resync_inputs();
  run_to(MonoTime(5s));
  EXPECT_TRUE(actions().empty());
}

TEST_F(ABridgeWithAButton, TakesNewTimingsAtAReload) {
  next_ = button_config("{window: 1s}");
  reload(*bridge_, config_, next_, lines_, MonoTime(500ms));
  press(MonoTime(1s));
  run_to(MonoTime(2100ms - 1ns));
  EXPECT_TRUE(actions().empty()) << "the old window of 300 ms is gone";
  run_to(MonoTime(2100ms));
  EXPECT_EQ(actions(), std::vector<std::string>{"single"});
}

TEST_F(ABridgeWithAButton, KeepsAGestureUnderWayThroughAReloadThatLeftItAlone) {
  press(MonoTime(1s));
  next_ = button_config();
  reload(*bridge_, config_, next_, lines_, MonoTime(1200ms));
  press(MonoTime(1300ms));
  run_to(MonoTime(5s));
  EXPECT_EQ(actions(), std::vector<std::string>{"double"});
}

}  // namespace
}  // namespace gpio2mqtt::bridge

// PWM outputs as the bridge's devices: commands through the intake, a software output's line
// through the switchboard, a hardware output's channel through the PwmPort seam, local bindings'
// on/off/toggle and brightness steps, the broker's loss.
#include "gpio2mqtt/bridge/pwm_device.h"

#include <gtest/gtest.h>

#include "fakes.h"
#include "gpio2mqtt/bridge/bridge.h"
#include "gpio2mqtt/config/loader.h"

namespace gpio2mqtt::bridge {
namespace {

using namespace std::chrono_literals;

constexpr std::size_t kDoor = 0, kWindow = 2, kHeaterLine = 3;  // the heater's: after the configured lines

MonoTime at(Nanos t) { return MonoTime(t); }

class RecordingPwmPort : public PwmPort {
 public:
  class Channel : public PwmDrive {
   public:
    void set_duty(double duty) override { duties.push_back(duty); }
    void set_line(bool) override {}
    std::vector<double> duties;
  };
  PwmDrive* channel(const std::string& name) override { return name == "lamp" ? &lamp : nullptr; }
  PwmMemoryStore* memory() override { return nullptr; }
  Channel lamp;
};

class APwmDevice : public ::testing::Test {
 protected:
  void SetUp() override {
    config_ = config::parse_config(R"(
mqtt: {base_topic: pi}
chips:
  main: {simulated: {lines: [A, B, C, D]}}
lines:
  door: {line: A}
  relay: {line: B, direction: output}
  window: {line: D}
pwm:
  lamp: {pwm_chip: pwm-test, on_disconnect: off}
  heater: {line: C, period: 1s}
bindings:
  - {name: up, trigger: door, on: on, target: lamp, action: brighter, step: 30}
  - {name: down, trigger: window, on: on, target: lamp, action: dimmer, step: 50}
)",
                                   "t.yaml", "h");
    bridge_.emplace(config_, publisher_, lines_, nullptr, nullptr, nullptr, nullptr, &port_);
    start(*bridge_, config_, lines_, at(0s));
    bridge_->on_connected(at(0s));
    bridge_->on_time(at(0s));  // the outputs are driven at their first turn
    publisher_.take();
  }
  void set(const std::string& name, const std::string& payload, Nanos t, bool retained = false) {
    bridge_->on_message("pi/" + name + "/set", payload, retained, at(t));
  }
  // A press: the input on at `t`, off again 100 ms later.
  void press(std::size_t input, Nanos t) {
    bridge_->on_edge(input, edge(true, at(t)));
    bridge_->on_edge(input, edge(false, at(t + 100ms)));
  }
  double lamp() const { return port_.lamp.duties.back(); }

  config::Config config_;
  RecordingPublisher publisher_;
  FakeLines lines_;
  RecordingPwmPort port_;
  std::optional<Bridge> bridge_;
};

TEST_F(APwmDevice, SwitchesASoftwareOutputsLineThroughTheSwitchboard) {
  EXPECT_EQ(lines_.writes, (std::vector<std::pair<std::size_t, bool>>{{kHeaterLine, false}}));
  set("heater", "25", 1s);
  EXPECT_TRUE(lines_.levels[kHeaterLine]);
  EXPECT_TRUE(bridge_->running_lines().at(kHeaterLine).level);  // the switchboard holds its level
  ASSERT_EQ(bridge_->next_deadline(), at(1250ms));
  bridge_->on_time(at(1250ms));
  EXPECT_FALSE(lines_.levels[kHeaterLine]);
  EXPECT_FALSE(bridge_->running_lines().at(kHeaterLine).level);
  EXPECT_EQ(publisher_.payloads_on("pi/heater/state"),
            std::vector<std::string>{R"({"state":"ON","brightness":64,"percentage":25})"});
}

TEST_F(APwmDevice, SetsAHardwareOutputsChannelAndFallsToItsOnDisconnectLevel) {
  EXPECT_EQ(port_.lamp.duties, std::vector<double>{0.0});
  set("lamp", R"({"state":"ON","brightness":255})", 1s);
  EXPECT_DOUBLE_EQ(lamp(), 1.0);
  bridge_->on_disconnected(at(2s));
  EXPECT_DOUBLE_EQ(lamp(), 0.0);
}

TEST_F(APwmDevice, RefusesRetainedAndMalformedCommandsThroughTheIntake) {
  set("lamp", "50", 1s, true);
  set("lamp", "150", 1s);
  EXPECT_EQ(port_.lamp.duties.size(), 1u);
  EXPECT_EQ(bridge_->counters().commands_rejected, 2u);
  EXPECT_EQ(bridge_->counters().commands_applied, 0u);
  bridge_->on_message("pi/lamp/get", "", false, at(2s));
  EXPECT_EQ(publisher_.payloads_on("pi/lamp/state"),
            std::vector<std::string>{R"({"state":"OFF","brightness":0,"percentage":0})"});
}

TEST_F(APwmDevice, StepsItsBrightnessForALocalBinding) {
  press(kDoor, 1s);  // brighter by 30 from off
  EXPECT_DOUBLE_EQ(lamp(), 0.3);
  press(kWindow, 2s);  // dimmer by 50: down to the lowest level, still on
  EXPECT_DOUBLE_EQ(lamp(), 0.001);
  press(kDoor, 3s);
  EXPECT_DOUBLE_EQ(lamp(), 0.301);
  press(kDoor, 4s);
  press(kDoor, 5s);
  press(kDoor, 6s);
  EXPECT_DOUBLE_EQ(lamp(), 1.0);  // no further than full
  set("lamp", "OFF", 7s);
  press(kWindow, 8s);  // dimmer leaves it off
  EXPECT_DOUBLE_EQ(lamp(), 0.0);
  EXPECT_EQ(bridge_->counters().commands_applied, 7u);
  EXPECT_EQ(publisher_.payloads_on("pi/lamp/state").back(), R"({"state":"OFF","brightness":0,"percentage":0})");
}

}  // namespace
}  // namespace gpio2mqtt::bridge

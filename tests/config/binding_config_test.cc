// The `bindings:` section as the loader reads it, its errors, and how --check-config shows it.
#include <gtest/gtest.h>

#include "bridge/describe.h"
#include "config_errors.h"
#include "gpio2mqtt/bridge/bindings.h"
#include "gpio2mqtt/config/loader.h"

namespace gpio2mqtt::config {
namespace {

using namespace std::chrono_literals;
using testing::config_error_of;
using On = BindingConfig::On;
using When = BindingConfig::When;

const std::string kTop =
    "chips:\n"
    "  main: {simulated: {lines: [A, B, C, D, E], wires: {B: C}}}\n"
    "lines:\n"
    "  wall: {line: A, mode: button, button: {gestures: [single, long]}}\n"
    "  light: {line: B, direction: output}\n"
    "  seen: {line: C}\n"
    "  meter: {line: D, mode: counter}\n"
    "  door: {line: E}\n"
    "state_directory: /tmp\n"
    "bindings:\n";

Config parse(const std::string& bindings) { return parse_config(kTop + bindings, "c.yaml", "host"); }

TEST(ABindingConfig, DefaultsToToggleOnEveryChangeAlwaysNamedAfterItsLines) {
  const BindingConfig b = parse("  - {trigger: door, target: light}\n").bindings.at(0);
  EXPECT_EQ(b.name, "door_light");
  EXPECT_EQ(b.on, On::kChange);
  EXPECT_EQ(b.action, "toggle");
  EXPECT_EQ(b.when, When::kAlways);
  EXPECT_EQ(b.where.str(), "c.yaml:11:5");
}

TEST(ABindingConfig, TakesAGestureAPulseAndAWhen) {
  const BindingConfig b =
      parse(
          "  - {name: door, trigger: wall, on: long, target: light, action: pulse, length: 500ms, when: ha_offline}\n")
          .bindings.at(0);
  EXPECT_EQ(b.name, "door");
  EXPECT_EQ(b.on, On::kGesture);
  EXPECT_EQ(b.gesture, Gesture::kLong);
  EXPECT_EQ(b.action, "pulse");
  EXPECT_EQ(b.length, 500ms);
  EXPECT_EQ(b.when, When::kHaOffline);
  EXPECT_TRUE(parse("  - {trigger: door, target: light, when: ha_offline}\n").follows_homeassistant());
  EXPECT_FALSE(parse("  - {trigger: door, target: light, when: broker_offline}\n").follows_homeassistant());
}

TEST(ABindingConfig, TargetsAPwmOutputWithBrightnessSteps) {
  std::string top = kTop.substr(0, kTop.size() - std::string("bindings:\n").size());
  Config config = parse_config(top + "pwm:\n  lamp: {pwm_chip: pwm-test}\nbindings:\n" +
                                   "  - {trigger: wall, on: long, target: lamp, action: brighter, step: 25}\n"
                                   "  - {name: down, trigger: wall, on: single, target: lamp, action: dimmer}\n"
                                   "  - {trigger: door, target: lamp}\n",
                               "c.yaml", "host");
  ASSERT_EQ(config.bindings.size(), 3u);
  EXPECT_EQ(config.bindings[0].action, "brighter");
  EXPECT_EQ(config.bindings[0].step, 25);
  EXPECT_EQ(config.bindings[1].step, 10);  // the default
  EXPECT_EQ(config.bindings[2].action, "toggle");
  EXPECT_EQ(config.bindings[2].step, std::nullopt);
  EXPECT_EQ(bridge::describe(config.bindings[0]), "wall long → brighter lamp by 25 %, always");
}

TEST(ABindingConfig, NamesWhereAWrongPwmBindingStands) {
  std::string top = kTop.substr(0, kTop.size() - std::string("bindings:\n").size()) +
                    "pwm:\n  lamp: {pwm_chip: pwm-test}\nbindings:\n";
  EXPECT_EQ(
      config_error_of(top + "  - {trigger: wall, target: lamp, action: pulse, length: 1s}\n"),
      "13:43: bindings[0].action (PWM output 'lamp'): 'pulse' is not one of on | off | toggle | brighter | dimmer");
  EXPECT_EQ(config_error_of(top + "  - {trigger: wall, target: light, action: brighter}\n"),
            "13:44: bindings[0].action: 'brighter' is not one of on | off | toggle | pulse");
  EXPECT_EQ(config_error_of(top + "  - {trigger: wall, target: lamp, step: 5}\n"),
            "13:41: bindings[0].step: goes with action: brighter or dimmer");
  EXPECT_EQ(config_error_of(top + "  - {trigger: wall, target: lamp, action: dimmer, step: 0}\n"),
            "13:57: bindings[0].step (percent points): 0 is out of range 1..100");
  EXPECT_EQ(config_error_of(top + "  - {trigger: wall, target: lump}\n"),
            "13:29: bindings[0].target: no line, PWM output or cover 'lump' is configured");
}

TEST(ABindingConfig, NamesWhereAWrongBindingStands) {
  EXPECT_EQ(config_error_of(kTop + "  - {trigger: nope, target: light}\n"),
            "11:15: bindings[0].trigger: no line 'nope' is configured");
  EXPECT_EQ(config_error_of(kTop + "  - {trigger: wall, target: seen}\n"),
            "11:29: bindings[0].target: 'seen' is an input; a target is an output or a cover");
  EXPECT_EQ(config_error_of(kTop + "  - {trigger: meter, target: light}\n"),
            "11:15: bindings[0].trigger: 'meter' is a counter; it triggers nothing");
  EXPECT_EQ(config_error_of(kTop + "  - {trigger: wall, target: meter}\n"),
            "11:29: bindings[0].target: 'meter' is an input; a target is an output or a cover");
  EXPECT_EQ(config_error_of(kTop + "  - {trigger: light, target: light}\n"),
            "11:15: bindings[0].trigger: 'light' is an output; a trigger is an input");
  EXPECT_EQ(config_error_of(kTop + "  - {trigger: wall, on: double, target: light}\n"),
            "11:25: bindings[0].on: button 'wall' does not send 'double' (not in its button.gestures)");
  EXPECT_EQ(config_error_of(kTop + "  - {trigger: door, on: single, target: light}\n"),
            "11:25: bindings[0].on: 'single' is a gesture, and 'door' is not a button (mode: button); expected on, "
            "off or change");
  EXPECT_EQ(config_error_of(kTop + "  - {trigger: wall, target: light, action: pulse}\n"),
            "11:44: bindings[0]: action: pulse needs a length (e.g. length: 500ms)");
  EXPECT_EQ(config_error_of(kTop + "  - {trigger: wall, target: light, when: sometimes}\n"),
            "11:42: bindings[0].when: 'sometimes' is not one of always | broker_offline | ha_offline");
  EXPECT_EQ(config_error_of(kTop + "  - {name: a/b, trigger: wall, target: light}\n"),
            "11:12: bindings[0].name: expected one topic level (no '/', '+' or '#', not empty)");
  EXPECT_EQ(
      config_error_of(kTop + "  - {trigger: wall, target: light}\n  - {trigger: wall, on: long, target: light}\n"),
      "12:5: bindings[1]: the name 'wall_light' is taken by another binding; give this one a name: of its own");
}

TEST(ABindingConfig, RefusesAHomeAssistantIdTakenByAnotherBinding) {
  EXPECT_EQ(
      config_error_of("homeassistant: {discovery: true}\n" + kTop + "  - {name: a.b, trigger: door, target: light}\n" +
                      "  - {name: a_b, trigger: door, target: light}\n"),
      "13:5: binding 'a_b': its Home Assistant id 'binding_a_b' is taken (by a line or another binding: '.' "
      "becomes '_'); rename it");
}

TEST(ABindingConfig, RefusesABindingThatLoopsThroughAWire) {
  // light drives seen through the chip's wire: seen switching light would switch itself forever.
  EXPECT_EQ(
      config_error_of(kTop + "  - {trigger: seen, target: light}\n"),
      "11:5: bindings[0]: 'light' drives 'seen' again (through wires: or other bindings): this binding would loop");
  // Through two bindings and the wire: door → light ~> seen → ... → door is no loop (door is not
  // driven by anything), but seen → light is.
  EXPECT_NO_THROW(parse("  - {trigger: door, target: light}\n"));
}

TEST(ABindingConfig, IsListedInWordsByCheckConfig) {
  std::string text = describe(parse("  - {trigger: wall, on: single, target: light, when: ha_offline}\n"));
  EXPECT_NE(text.find("binding wall_light: wall single → toggle light, when Home Assistant is offline; switched at "
                      "raspberry/binding/wall_light/set\n"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("homeassistant: following homeassistant/status for the bindings"), std::string::npos) << text;
}

}  // namespace
}  // namespace gpio2mqtt::config

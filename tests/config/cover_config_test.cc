// Covers as the loader reads them (a motor's pair made an interlock group, its lines marked as
// the cover's), and the configs it refuses with file:line:col: a line already interlocked or in
// another cover, an input as motor, an output as end stop, a cover that could start moving.
#include <gtest/gtest.h>

#include "bridge/describe.h"
#include "config_errors.h"
#include "gpio2mqtt/config/loader.h"

namespace gpio2mqtt::config {
namespace {

using namespace std::chrono_literals;
using testing::config_error_of;

// Lines 1-10: the chip and six lines; `covers:` (or more) from line 11 on.
std::string with(const std::string& rest, const std::string& up = "") {
  return "chips:\n  main: {simulated: {lines: [A, B, C, D, E, F]}}\n"
         "lines:\n"
         "  up: {line: A, direction: output" +
         up +
         "}\n"
         "  down: {line: B, direction: output}\n"
         "  opener: {line: C, direction: output}\n"
         "  top: {line: D}\n"
         "  bottom: {line: E}\n"
         "  meter: {line: F, mode: counter}\n"
         "state_directory: /tmp\n" +
         rest;
}

Config parse(const std::string& text) { return parse_config(text, "c.yaml", "pi"); }

TEST(ACoverConfig, ReadsAMotorWithEndStopsAndMakesItsPairAnInterlockGroup) {
  Config config = parse(
      with("covers:\n  shutter:\n    {open: up, close: down, opened: top, closed: bottom, open_time: 20s, close_time: "
           "18s, margin: 1s, dead_time: 300ms, persist_every: 5s, on_disconnect: keep, device_class: blind, name: "
           "Kitchen}\n"));
  ASSERT_EQ(config.covers.size(), 1u);
  const CoverConfig& c = config.covers[0];
  EXPECT_EQ(c.name, "shutter");
  EXPECT_FALSE(c.one_button);
  EXPECT_EQ(c.open, "up");
  EXPECT_EQ(c.closed, "bottom");
  EXPECT_EQ(c.open_time, 20s);
  EXPECT_EQ(c.close_time, 18s);
  EXPECT_EQ(c.margin, 1s);
  EXPECT_EQ(c.persist_every, 5s);
  EXPECT_EQ(c.on_disconnect, CoverConfig::OnDisconnect::kKeep);
  EXPECT_EQ(c.device_class, "blind");
  EXPECT_EQ(c.title, "Kitchen");
  ASSERT_EQ(config.interlocks.size(), 1u);
  EXPECT_EQ(config.interlocks[0].lines, (std::vector<std::string>{"up", "down"}));
  EXPECT_EQ(config.interlocks[0].dead_time, 300ms);
  EXPECT_EQ(config.interlocks[0].cover, "shutter");
  for (const auto& line : config.lines)
    EXPECT_EQ(line.cover, line.name == "opener" || line.name == "meter" ? "" : "shutter") << line.name;
}

TEST(ACoverConfig, ReadsAOneButtonOperatorAsAGarageDoorWithDefaults) {
  Config config = parse(with("covers:\n  garage: {button: opener, open_time: 15s, close_time: 15s}\n"));
  const CoverConfig& c = config.covers.at(0);
  EXPECT_TRUE(c.one_button);
  EXPECT_EQ(c.button, "opener");
  EXPECT_EQ(c.device_class, "garage");
  EXPECT_EQ(c.press, 500ms);
  EXPECT_EQ(c.margin, 2s);
  EXPECT_EQ(c.on_disconnect, CoverConfig::OnDisconnect::kStop);
  EXPECT_TRUE(config.interlocks.empty());
}

TEST(ACoverConfig, NamesWhereAWrongCoverStands) {
  const std::string motor = "covers:\n  s: {open: up, close: down, open_time: 10s, close_time: 10s";
  EXPECT_EQ(config_error_of(with("interlocks:\n  - {lines: [up, opener]}\n" + motor + "}\n")),
            "14:13: covers.s.open: 'up' is in an interlocks: group; a cover's motor is an interlock group of its own");
  EXPECT_EQ(config_error_of(with("covers:\n  s: {open: top, close: down, open_time: 10s, close_time: 10s}\n")),
            "12:13: covers.s.open: 'top' is an input; the cover drives an output");
  EXPECT_EQ(config_error_of(with(motor + ", opened: opener}\n")),
            "12:71: covers.s.opened: 'opener' is an output; an end stop is an input");
  EXPECT_EQ(config_error_of(with(motor + ", opened: meter}\n")),
            "12:71: covers.s.opened: 'meter' is a counter or a button; an end stop is a plain input");
  EXPECT_EQ(config_error_of(with(motor + "}\n  t: {button: up, open_time: 10s, close_time: 10s}\n")),
            "13:15: covers.t.button: 'up' is already a line of cover 's'");
  EXPECT_EQ(config_error_of(with(motor + "}\n", ", initial: on")),
            "12:13: covers.s.open: 'up' has initial: on; a cover starts still");
  EXPECT_EQ(config_error_of(with(motor + "}\n", ", on_disconnect: on")),
            "12:13: covers.s.open: 'up' has on_disconnect: on; the cover's on_disconnect says what it does");
  EXPECT_EQ(config_error_of(with("covers:\n  s: {open: up, close: down}\n")),
            "12:6: covers.s: 'open_time:' is required (how long a full travel takes, e.g. 25s)");
  EXPECT_EQ(config_error_of(with("covers:\n  s: {open: up, open_time: 1s, close_time: 1s}\n")),
            "12:6: covers.s: 'open:' and 'close:' (a motor's outputs) or 'button:' (a one-button operator) are "
            "required");
  EXPECT_EQ(config_error_of(with("covers:\n  up: {button: opener, open_time: 1s, close_time: 1s}\n")),
            "12:3: covers.up: a line has this name; a cover's topics would be the line's");
  EXPECT_EQ(config_error_of(with(motor + ", press: 1s}\n")),
            "12:70: covers.s.press: goes with button: (a one-button operator)");
  EXPECT_EQ(config_error_of(with(motor + ", device_class: fridge}\n")).substr(0, 48),
            "12:77: covers.s.device_class: 'fridge' is not on");
}

TEST(ACoverConfig, IsABindingsTargetWithItsOwnActionsAndItsLinesAreNot) {
  const std::string cover = "covers:\n  s: {open: up, close: down, open_time: 10s, close_time: 10s}\nbindings:\n";
  Config config = parse(with(cover + "  - {trigger: top, target: s, action: close}\n"));
  EXPECT_EQ(config.bindings.at(0).action, "close");
  EXPECT_EQ(config_error_of(with(cover + "  - {trigger: top, target: up, action: on}\n")),
            "14:28: bindings[0].target: 'up' is driven by cover 's'; bind the cover");
  EXPECT_EQ(config_error_of(with(cover + "  - {trigger: top, target: s, action: on}\n")).substr(0, 40),
            "14:39: bindings[0].action: 'on' is not o");
}

TEST(ACoverConfig, IsDescribedWithItsLinesWhichTakeNoSet) {
  std::string text = describe(parse(with(
      "covers:\n  s: {open: up, close: down, closed: bottom, open_time: 10s, close_time: 9s, dead_time: 250ms}\n")));
  EXPECT_NE(text.find("interlock (cover s's motor): at most one of up, down on, 250 ms dead time"), std::string::npos)
      << text;
  EXPECT_NE(text.find("cover s (shutter): motor open up, close down; open 10000 ms, close 9000 ms, margin 2000 ms; end "
                      "stops closed bottom; raspberry/s/set"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("driven by cover s (takes no set)"), std::string::npos) << text;
}

}  // namespace
}  // namespace gpio2mqtt::config

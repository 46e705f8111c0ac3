// Interlock groups and momentary outputs as the loader reads them, and the configs it refuses
// (with file:line:col) because they could put two outputs of a group on.
#include <gtest/gtest.h>

#include "bridge/describe.h"
#include "config_errors.h"
#include "gpio2mqtt/config/loader.h"

namespace gpio2mqtt::config {
namespace {

using namespace std::chrono_literals;
using testing::config_error_of;

// Lines 1-8: the chip and four lines (up, down, fan, button); `interlocks` from line 9 on.
std::string with(const std::string& interlocks, const std::string& up = "", const std::string& down = "") {
  return "chips:\n  main: {simulated: {lines: [A, B, C, D]}}\n"
         "lines:\n"
         "  up: {line: A, direction: output" +
         up +
         "}\n"
         "  down: {line: B, direction: output" +
         down +
         "}\n"
         "  fan: {line: C, direction: output}\n"
         "  button: {line: D}\n"
         "\n" +
         interlocks;
}

Config parse(const std::string& text) { return parse_config(text, "c.yaml", "pi"); }

TEST(AnInterlockConfig, ReadsGroupsWithTheirDeadTimes) {
  Config config = parse(with("interlocks:\n  - lines: [up, down]\n    dead_time: 500ms\n"));
  ASSERT_EQ(config.interlocks.size(), 1u);
  EXPECT_EQ(config.interlocks[0].lines, (std::vector<std::string>{"up", "down"}));
  EXPECT_EQ(config.interlocks[0].dead_time, 500ms);
  EXPECT_EQ(config.interlocks[0].where.line, 10);
}

TEST(AnInterlockConfig, HasNoDeadTimeUnlessGiven) {
  EXPECT_EQ(parse(with("interlocks: [{lines: [up, down]}]\n")).interlocks[0].dead_time, 0ms);
  EXPECT_TRUE(parse(with("")).interlocks.empty());
}

TEST(AnInterlockConfig, RefusesAnUnknownLine) {
  EXPECT_EQ(config_error_of(with("interlocks:\n  - lines: [up, dwon]\n")),
            "10:17: interlocks[0]: no line 'dwon' is configured");
}

TEST(AnInterlockConfig, RefusesAnInput) {
  EXPECT_EQ(config_error_of(with("interlocks:\n  - lines: [up, button]\n")),
            "10:17: interlocks[0]: 'button' is an input; an interlock groups outputs");
}

TEST(AnInterlockConfig, RefusesALineInTwoGroups) {
  EXPECT_EQ(config_error_of(with("interlocks:\n  - lines: [up, down]\n  - lines: [fan, up]\n")),
            "11:18: interlocks[1]: 'up' is already in interlocks[0]; a line may be in one group only");
}

TEST(AnInterlockConfig, RefusesALineListedTwiceAndAGroupOfOne) {
  EXPECT_EQ(config_error_of(with("interlocks:\n  - lines: [up, up]\n")), "10:17: interlocks[0]: 'up' is listed twice");
  EXPECT_EQ(config_error_of(with("interlocks:\n  - lines: [up]\n")),
            "10:12: interlocks[0].lines: expected a list of at least two outputs");
}

TEST(AnInterlockConfig, RefusesTwoLinesStartingOn) {
  EXPECT_EQ(config_error_of(with("interlocks:\n  - lines: [up, down]\n", ", initial: on", ", initial: on")),
            "10:17: interlocks[0]: 'down' and another line of this group both have initial: on");
}

TEST(AnInterlockConfig, RefusesTwoLinesGoingOnWithoutABroker) {
  EXPECT_EQ(config_error_of(with("interlocks:\n  - lines: [up, down]\n", ", on_disconnect: on", ", on_disconnect: on")),
            "10:13: interlocks[0]: 'up' and another line of this group both have on_disconnect: on");
}

TEST(AnInterlockConfig, RefusesALineKeptOnBesideOneGoingOnWithoutABroker) {
  EXPECT_EQ(config_error_of(with("interlocks:\n  - lines: [up, down]\n", ", on_disconnect: on")),
            "10:17: interlocks[0]: 'down' keeps its level without a broker (on_disconnect: keep, the default) "
            "while another line of this group has on_disconnect: on; give it on_disconnect: off");
  EXPECT_NO_THROW(parse(with("interlocks:\n  - lines: [up, down]\n", ", on_disconnect: on", ", on_disconnect: off")));
}

TEST(AnInterlockConfig, RefusesAnOverlongDeadTime) {
  EXPECT_EQ(config_error_of(with("interlocks:\n  - lines: [up, down]\n    dead_time: 2m\n")),
            "11:16: interlocks[0].dead_time: expected 0 to 60s, e.g. 500ms");
}

TEST(AnInterlockConfig, IsDescribedWithItsMomentaryOutputs) {
  std::string text = describe(parse(with("interlocks: [{lines: [up, down], dead_time: 250ms}]\n", ", momentary: 1s")));
  EXPECT_NE(text.find("interlock: at most one of up, down on, 250 ms dead time between them"), std::string::npos)
      << text;
  EXPECT_NE(text.find("momentary: every ON is a pulse of 1000 ms"), std::string::npos) << text;
}

TEST(AMomentaryOutputConfig, ReadsItsPulseLength) {
  Config config = parse(with("", ", momentary: 500ms"));
  EXPECT_EQ(config.lines[0].momentary, 500ms);
  EXPECT_FALSE(config.lines[1].momentary);
}

TEST(AMomentaryOutputConfig, IsRefusedOnAnInputOrStartingOrHeldOn) {
  EXPECT_EQ(config_error_of(with("").replace(with("").find("{line: D}"), 9, "{line: D, momentary: 1s}")),
            "7:32: line 'button': momentary is for outputs");
  EXPECT_EQ(config_error_of(with("", ", initial: on, momentary: 1s")),
            "4:45: line 'up': a momentary output starts off (initial: on is refused)");
  EXPECT_EQ(config_error_of(with("", ", on_disconnect: on, momentary: 1s")),
            "4:51: line 'up': a momentary output cannot be held on (on_disconnect: on is refused)");
  EXPECT_EQ(config_error_of(with("", ", momentary: 0s")),
            "4:47: line 'up'.momentary: expected a pulse length above 0 and at most 1h, e.g. 500ms");
}

}  // namespace
}  // namespace gpio2mqtt::config

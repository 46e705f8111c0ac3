// Inputs in mode: button as the loader reads them, and how --check-config shows them.
#include <gtest/gtest.h>

#include "bridge/describe.h"
#include "config_errors.h"
#include "gpio2mqtt/config/loader.h"

namespace gpio2mqtt::config {
namespace {

using namespace std::chrono_literals;
using testing::config_error_of;

const std::string kTop = "chips:\n  main: {simulated: {lines: [A, B]}}\nlines:\n  hall: ";

Config parse(const std::string& line) { return parse_config(kTop + line + "\n", "c.yaml", "host"); }

TEST(AButtonConfig, DefaultsToEveryGestureWithA400msWindowAndAn800msLongPress) {
  const LineConfig hall = parse("{line: A, mode: button}").lines[0];
  EXPECT_EQ(hall.mode, Mode::kButton);
  EXPECT_EQ(hall.button.window, 400ms);
  EXPECT_EQ(hall.button.long_press, 800ms);
  EXPECT_EQ(hall.button.gestures, std::vector<Gesture>(std::begin(kAllGestures), std::end(kAllGestures)));
  EXPECT_EQ(hall.edge, Edge::kBoth);
}

TEST(AButtonConfig, TakesEveryKeyAndKeepsTheGesturesInOneOrder) {
  const LineConfig hall =
      parse(
          "{line: A, mode: button, active_low: true, bias: pull-up, debounce: 30ms, button: {window: 250ms, "
          "long_press: 2s, gestures: [long, single, double]}}")
          .lines[0];
  EXPECT_EQ(hall.button.window, 250ms);
  EXPECT_EQ(hall.button.long_press, 2s);
  EXPECT_EQ(hall.button.gestures, (std::vector<Gesture>{Gesture::kSingle, Gesture::kDouble, Gesture::kLong}));
  EXPECT_TRUE(hall.active_low);
  EXPECT_EQ(hall.debounce, 30ms);
  EXPECT_TRUE(hall.same_settings(parse("{line: A, mode: button, active_low: true, bias: pull-up, debounce: 30ms, "
                                       "button: {window: 250ms, long_press: 2s, gestures: [single, long, double]}}")
                                     .lines[0]));
}

TEST(AButtonConfig, NamesWhereAWrongValueStands) {
  EXPECT_EQ(config_error_of(kTop + "{line: A, mode: button, button: {window: 0s}}"),
            "4:50: line 'hall'.button.window: expected more than 0 and at most 5s");
  EXPECT_EQ(config_error_of(kTop + "{line: A, mode: button, button: {long_press: 2min}}"),
            "4:54: line 'hall'.button.long_press: expected more than 0 and at most 60s");
  EXPECT_EQ(config_error_of(kTop + "{line: A, mode: button, button: {gestures: [single, quadruple]}}"),
            "4:61: line 'hall'.button.gestures: 'quadruple' is not one of single, double, triple, long, long_release");
  EXPECT_EQ(config_error_of(kTop + "{line: A, mode: button, button: {gestures: [long, long]}}"),
            "4:59: line 'hall'.button.gestures: 'long' is listed twice");
  EXPECT_EQ(config_error_of(kTop + "{line: A, mode: button, button: {gestures: []}}"),
            "4:52: line 'hall'.button.gestures: expected a list of one or more of single, double, triple, long, "
            "long_release (e.g. [single, double, long])");
  EXPECT_EQ(config_error_of(kTop + "{line: A, mode: button, button: {windw: 1s}}"),
            "4:42: line 'hall'.button: unknown key 'windw'; expected one of: window, long_press, gestures");
}

TEST(AButtonConfig, BelongsToInputsInModeButton) {
  EXPECT_EQ(config_error_of(kTop + "{line: A, direction: output, mode: button}"),
            "4:44: line 'hall': mode button is for inputs");
  EXPECT_EQ(config_error_of(kTop + "{line: A, button: {window: 1s}}"),
            "4:27: line 'hall': button is for inputs in mode: button");
  EXPECT_NE(config_error_of(kTop + "{line: A, mode: buton}").find("'buton' is not one of level | counter | button"),
            std::string::npos);
}

TEST(AButtonConfig, RefusesALineWhoseHomeAssistantIdIsTheButtonsEventEntity) {
  EXPECT_EQ(config_error_of("homeassistant: {discovery: true}\n" + kTop +
                            "{line: A, mode: button}\n  hall_action: {line: B}\n"),
            "6:3: line 'hall_action': its Home Assistant id 'hall_action' is another line's too ('.' becomes '_'; a "
            "counter adds <id>_rate, a button <id>_action); rename one of them");
}

TEST(AButtonConfig, IsShownByCheckConfig) {
  Config config = parse("{line: A, mode: button, button: {window: 250ms, gestures: [single, double, long]}}");
  std::string text = describe(config);
  EXPECT_NE(text.find("  hall: button, line A on simulated chip main; bias as-is, debounce 0 us"), std::string::npos)
      << text;
  EXPECT_NE(text.find("publishes raspberry/hall/action (not retained): single, double, long; window 250 ms, long "
                      "press 800 ms"),
            std::string::npos)
      << text;
}

}  // namespace
}  // namespace gpio2mqtt::config

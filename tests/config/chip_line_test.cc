// A line's chip: and line: as `lines:` and `pwm:` (software PWM) read them: one reader
// (src/config/chip_line.h), so the same mistakes get the same messages at the same places.
#include <gtest/gtest.h>

#include "config_errors.h"
#include "gpio2mqtt/config/loader.h"

namespace gpio2mqtt::config {
namespace {

using testing::config_error_of;

// Lines 1-3: two simulated chips; the entry under test is on line 5, its map from column 9.
const std::string kTwoChips = "chips:\n  main: {simulated: {lines: [A, B, C]}}\n  more: {simulated: {lines: [C, D]}}\n";

std::string as_line(const std::string& entry) { return kTwoChips + "lines:\n  x:    " + entry + "\n"; }
std::string as_pwm(const std::string& entry) { return kTwoChips + "pwm:\n  x:    " + entry + "\nlines: {}\n"; }

TEST(AChipAndLine, AreReadAlikeForALineAndASoftwarePwmOutput) {
  const std::pair<std::string, std::string> cases[] = {
      {"{chip: other, line: A}", "5:16: line 'x': no chip 'other'; configured chips: main, more"},
      {"{chip: main, line: Z}", "5:28: line 'x': chip 'main' has no line 'Z'; its lines: A, B, C"},
      {"{chip: more, line: 7}", "5:28: line 'x': chip 'more' has 2 lines (offsets 0..1)"},
      {"{line: C}", "5:16: line 'x': line C is on chips 'main' and 'more'; say which with chip:"},
      {"{line: 1}", "5:16: line 'x': an offset needs a chip: when there are several chips"},
  };
  for (const auto& [entry, message] : cases) {
    EXPECT_EQ(config_error_of(as_line(entry)), message) << entry;
    EXPECT_EQ(config_error_of(as_pwm(entry)), message) << entry;
  }
}

TEST(AChipAndLine, NamesTheEntryInMessagesAboutTheLineText) {
  EXPECT_EQ(config_error_of(as_line("{line: ''}")), "5:16: line 'x'.line: expected a line name or an offset");
  EXPECT_EQ(config_error_of(as_pwm("{line: ''}")), "5:16: pwm 'x'.line: expected a line name or an offset");
  EXPECT_EQ(config_error_of(as_pwm("{line: 1024, chip: main}")), "5:16: pwm 'x'.line: 1024 is out of range 0..1023");
}

}  // namespace
}  // namespace gpio2mqtt::config

// The opening of a named entry, read alike for lines, sensors, their thresholds and PWM outputs
// (YamlReader::open_entry): the name must be one topic level, the keys known ones.
#include <gtest/gtest.h>

#include "assertions.h"
#include "config_errors.h"

namespace gpio2mqtt::config {
namespace {

using testing::config_error_of;
using testing::Contains;

const std::string kChip = "chips:\n  main: {simulated: {lines: [A, B]}}\n";
const std::string kAscii =
    " name is one topic level and part of ids that must be ASCII: use ASCII letters (a-z, A-Z), digits, '_', '-' or "
    "'.'";

TEST(ANamedEntry, IsOneTopicLevelWhateverItNames) {
  EXPECT_EQ(config_error_of(kChip + "lines:\n  a/b: {line: A}\n"), "4:3: line 'a/b': a line" + kAscii);
  EXPECT_EQ(config_error_of(kChip + "lines: {}\nsensors:\n  t#: {w1: all}\n"), "5:3: sensor 't#': a sensor" + kAscii);
  EXPECT_EQ(
      config_error_of(kChip + "lines: {}\nsensors:\n  t: {iio: x, channel: in_temp, thresholds: {h+: {above: 1}}}\n"),
      "5:46: sensor 't': threshold 'h+': a threshold" + kAscii);
  EXPECT_EQ(config_error_of(kChip + "lines: {}\npwm:\n  l/1: {pwm_chip: x}\n"), "5:3: pwm 'l/1': a" + kAscii);
}

TEST(ANamedEntry, TakesOnlyItsOwnKeys) {
  EXPECT_TRUE(Contains(config_error_of(kChip + "lines:\n  a: {line: A, colour: red}\n"),
                       "4:16: line 'a': unknown key 'colour'; expected one of: chip, line, direction"));
  EXPECT_TRUE(Contains(config_error_of(kChip + "lines: {}\nsensors:\n  t: {w1: all, colour: red}\n"),
                       "5:16: sensor 't': unknown key 'colour'; expected one of: iio, channel, w1"));
  EXPECT_TRUE(Contains(
      config_error_of(kChip + "lines: {}\nsensors:\n  t: {iio: x, channel: in_temp, thresholds: {h: {at: 1}}}\n"),
      "5:50: sensor 't': threshold 'h': unknown key 'at'; expected one of: above, below, hysteresis"));
  EXPECT_TRUE(Contains(config_error_of(kChip + "lines: {}\npwm:\n  l: {pwm_chip: x, colour: red}\n"),
                       "5:20: pwm 'l': unknown key 'colour'; expected one of: pwm_chip, channel"));
}

}  // namespace
}  // namespace gpio2mqtt::config

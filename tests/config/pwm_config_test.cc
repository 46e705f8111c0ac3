// The `pwm:` section as the loader reads it: hardware channels and software PWM lines, their
// levels and fades, and the configs it refuses with file:line:col.
#include <gtest/gtest.h>

#include "config_errors.h"
#include "gpio2mqtt/config/loader.h"

namespace gpio2mqtt::config {
namespace {

using namespace std::chrono_literals;
using testing::config_error_of;

// Lines 1-4: a chip and a relay line; `pwm` from line 5 on.
std::string with(const std::string& pwm) {
  return "chips:\n  main: {simulated: {lines: [A, B, C]}}\n"
         "lines:\n"
         "  relay: {line: A, direction: output}\n" +
         pwm;
}

Config parse(const std::string& text) { return parse_config(text, "c.yaml", "pi"); }

TEST(APwmConfig, ReadsAHardwareChannelWithItsDefaults) {
  Config config = parse(with("pwm:\n  lamp: {pwm_chip: 1f00098000.pwm}\n"));
  ASSERT_EQ(config.pwm.size(), 1u);
  const PwmOutputConfig& lamp = config.pwm[0];
  EXPECT_EQ(lamp.kind, PwmOutputConfig::Kind::kHardware);
  EXPECT_EQ(lamp.pwm_chip, "1f00098000.pwm");
  EXPECT_EQ(lamp.channel, 0u);
  EXPECT_EQ(lamp.period, 1ms);
  EXPECT_FALSE(lamp.inversed);
  EXPECT_EQ(lamp.min_duty, 0);
  EXPECT_EQ(lamp.max_duty, 1);
  EXPECT_EQ(lamp.gamma, 1);
  EXPECT_EQ(lamp.transition, 0s);
  EXPECT_EQ(lamp.initial, (PwmLevel{PwmLevel::Kind::kOff, 0}));
  EXPECT_EQ(lamp.on_disconnect, (PwmLevel{PwmLevel::Kind::kKeep, 0}));
  EXPECT_EQ(lamp.component, PwmOutputConfig::Component::kLight);
  EXPECT_EQ(lamp.where.line, 6);
  EXPECT_EQ(lamp.describe(), "PWM chip 1f00098000.pwm channel 0");
}

TEST(APwmConfig, ReadsEveryKeyOfALight) {
  Config config =
      parse(with("pwm:\n"
                 "  lamp:\n"
                 "    pwm_chip: pwm@7e20c000\n"
                 "    channel: 1\n"
                 "    frequency: 25kHz\n"
                 "    polarity: inversed\n"
                 "    min: 5\n"
                 "    max: 90%\n"
                 "    gamma: 2.2\n"
                 "    transition: 1.5s\n"
                 "    initial: restore\n"
                 "    on_disconnect: 30\n"
                 "    homeassistant: {name: Desk, icon: 'mdi:lamp'}\n"));
  const PwmOutputConfig& lamp = config.pwm[0];
  EXPECT_EQ(lamp.channel, 1u);
  EXPECT_EQ(lamp.period, 40us);
  EXPECT_TRUE(lamp.inversed);
  EXPECT_DOUBLE_EQ(lamp.min_duty, 0.05);
  EXPECT_DOUBLE_EQ(lamp.max_duty, 0.9);
  EXPECT_DOUBLE_EQ(lamp.gamma, 2.2);
  EXPECT_EQ(lamp.transition, 1500ms);
  EXPECT_EQ(lamp.initial.kind, PwmLevel::Kind::kRestore);
  EXPECT_EQ(lamp.on_disconnect, (PwmLevel{PwmLevel::Kind::kLevel, 300}));
  EXPECT_EQ(lamp.entity_name, "Desk");
  EXPECT_EQ(lamp.icon, "mdi:lamp");
}

TEST(APwmConfig, ReadsSoftwarePwmOnALineAsAFan) {
  Config config =
      parse(with("pwm:\n  heater: {line: B, period: 10s, active_low: true, initial: on,"
                 " homeassistant: {component: fan}}\n"));
  const PwmOutputConfig& heater = config.pwm[0];
  EXPECT_EQ(heater.kind, PwmOutputConfig::Kind::kSoftware);
  EXPECT_EQ(heater.chip, "main");
  EXPECT_EQ(heater.line, "B");
  EXPECT_TRUE(heater.active_low);
  EXPECT_EQ(heater.period, 10s);
  EXPECT_EQ(heater.initial.kind, PwmLevel::Kind::kOn);
  EXPECT_EQ(heater.component, PwmOutputConfig::Component::kFan);
  EXPECT_EQ(heater.describe(), "line B of chip main");
  EXPECT_EQ(parse(with("pwm:\n  heater: {line: 2}\n")).pwm[0].period, 1s);
}

TEST(APwmConfig, RefusesSoftwarePwmFasterThan100ms) {
  EXPECT_EQ(config_error_of(with("pwm:\n  heater: {line: B, period: 20ms}\n")),
            "6:29: pwm 'heater'.period: expected from 100ms to 1h (software PWM: for a faster one use a hardware "
            "PWM channel)");
  EXPECT_EQ(config_error_of(with("pwm:\n  heater: {line: B, frequency: 50}\n")),
            "6:32: pwm 'heater'.frequency: the period must be from 100ms to 1h (software PWM: for a faster one use "
            "a hardware PWM channel)");
}

TEST(APwmConfig, RefusesALineAlreadyInUse) {
  EXPECT_EQ(config_error_of(with("pwm:\n  heater: {line: A}\n")),
            "6:18: pwm 'heater': line A of chip main is already used by another output");
  EXPECT_EQ(config_error_of(with("pwm:\n  a: {pwm_chip: x}\n  b: {pwm_chip: x, channel: 0}\n")),
            "7:17: pwm 'b': PWM chip x channel 0 is already used by another output");
}

TEST(APwmConfig, RefusesANameALineHas) {
  EXPECT_EQ(config_error_of(with("pwm:\n  relay: {pwm_chip: x}\n")),
            "6:3: pwm 'relay': a line has this name already (outputs and lines share <base_topic>/<name>)");
}

TEST(APwmConfig, RefusesBothOrNeitherKind) {
  EXPECT_EQ(config_error_of(with("pwm:\n  lamp: {pwm_chip: x, line: B}\n")),
            "6:29: pwm 'lamp': give pwm_chip: (and channel:) for a hardware PWM channel, or line: for software PWM "
            "on a GPIO line, not both");
  EXPECT_EQ(config_error_of(with("pwm:\n  lamp: {frequency: 100}\n")),
            "6:3: pwm 'lamp': give pwm_chip: (and channel:) for a hardware PWM channel, or line: for software PWM on "
            "a GPIO line, one of them");
  EXPECT_EQ(config_error_of(with("pwm:\n  lamp: {pwm_chip: x, active_low: true}\n")),
            "6:35: pwm 'lamp': active_low is for software PWM (line:)");
  EXPECT_EQ(config_error_of(with("pwm:\n  lamp: {line: B, polarity: inversed}\n")),
            "6:29: pwm 'lamp': polarity is for hardware PWM (pwm_chip:)");
}

TEST(APwmConfig, RefusesImpossibleLevels) {
  EXPECT_EQ(config_error_of(with("pwm:\n  lamp: {pwm_chip: x, min: 50, max: 40}\n")),
            "6:37: pwm 'lamp': min must be below max");
  EXPECT_EQ(config_error_of(with("pwm:\n  lamp: {pwm_chip: x, max: 120}\n")),
            "6:28: pwm 'lamp'.max: expected a percent from 0 to 100");
  EXPECT_EQ(config_error_of(with("pwm:\n  lamp: {pwm_chip: x, gamma: 9}\n")),
            "6:30: pwm 'lamp'.gamma: expected 0.1 to 5 (2.2 for an LED)");
  EXPECT_EQ(config_error_of(with("pwm:\n  lamp: {pwm_chip: x, initial: keep}\n")),
            "6:32: pwm 'lamp'.initial: expected off, on, restore or a percent (e.g. 30)");
  EXPECT_EQ(config_error_of(with("pwm:\n  lamp: {pwm_chip: x, on_disconnect: restore}\n")),
            "6:38: pwm 'lamp'.on_disconnect: expected off, on, keep or a percent (e.g. 30)");
  EXPECT_EQ(config_error_of(with("pwm:\n  lamp: {pwm_chip: x, frequency: 0}\n")),
            "6:34: pwm 'lamp'.frequency: expected a number of Hz above 0, e.g. 1000 or 25kHz");
  EXPECT_EQ(config_error_of(with("pwm:\n  lamp: {pwm_chip: x, transition: 2h}\n")),
            "6:35: pwm 'lamp'.transition: expected 0 to 1h, e.g. 1s");
}

TEST(APwmConfig, TakesAPercentOfZeroForOff) {
  EXPECT_EQ(parse(with("pwm:\n  lamp: {pwm_chip: x, on_disconnect: 0}\n")).pwm[0].on_disconnect.kind,
            PwmLevel::Kind::kOff);
}

TEST(APwmConfig, NeedsAStateDirectoryToRestore) {
  Config config = parse(with("pwm:\n  lamp: {pwm_chip: x, initial: restore}\n"));
  try {
    require_state_directory(config);
    FAIL() << "initial: restore without a state directory was accepted";
  } catch (const ConfigError& e) {
    EXPECT_EQ(e.where().line, 6);
  }
  config.state_directory = "/var/lib/gpio2mqtt";
  EXPECT_NO_THROW(require_state_directory(config));
}

}  // namespace
}  // namespace gpio2mqtt::config

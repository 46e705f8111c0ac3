#include "gpio2mqtt/config/config.h"

#include <gtest/gtest.h>

namespace gpio2mqtt::config {
namespace {

using namespace std::chrono_literals;

LineConfig a_button() {
  LineConfig line;
  line.name = "button";
  line.chip = "main";
  line.line = "GPIO22";
  line.debounce = 10ms;
  line.where = {"a.yaml", 20, 3};
  line.line_where = {"a.yaml", 21, 11};
  return line;
}

TEST(ALineConfig, HasTheSameSettingsWhenOnlyWhereItWasWrittenChanged) {
  LineConfig moved = a_button();
  moved.where = {"b.yaml", 40, 5};
  moved.line_where = {"b.yaml", 41, 13};
  EXPECT_TRUE(a_button().same_settings(moved));
}

TEST(ALineConfig, DiffersInItsSettingsWhenAnyFieldChanged) {
  std::vector<void (*)(LineConfig&)> changes = {
      [](LineConfig& l) { l.name = "bell"; },
      [](LineConfig& l) { l.chip = "other"; },
      [](LineConfig& l) { l.line = "GPIO23"; },
      [](LineConfig& l) { l.offset = 3; },
      [](LineConfig& l) { l.direction = gpio::Direction::kOutput; },
      [](LineConfig& l) { l.edge = Edge::kFalling; },
      [](LineConfig& l) { l.bias = gpio::Bias::kPullUp; },
      [](LineConfig& l) { l.drive = gpio::Drive::kOpenDrain; },
      [](LineConfig& l) { l.active_low = true; },
      [](LineConfig& l) { l.debounce = 20ms; },
      [](LineConfig& l) { l.initial = true; },
      [](LineConfig& l) { l.on_disconnect = OnDisconnect::kOff; },
  };
  for (std::size_t i = 0; i < changes.size(); ++i) {
    LineConfig changed = a_button();
    changes[i](changed);
    EXPECT_FALSE(a_button().same_settings(changed)) << "change " << i;
  }
}

TEST(AChipConfig, HasTheSameSettingsWhenOnlyWhereItWasWrittenChanged) {
  ChipConfig chip;
  chip.name = "main";
  chip.simulated.lines = {"GPIO17"};
  chip.where = {"a.yaml", 3, 3};
  ChipConfig moved = chip;
  moved.where = {"a.yaml", 9, 3};
  EXPECT_TRUE(chip.same_settings(moved));
  moved.simulated.wires.emplace_back("GPIO17", "GPIO17");
  EXPECT_FALSE(chip.same_settings(moved));
}

}  // namespace
}  // namespace gpio2mqtt::config

// Finding a kernel chip through the ChipProvider seam, by label or by path, and the messages that
// name what does exist when it is not there. A recording fake stands in for libgpiod; tests/kernel/
// runs the same paths against gpio-sim.
#include "service/chip_lookup.h"

#include <gtest/gtest.h>

#include "assertions.h"
#include "gpio2mqtt/config/loader.h"
#include "recording_chips.h"

namespace gpio2mqtt::service {
namespace {

using config::ConfigError;
using testing::Contains;
using testing::error_of;
using testing::one_chip;
using testing::pi5;
using testing::RecordingProvider;

std::string lookup_error(const std::string& chip_yaml, gpio::ChipProvider& provider) {
  return error_of<ConfigError>([&] { open_hardware_chip(one_chip(chip_yaml).chips[0], provider); });
}

TEST(AHardwareChipLookup, OpensTheChipWhoseLabelMatchesAndStopsLooking) {
  auto provider = pi5();
  auto chip = open_hardware_chip(one_chip("label: gpio-brcmstb@107d508500").chips[0], provider);
  EXPECT_EQ(chip->name(), "gpiochip10");
  EXPECT_EQ(provider.calls, (std::vector<std::string>{"chip_paths", "open /dev/gpiochip0", "open /dev/gpiochip10"}));
}

TEST(AHardwareChipLookup, NamesEveryChipAndItsPathWhenNoLabelMatches) {
  auto provider = pi5();
  std::string message = lookup_error("label: pinctrl-bcm2711", provider);
  EXPECT_TRUE(Contains(message, "test.yaml:2:3: chip 'main': no chip labelled 'pinctrl-bcm2711'"));
  EXPECT_TRUE(Contains(message,
                       "pinctrl-rp1 (/dev/gpiochip0), gpio-brcmstb@107d508500 (/dev/gpiochip10), "
                       "gpio-brcmstb@107d517c00 (/dev/gpiochip11)"));
}

TEST(AHardwareChipLookup, ListsAChipItCouldNotOpenWithTheReason) {
  RecordingProvider provider(
      {{"/dev/gpiochip0", "", {}, "Permission denied (run as root)"}, {"/dev/gpiochip1", "gpio-mockup-A", {"GPIO17"}}});
  EXPECT_TRUE(Contains(lookup_error("label: pinctrl-rp1", provider),
                       "/dev/gpiochip0: Permission denied (run as root), gpio-mockup-A (/dev/gpiochip1)"));
}

TEST(AHardwareChipLookup, OpensAPathWithoutScanningTheOtherChips) {
  auto provider = pi5();
  auto chip = open_hardware_chip(one_chip("path: /dev/gpiochip11").chips[0], provider);
  EXPECT_EQ(chip->label(), "gpio-brcmstb@107d517c00");
  EXPECT_EQ(provider.calls, (std::vector<std::string>{"open /dev/gpiochip11"}));
}

TEST(AHardwareChipLookup, NamesThePathsPresentWhenAPathCannotBeOpened) {
  auto provider = pi5();
  std::string message = lookup_error("path: /dev/gpiochip4", provider);
  EXPECT_TRUE(Contains(message, "chip 'main': cannot open /dev/gpiochip4: No such file or directory"));
  EXPECT_TRUE(Contains(message, "chips here: /dev/gpiochip0, /dev/gpiochip10, /dev/gpiochip11"));
}

}  // namespace
}  // namespace gpio2mqtt::service

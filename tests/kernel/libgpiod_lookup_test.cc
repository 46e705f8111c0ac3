// Finding chips and lines on a real kernel: by label, by path, line names across two chips, and a
// busy line's error naming who holds it.
#include <algorithm>
#include <memory>

#include "gpio/hardware.h"
#include "gpio2mqtt/config/loader.h"
#include "kernel_test.h"
#include "service/chip_lookup.h"
#include "service/line_set.h"

namespace gpio2mqtt::kernel_test {
namespace {

using gpio::GpioError;

unsigned chip_number(const std::string& path) {
  return static_cast<unsigned>(std::stoul(path.substr(path.rfind('p') + 1)));
}

class TwoKernelChips : public KernelTest {
 protected:
  void SetUp() override {
    KernelTest::SetUp();
    if (IsSkipped()) return;
    left_ = make_sim().label(unique_label("left")).lines(4).name(0, "GPIO17").name(1, "GPIO22").build();
    right_ = make_sim().label(unique_label("right")).lines(6).name(0, "GPIO17").name(4, "FAN_PWM").build();
    provider_ = gpio::make_hardware_provider();
  }

  config::Config parse(const std::string& yaml) { return config::parse_config(yaml, "kernel.yaml", "vm"); }

  std::string two_chips() const {
    return "chips:\n  left:\n    label: " + left_->label() + "\n  right:\n    path: " + right_->dev_path() +
           "\nlines:\n";
  }

  std::unique_ptr<SimChip> left_, right_;
  std::unique_ptr<gpio::ChipProvider> provider_;
};

TEST_F(TwoKernelChips, AreListedAmongTheChipPathsInNumericOrder) {
  auto paths = provider_->chip_paths();
  EXPECT_NE(std::find(paths.begin(), paths.end(), left_->dev_path()), paths.end());
  EXPECT_NE(std::find(paths.begin(), paths.end(), right_->dev_path()), paths.end());
  EXPECT_TRUE(std::is_sorted(paths.begin(), paths.end(),
                             [](const auto& a, const auto& b) { return chip_number(a) < chip_number(b); }));
}

TEST_F(TwoKernelChips, AreFoundByLabelAndByPath) {
  auto config = parse(two_chips() + "  x:\n    chip: left\n    line: 0\n");
  EXPECT_EQ(service::open_hardware_chip(config.chips[0], *provider_)->name(), left_->chip_name());
  EXPECT_EQ(service::open_hardware_chip(config.chips[1], *provider_)->label(), right_->label());
}

TEST_F(TwoKernelChips, NameEveryLabelWhenNoneMatches) {
  auto config = parse("chips:\n  main:\n    label: pinctrl-rp1\nlines:\n  x:\n    line: GPIO17\n");
  auto message = error_of<config::ConfigError>([&] { service::open_hardware_chip(config.chips[0], *provider_); });
  EXPECT_TRUE(Contains(message, "no chip labelled 'pinctrl-rp1'"));
  EXPECT_TRUE(Contains(message, left_->label() + " (" + left_->dev_path() + ")"));
  EXPECT_TRUE(Contains(message, right_->label() + " (" + right_->dev_path() + ")"));
}

TEST_F(TwoKernelChips, ServeALineNamedWithoutAChipFromTheChipThatHasIt) {
  right_->set_pull(4, true);
  service::LineSet lines(parse(two_chips() + "  fan:\n    line: FAN_PWM\n  button:\n    line: GPIO17\n"),
                         provider_.get(), "g2m-test");
  EXPECT_EQ(lines.describe(0), "chip right (" + right_->label() + ") offset 4");
  EXPECT_EQ(lines.describe(1), "chip left (" + left_->label() + ") offset 0");  // the first chip configured
  EXPECT_TRUE(lines.read(0));
  // A request on each chip: one fd each on uAPI v2, the input's and the reader thread's on v1.
  EXPECT_EQ(lines.event_fds().size(), gpio::hardware_uapi_version() == 2 ? 2u : 4u);
}

TEST_F(TwoKernelChips, SuggestTheClosestNamesOfAllChips) {
  auto config = parse(two_chips() + "  fan:\n    line: FAN_PMW\n");
  EXPECT_TRUE(
      Contains(error_of<config::ConfigError>([&] { service::LineSet lines(config, provider_.get(), "g2m-test"); }),
               "no configured chip has a line 'FAN_PMW'; closest: FAN_PWM"));
}

TEST_F(TwoKernelChips, RefuseABusyLineNamingTheLineTheChipAndItsConsumer) {
  auto holder = provider_->open(left_->dev_path())->request("first-holder", {input(1)});
  auto chip = provider_->open(left_->dev_path());
  EXPECT_TRUE(Contains(error_of<GpioError>([&] { chip->request("g2m-test", {input(1)}); }),
                       "line 'GPIO22' (offset 1) of " + left_->chip_name() + " [" + left_->label() +
                           "] is busy: it is held by 'first-holder'"));
}

TEST_F(TwoKernelChips, RefuseALineTheSameChipObjectAlreadyHolds) {
  auto chip = provider_->open(left_->dev_path());
  auto first = chip->request("first-holder", {output(0, true)});
  auto message = error_of<GpioError>([&] { chip->request("g2m-test", {output(0, false)}); });
  EXPECT_TRUE(Contains(message, "'GPIO17' (offset 0)"));
  EXPECT_TRUE(Contains(message, "held by 'first-holder'"));
  EXPECT_TRUE(left_->value(0));  // the holder's level is untouched
}

TEST_F(TwoKernelChips, FailAsAGpioErrorThroughTheLineSetWhenALineIsBusy) {
  auto holder = provider_->open(right_->dev_path())->request("other-daemon", {output(4, false)});
  EXPECT_THROW(service::LineSet(parse(two_chips() + "  fan:\n    line: FAN_PWM\n"), provider_.get(), "g2m-test"),
               GpioError);
}

TEST(AKernelChipPath, ThatIsNotAGpioChipIsRefusedWithTheReason) {
  auto provider = gpio::make_hardware_provider();
  EXPECT_TRUE(Contains(error_of<GpioError>([&] { provider->open("/dev/null"); }), "not a GPIO chip"));
}

}  // namespace
}  // namespace gpio2mqtt::kernel_test

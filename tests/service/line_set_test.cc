// Binding the configured lines to kernel chips through the ChipProvider seam: line names searched
// across chips, what is requested together, kernel debounce, dropped events, and the messages
// that name what does exist. A recording fake stands in for libgpiod; tests/kernel/ runs the same
// paths against gpio-sim.
#include "service/line_set.h"

#include <gtest/gtest.h>

#include "assertions.h"
#include "gpio2mqtt/config/loader.h"
#include "recording_chips.h"

namespace gpio2mqtt::service {
namespace {

using config::ConfigError;
using gpio::GpioError;
using testing::Contains;
using testing::error_of;
using testing::FakeRequest;
using testing::one_chip;
using testing::parse_test_config;
using testing::pi5;
using testing::RecordingProvider;

std::string config_error(const config::Config& config, gpio::ChipProvider& provider) {
  return error_of<ConfigError>([&] { LineSet lines(config, &provider, "gpio2mqtt"); });
}

const char* kTwoChips = R"(chips:
  header:
    label: pinctrl-rp1
  soc:
    label: gpio-brcmstb@107d517c00
lines:
)";

TEST(ALineSetOnHardware, SearchesEveryChipForALineNamedWithoutAChip) {
  auto provider = pi5();
  LineSet lines(parse_test_config(std::string(kTwoChips) + "  fan:\n    line: FAN_PWM\n    direction: output\n"),
                &provider, "gpio2mqtt");
  ASSERT_EQ(provider.requests.size(), 1u);
  EXPECT_EQ(provider.requests[0].chip_path, "/dev/gpiochip11");
  ASSERT_EQ(provider.requests[0].lines.size(), 1u);
  EXPECT_EQ(provider.requests[0].lines[0].offset, 1u);
  EXPECT_EQ(lines.describe(0), "chip soc (gpio-brcmstb@107d517c00) offset 1");
}

TEST(ALineSetOnHardware, TakesTheFirstChipInConfigOrderWhenSeveralHaveTheName) {
  RecordingProvider provider({{"/dev/gpiochip0", "left", {"LED"}}, {"/dev/gpiochip1", "right", {"X", "LED"}}});
  LineSet lines(
      parse_test_config("chips:\n  r:\n    label: right\n  l:\n    label: left\nlines:\n  led:\n    line: LED\n"),
      &provider, "c");
  ASSERT_EQ(provider.requests.size(), 1u);
  EXPECT_EQ(provider.requests[0].chip_path, "/dev/gpiochip1");
  EXPECT_EQ(provider.requests[0].lines[0].offset, 1u);
}

TEST(ALineSetOnHardware, SuggestsTheClosestNamesOfAllChipsWhenNoChipHasTheLine) {
  auto provider = pi5();
  std::string message =
      config_error(parse_test_config(std::string(kTwoChips) + "  led:\n    line: GPIO71\n"), provider);
  EXPECT_TRUE(Contains(message,
                       "test.yaml:8:11: line 'led': no configured chip has a line 'GPIO71'; closest: GPIO7, GPIO17, "));
  EXPECT_TRUE(provider.requests.empty());
}

TEST(ALineSetOnHardware, SuggestsTheClosestNamesOfTheNamedChip) {
  auto provider = pi5();
  std::string message =
      config_error(parse_test_config(std::string(kTwoChips) + "  led:\n    chip: soc\n    line: GPIO17\n"), provider);
  EXPECT_TRUE(Contains(message, "line 'led': chip 'soc' has no line 'GPIO17'; closest: GPIO7, "));
  EXPECT_FALSE(Contains(message, "GPIO22"));  // a line of the other chip
}

TEST(ALineSetOnHardware, RequestsAChipsInputsTogetherAndEachOutputAlone) {
  // Inputs share one request (one event fd on uAPI v2); every output has its own, so a reload can
  // add or drop an output without touching the others.
  auto provider = pi5();
  LineSet lines(parse_test_config(R"(chips:
  main:
    label: pinctrl-rp1
lines:
  button:
    line: GPIO17
    bias: pull-up
    active_low: true
  relay:
    line: GPIO27
    direction: output
    drive: open-drain
    initial: on
  raw:
    line: 3
)"),
                &provider, "gpio2mqtt");
  ASSERT_EQ(provider.requests.size(), 2u);
  const auto& relay = provider.requests[0];
  EXPECT_EQ(relay.consumer, "gpio2mqtt");
  ASSERT_EQ(relay.lines.size(), 1u);
  EXPECT_EQ(relay.lines[0].offset, 7u);
  EXPECT_EQ(relay.lines[0].direction, gpio::Direction::kOutput);
  EXPECT_EQ(relay.lines[0].drive, gpio::Drive::kOpenDrain);
  EXPECT_TRUE(relay.lines[0].initial_active);
  const auto& inputs = provider.requests[1];
  ASSERT_EQ(inputs.lines.size(), 2u);
  EXPECT_EQ(inputs.lines[0].offset, 5u);
  EXPECT_EQ(inputs.lines[0].direction, gpio::Direction::kInput);
  EXPECT_EQ(inputs.lines[0].bias, gpio::Bias::kPullUp);
  EXPECT_TRUE(inputs.lines[0].active_low);
  EXPECT_EQ(inputs.lines[1].offset, 3u);  // an offset needs no name
}

TEST(ALineSetOnHardware, PassesTheChipsBusyErrorOnAsAGpioError) {
  RecordingProvider provider({{"/dev/gpiochip0", "pinctrl-rp1", {"GPIO17"}, "", "gpioset"}});
  EXPECT_TRUE(
      Contains(error_of<GpioError>([&] { LineSet lines(one_chip("label: pinctrl-rp1"), &provider, "gpio2mqtt"); }),
               "held by 'gpioset'"));
}

const char* kTwoDebouncedInputs = R"(chips:
  main:
    label: pinctrl-rp1
lines:
  button:
    line: GPIO17
    debounce: 10ms
  door:
    line: GPIO22
)";

TEST(ALineSetOnHardware, HandsTheDebouncePeriodToAChipWhoseKernelDebounces) {
  RecordingProvider provider({{"/dev/gpiochip0", "pinctrl-rp1", {"GPIO17", "GPIO22"}, "", "", true}});
  LineSet lines(parse_test_config(kTwoDebouncedInputs), &provider, "gpio2mqtt");
  ASSERT_EQ(provider.requests.size(), 1u);
  EXPECT_EQ(provider.requests[0].lines[0].debounce, std::chrono::milliseconds(10));
  EXPECT_EQ(provider.requests[0].lines[1].debounce, std::chrono::nanoseconds(0));
  EXPECT_TRUE(lines.plan().lines[0].kernel_debounces);  // so the bridge does not debounce it again
  EXPECT_FALSE(lines.plan().lines[1].kernel_debounces);
}

TEST(ALineSetOnHardware, LeavesDebounceToTheBridgeWhenTheKernelDoesNot) {
  RecordingProvider provider({{"/dev/gpiochip0", "pinctrl-rp1", {"GPIO17", "GPIO22"}}});
  LineSet lines(parse_test_config(kTwoDebouncedInputs), &provider, "gpio2mqtt");
  EXPECT_EQ(provider.requests[0].lines[0].debounce, std::chrono::nanoseconds(0));
  EXPECT_FALSE(lines.plan().lines[0].kernel_debounces);
}

TEST(ALineSetOnHardware, CountsTheEventsTheKernelDroppedFromGapsInItsSequenceNumbers) {
  RecordingProvider provider({{"/dev/gpiochip0", "pinctrl-rp1", {"GPIO17", "GPIO22"}, "", "", true}});
  LineSet lines(parse_test_config(kTwoDebouncedInputs), &provider, "gpio2mqtt");
  ASSERT_EQ(lines.event_fds(), std::vector<int>{FakeRequest::kEventFd});
  // offset 0 (button): 1, 2, then 5: two lost; offset 1 (door): 2 first: one lost before it.
  *provider.requests[0].events = {{0, true, 10, 1, 1}, {0, false, 20, 2, 2}, {1, true, 30, 2, 4}, {0, true, 40, 5, 7}};
  std::vector<std::pair<std::size_t, gpio::EdgeEvent>> events;
  lines.read_events(FakeRequest::kEventFd, events);
  ASSERT_EQ(events.size(), 4u);
  EXPECT_EQ(events[2].first, 1u);
  EXPECT_EQ(events[3].second.line_seqno, 5u);
  EXPECT_EQ(events[3].second.lost_before, 2u);  // a counter of one direction counts them
  EXPECT_EQ(events[2].second.lost_before, 1u);
  EXPECT_EQ(events[1].second.lost_before, 0u);
  EXPECT_EQ(lines.kernel_dropped(), 3u);
  *provider.requests[0].events = {{0, false, 50, 6, 8}};  // no gap
  lines.read_events(FakeRequest::kEventFd, events);
  EXPECT_EQ(lines.kernel_dropped(), 3u);
}

TEST(ALineSetOnHardware, CountsTheEventsABackendWithoutSequenceNumbersKnowsWereDropped) {
  RecordingProvider provider({{"/dev/gpiochip0", "pinctrl-rp1", {"GPIO17", "GPIO22"}, "", "", true}});
  LineSet lines(parse_test_config(kTwoDebouncedInputs), &provider, "gpio2mqtt");
  // uAPI v1: no seqnos; rising after rising (one lost), then a made-up level (its edge lost).
  *provider.requests[0].events = {{0, true, 10, 0, 0, 0}, {0, true, 20, 0, 0, 1}, {1, false, 30, 0, 0, 1}};
  std::vector<std::pair<std::size_t, gpio::EdgeEvent>> events;
  lines.read_events(FakeRequest::kEventFd, events);
  ASSERT_EQ(events.size(), 3u);  // every one is handed on: the last gives the true level
  EXPECT_EQ(events[2].first, 1u);
  EXPECT_EQ(lines.kernel_dropped(), 2u);
}

TEST(ALineSetOnHardware, SaysWhenTheBuildHasNoHardwareBackend) {
  EXPECT_TRUE(
      Contains(error_of<ConfigError>([] { LineSet lines(one_chip("label: pinctrl-rp1"), nullptr, "gpio2mqtt"); }),
               "chip 'main': this build has no GPIO hardware backend"));
}

}  // namespace
}  // namespace gpio2mqtt::service

// Finding kernel chips and lines through the ChipProvider seam: by label, by path, line names
// searched across chips, and messages that name what does exist. A recording fake stands in for
// libgpiod; tests/kernel/ runs the same paths against gpio-sim.
#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <memory>

#include "gpio2mqtt/config/loader.h"
#include "gpio2mqtt/gpio/gpio.h"
#include "service/chip_lookup.h"
#include "service/line_set.h"

namespace gpio2mqtt::service {
namespace {

using config::ConfigError;
using gpio::GpioError;
using gpio::LineSettings;

// unit_tests links no gmock: a plain substring check with a readable failure.
::testing::AssertionResult Contains(const std::string& text, const std::string& part) {
  if (text.find(part) != std::string::npos) return ::testing::AssertionSuccess();
  return ::testing::AssertionFailure() << "\"" << text << "\"\n  does not contain \"" << part << "\"";
}

struct FakeChipSpec {
  std::string path;
  std::string label;
  std::vector<std::string> lines;
  std::string open_error = {};   // non-empty: open() throws this
  std::string busy_with = {};    // non-empty: request() fails as if this consumer held the lines
  bool kernel_debounce = false;  // as libgpiod 2.x chips do
};

// Events a test hands to a request, read from its one event fd (as on uAPI v2).
using PendingEvents = std::shared_ptr<std::vector<gpio::EdgeEvent>>;

struct Requested {
  std::string chip_path;
  std::string consumer;
  std::vector<LineSettings> lines;
  PendingEvents events = std::make_shared<std::vector<gpio::EdgeEvent>>();
};

class FakeRequest : public gpio::LineRequest {
 public:
  static constexpr int kEventFd = 1000;  // never a real fd: only LineSet's index sees it
  explicit FakeRequest(PendingEvents events = nullptr) : events_(std::move(events)) {}
  std::vector<int> event_fds() const override { return events_ ? std::vector<int>{kEventFd} : std::vector<int>{}; }
  void read_events(int, std::vector<gpio::EdgeEvent>& out) override {
    if (!events_) return;
    out.insert(out.end(), events_->begin(), events_->end());
    events_->clear();
  }
  bool get_value(unsigned offset) override { return values[offset]; }
  void set_value(unsigned offset, bool active) override { values[offset] = active; }
  std::map<unsigned, bool> values;

 private:
  PendingEvents events_;
};

class FakeChip : public gpio::Chip {
 public:
  FakeChip(FakeChipSpec spec, std::vector<Requested>& log) : spec_(std::move(spec)), log_(log) {}
  std::string name() const override { return spec_.path.substr(spec_.path.rfind('/') + 1); }
  std::string label() const override { return spec_.label; }
  bool kernel_debounce() const override { return spec_.kernel_debounce; }
  std::vector<std::string> line_names() const override { return spec_.lines; }
  std::optional<unsigned> find_line(const std::string& name) const override {
    for (unsigned i = 0; i < spec_.lines.size(); ++i)
      if (spec_.lines[i] == name) return i;
    return std::nullopt;
  }
  std::unique_ptr<gpio::LineRequest> request(const std::string& consumer,
                                             const std::vector<LineSettings>& lines) override {
    if (!spec_.busy_with.empty())
      throw GpioError("line of " + name() + " is busy: it is held by '" + spec_.busy_with + "'");
    log_.push_back({spec_.path, consumer, lines});
    bool inputs = std::any_of(lines.begin(), lines.end(),
                              [](const LineSettings& s) { return s.direction == gpio::Direction::kInput; });
    return std::make_unique<FakeRequest>(inputs ? log_.back().events : nullptr);
  }

 private:
  FakeChipSpec spec_;
  std::vector<Requested>& log_;
};

class RecordingProvider : public gpio::ChipProvider {
 public:
  explicit RecordingProvider(std::vector<FakeChipSpec> chips) : chips_(std::move(chips)) {}
  std::vector<std::string> chip_paths() const override {
    calls.push_back("chip_paths");
    std::vector<std::string> paths;
    for (const auto& chip : chips_) paths.push_back(chip.path);
    return paths;
  }
  std::unique_ptr<gpio::Chip> open(const std::string& path) override {
    calls.push_back("open " + path);
    for (const auto& chip : chips_) {
      if (chip.path != path) continue;
      if (!chip.open_error.empty()) throw GpioError(chip.open_error);
      return std::make_unique<FakeChip>(chip, requests);
    }
    throw GpioError("No such file or directory");
  }

  mutable std::vector<std::string> calls;
  std::vector<Requested> requests;

 private:
  std::vector<FakeChipSpec> chips_;
};

// A Raspberry Pi 5 as seen by a recent kernel: the header on gpiochip0, the SoC's chips after it.
RecordingProvider pi5() {
  return RecordingProvider({
      {"/dev/gpiochip0", "pinctrl-rp1", {"ID_SDA", "ID_SCL", "GPIO2", "GPIO3", "GPIO4", "GPIO17", "GPIO22", "GPIO27"}},
      {"/dev/gpiochip10", "gpio-brcmstb@107d508500", {"RP1_SDA", "RP1_SCL", "RP1_RUN", "PWR_GPIO"}},
      {"/dev/gpiochip11", "gpio-brcmstb@107d517c00", {"HDMI0_SCL", "FAN_PWM", "GPIO7"}},
  });
}

config::Config parse(const std::string& yaml) { return config::parse_config(yaml, "test.yaml", "host"); }

config::Config one_chip(const std::string& chip_yaml) {
  return parse("chips:\n  main:\n    " + chip_yaml + "\nlines:\n  button:\n    line: GPIO17\n");
}

// The message of the E that `call` throws; a test failure when it throws nothing.
template <class E, class F>
std::string error_of(F&& call) {
  try {
    call();
  } catch (const E& e) {
    return e.what();
  }
  ADD_FAILURE() << "nothing thrown";
  return {};
}

std::string config_error(const config::Config& config, gpio::ChipProvider& provider) {
  return error_of<ConfigError>([&] { LineSet lines(config, &provider, "gpio2mqtt"); });
}

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

const char* kTwoChips = R"(chips:
  header:
    label: pinctrl-rp1
  soc:
    label: gpio-brcmstb@107d517c00
lines:
)";

TEST(ALineSetOnHardware, SearchesEveryChipForALineNamedWithoutAChip) {
  auto provider = pi5();
  LineSet lines(parse(std::string(kTwoChips) + "  fan:\n    line: FAN_PWM\n    direction: output\n"), &provider,
                "gpio2mqtt");
  ASSERT_EQ(provider.requests.size(), 1u);
  EXPECT_EQ(provider.requests[0].chip_path, "/dev/gpiochip11");
  ASSERT_EQ(provider.requests[0].lines.size(), 1u);
  EXPECT_EQ(provider.requests[0].lines[0].offset, 1u);
  EXPECT_EQ(lines.describe(0), "chip soc (gpio-brcmstb@107d517c00) offset 1");
}

TEST(ALineSetOnHardware, TakesTheFirstChipInConfigOrderWhenSeveralHaveTheName) {
  RecordingProvider provider({{"/dev/gpiochip0", "left", {"LED"}}, {"/dev/gpiochip1", "right", {"X", "LED"}}});
  LineSet lines(parse("chips:\n  r:\n    label: right\n  l:\n    label: left\nlines:\n  led:\n    line: LED\n"),
                &provider, "c");
  ASSERT_EQ(provider.requests.size(), 1u);
  EXPECT_EQ(provider.requests[0].chip_path, "/dev/gpiochip1");
  EXPECT_EQ(provider.requests[0].lines[0].offset, 1u);
}

TEST(ALineSetOnHardware, SuggestsTheClosestNamesOfAllChipsWhenNoChipHasTheLine) {
  auto provider = pi5();
  std::string message = config_error(parse(std::string(kTwoChips) + "  led:\n    line: GPIO71\n"), provider);
  EXPECT_TRUE(Contains(message,
                       "test.yaml:8:11: line 'led': no configured chip has a line 'GPIO71'; closest: GPIO7, GPIO17, "));
  EXPECT_TRUE(provider.requests.empty());
}

TEST(ALineSetOnHardware, SuggestsTheClosestNamesOfTheNamedChip) {
  auto provider = pi5();
  std::string message =
      config_error(parse(std::string(kTwoChips) + "  led:\n    chip: soc\n    line: GPIO17\n"), provider);
  EXPECT_TRUE(Contains(message, "line 'led': chip 'soc' has no line 'GPIO17'; closest: GPIO7, "));
  EXPECT_FALSE(Contains(message, "GPIO22"));  // a line of the other chip
}

TEST(ALineSetOnHardware, RequestsAChipsInputsTogetherAndEachOutputAlone) {
  // Inputs share one request (one event fd on uAPI v2); every output has its own, so a reload can
  // add or drop an output without touching the others.
  auto provider = pi5();
  LineSet lines(parse(R"(chips:
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
  LineSet lines(parse(kTwoDebouncedInputs), &provider, "gpio2mqtt");
  ASSERT_EQ(provider.requests.size(), 1u);
  EXPECT_EQ(provider.requests[0].lines[0].debounce, std::chrono::milliseconds(10));
  EXPECT_EQ(provider.requests[0].lines[1].debounce, std::chrono::nanoseconds(0));
  EXPECT_TRUE(lines.kernel_debounced(0));  // so the bridge does not debounce it again
  EXPECT_FALSE(lines.kernel_debounced(1));
}

TEST(ALineSetOnHardware, LeavesDebounceToTheBridgeWhenTheKernelDoesNot) {
  RecordingProvider provider({{"/dev/gpiochip0", "pinctrl-rp1", {"GPIO17", "GPIO22"}}});
  LineSet lines(parse(kTwoDebouncedInputs), &provider, "gpio2mqtt");
  EXPECT_EQ(provider.requests[0].lines[0].debounce, std::chrono::nanoseconds(0));
  EXPECT_FALSE(lines.kernel_debounced(0));
}

TEST(ALineSetOnHardware, CountsTheEventsTheKernelDroppedFromGapsInItsSequenceNumbers) {
  RecordingProvider provider({{"/dev/gpiochip0", "pinctrl-rp1", {"GPIO17", "GPIO22"}, "", "", true}});
  LineSet lines(parse(kTwoDebouncedInputs), &provider, "gpio2mqtt");
  ASSERT_EQ(lines.event_fds(), std::vector<int>{FakeRequest::kEventFd});
  // offset 0 (button): 1, 2, then 5: two lost; offset 1 (door): 2 first: one lost before it.
  *provider.requests[0].events = {{0, true, 10, 1, 1}, {0, false, 20, 2, 2}, {1, true, 30, 2, 4}, {0, true, 40, 5, 7}};
  std::vector<std::pair<std::size_t, gpio::EdgeEvent>> events;
  lines.read_events(FakeRequest::kEventFd, events);
  ASSERT_EQ(events.size(), 4u);
  EXPECT_EQ(events[2].first, 1u);
  EXPECT_EQ(events[3].second.line_seqno, 5u);
  EXPECT_EQ(lines.kernel_dropped(), 3u);
  *provider.requests[0].events = {{0, false, 50, 6, 8}};  // no gap
  lines.read_events(FakeRequest::kEventFd, events);
  EXPECT_EQ(lines.kernel_dropped(), 3u);
}

TEST(ALineSetOnHardware, SaysWhenTheBuildHasNoHardwareBackend) {
  EXPECT_TRUE(
      Contains(error_of<ConfigError>([] { LineSet lines(one_chip("label: pinctrl-rp1"), nullptr, "gpio2mqtt"); }),
               "chip 'main': this build has no GPIO hardware backend"));
}

}  // namespace
}  // namespace gpio2mqtt::service

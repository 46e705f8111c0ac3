#include "recording_chips.h"

#include <algorithm>

#include "gpio2mqtt/config/loader.h"

namespace gpio2mqtt::testing {

std::vector<int> FakeRequest::event_fds() const { return events_ ? std::vector<int>{kEventFd} : std::vector<int>{}; }

void FakeRequest::read_events(int, std::vector<gpio::EdgeEvent>& out) {
  if (!events_) return;
  out.insert(out.end(), events_->begin(), events_->end());
  events_->clear();
}

std::optional<unsigned> FakeChip::find_line(const std::string& name) const {
  for (unsigned i = 0; i < spec_.lines.size(); ++i)
    if (spec_.lines[i] == name) return i;
  return std::nullopt;
}

std::unique_ptr<gpio::LineRequest> FakeChip::request(const std::string& consumer,
                                                     const std::vector<gpio::LineSettings>& lines) {
  if (!spec_.busy_with.empty())
    throw gpio::GpioError("line of " + name() + " is busy: it is held by '" + spec_.busy_with + "'");
  log_.push_back({spec_.path, consumer, lines});
  bool inputs = std::any_of(lines.begin(), lines.end(),
                            [](const gpio::LineSettings& s) { return s.direction == gpio::Direction::kInput; });
  return std::make_unique<FakeRequest>(inputs ? log_.back().events : nullptr);
}

std::vector<std::string> RecordingProvider::chip_paths() const {
  calls.push_back("chip_paths");
  std::vector<std::string> paths;
  for (const auto& chip : chips_) paths.push_back(chip.path);
  return paths;
}

std::unique_ptr<gpio::Chip> RecordingProvider::open(const std::string& path) {
  calls.push_back("open " + path);
  for (const auto& chip : chips_) {
    if (chip.path != path) continue;
    if (!chip.open_error.empty()) throw gpio::GpioError(chip.open_error);
    return std::make_unique<FakeChip>(chip, requests);
  }
  throw gpio::GpioError("No such file or directory");
}

RecordingProvider pi5() {
  return RecordingProvider({
      {"/dev/gpiochip0", "pinctrl-rp1", {"ID_SDA", "ID_SCL", "GPIO2", "GPIO3", "GPIO4", "GPIO17", "GPIO22", "GPIO27"}},
      {"/dev/gpiochip10", "gpio-brcmstb@107d508500", {"RP1_SDA", "RP1_SCL", "RP1_RUN", "PWR_GPIO"}},
      {"/dev/gpiochip11", "gpio-brcmstb@107d517c00", {"HDMI0_SCL", "FAN_PWM", "GPIO7"}},
  });
}

config::Config parse_test_config(const std::string& yaml) { return config::parse_config(yaml, "test.yaml", "host"); }

config::Config one_chip(const std::string& chip_yaml) {
  return parse_test_config("chips:\n  main:\n    " + chip_yaml + "\nlines:\n  button:\n    line: GPIO17\n");
}

}  // namespace gpio2mqtt::testing

// Kernel chips as the ChipProvider seam shows them, without a kernel: chips described by the test,
// a provider that records what it was asked (paths listed, chips opened, lines requested), and
// requests whose events the test hands in. tests/kernel/ runs the same paths against gpio-sim.
#pragma once

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "gpio2mqtt/config/config.h"
#include "gpio2mqtt/gpio/gpio.h"

namespace gpio2mqtt::testing {

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
  std::vector<gpio::LineSettings> lines;
  PendingEvents events = std::make_shared<std::vector<gpio::EdgeEvent>>();
};

class FakeRequest : public gpio::LineRequest {
 public:
  static constexpr int kEventFd = 1000;  // never a real fd: only LineSet's index sees it
  explicit FakeRequest(PendingEvents events = nullptr) : events_(std::move(events)) {}
  std::vector<int> event_fds() const override;
  void read_events(int, std::vector<gpio::EdgeEvent>& out) override;
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
  std::optional<unsigned> find_line(const std::string& name) const override;
  std::unique_ptr<gpio::LineRequest> request(const std::string& consumer,
                                             const std::vector<gpio::LineSettings>& lines) override;

 private:
  FakeChipSpec spec_;
  std::vector<Requested>& log_;
};

class RecordingProvider : public gpio::ChipProvider {
 public:
  explicit RecordingProvider(std::vector<FakeChipSpec> chips) : chips_(std::move(chips)) {}
  std::vector<std::string> chip_paths() const override;
  std::unique_ptr<gpio::Chip> open(const std::string& path) override;

  mutable std::vector<std::string> calls;
  std::vector<Requested> requests;

 private:
  std::vector<FakeChipSpec> chips_;
};

// A Raspberry Pi 5 as seen by a recent kernel: the header on gpiochip0, the SoC's chips after it.
RecordingProvider pi5();

// `yaml` read as the config file test.yaml on the host "host".
config::Config parse_test_config(const std::string& yaml);
// A config with one chip, `main`, found by `chip_yaml` ("label: X", "path: Y"), and an input on GPIO17.
config::Config one_chip(const std::string& chip_yaml);

}  // namespace gpio2mqtt::testing

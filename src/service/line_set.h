// The configured lines, opened and requested: simulated chips directly, kernel chips through a
// gpio::ChipProvider. On each chip, the inputs share one request (one event fd on uAPI v2) and
// every output has its own, so a reload can add or drop an output without touching the others.
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include "gpio2mqtt/bridge/bridge.h"
#include "gpio2mqtt/config/config.h"
#include "gpio2mqtt/gpio/gpio.h"

namespace gpio2mqtt::service {

// The lines a LineSet requests, by index: the configured lines, then the lines of the software PWM
// outputs (`pwm:` with `line:`), requested off; service/pwm_set.h switches them.
std::vector<config::LineConfig> requested_lines(const config::Config& config);

class LineSet : public bridge::LinePort {
 public:
  // Throws config::ConfigError when a chip or line named in the config does not exist (naming
  // what does), gpio::GpioError when the kernel refuses a request (e.g. a line is busy).
  LineSet(const config::Config& config, gpio::ChipProvider* hardware, std::string consumer);
  ~LineSet() override;

  // Moves to `next`: lines with the same settings keep their request (an output keeps its level),
  // removed lines are released, new ones requested; a chip's input request is made anew when its
  // inputs change. Throws like the constructor; then the set is as it was before the call.
  void reconcile(const config::Config& next);

  // Releases everything and opens the chips and lines of `config` again, outputs at
  // `output_level(line index)`: for a chip that went away and may be back. Throws like the
  // constructor; then no line is held until the next call succeeds.
  void reopen(const config::Config& config, const std::function<bool(std::size_t)>& output_level);

  // Whether a kernel chip in use is the device /dev/`device_name` (e.g. "gpiochip0").
  bool uses_device(const std::string& device_name) const;

  bool read(std::size_t line) override;
  void write(std::size_t line, bool active) override;
  // An input with a debounce period, on a chip whose kernel debounces (libgpiod 2.x).
  bool kernel_debounced(std::size_t line) const override;
  // Events the kernel dropped because its queue was full: from gaps in its sequence numbers (uAPI
  // v2), or as the backend inferred them (v1: EdgeEvent::lost_before). Logged, rate-limited.
  std::uint64_t kernel_dropped() const { return kernel_dropped_; }

  std::vector<int> event_fds() const;
  // Reads what is pending on `fd`, as (line index, event) pairs.
  void read_events(int fd, std::vector<std::pair<std::size_t, gpio::EdgeEvent>>& out);
  // "chip main (gpio2mqtt-sim-main) offset 2", for logs.
  std::string describe(std::size_t line) const;

 private:
  struct OpenChip;
  struct Request;
  struct Bound {
    config::LineConfig config;
    OpenChip* chip = nullptr;
    unsigned offset = 0;
    std::shared_ptr<Request> request;
    // The level an output is requested at: its initial level, off when it is interlocked (the
    // bridge switches it on through the interlock), its last level when its chip came back.
    // Apart from `config`, which is compared as written with the bridge's, to agree on what a
    // reload keeps.
    bool request_level = false;
  };
  using Chips = std::vector<std::shared_ptr<OpenChip>>;

  OpenChip& chip_for(const config::ChipConfig& chip_config, Chips& chips);
  std::vector<Bound> bind_all(const config::Config& config, Chips& chips);
  // Requests the lines of `lines` that have no request yet.
  void request_missing(std::vector<Bound>& lines);
  void index_fds();
  // `event` arrived for `line` after sequence number `last` (updated): counts and logs the gap between them.
  void count_kernel_drops(std::uint64_t& last, const gpio::EdgeEvent& event, std::size_t line);
  // Counts `missing` events dropped before `event` on `line`, and logs it now and then.
  void count_lost(std::uint64_t missing, const gpio::EdgeEvent& event, std::size_t line);

  gpio::ChipProvider* hardware_;
  std::string consumer_;
  Chips chips_;
  std::vector<Bound> lines_;  // by line index
  std::unordered_map<int, std::pair<Request*, std::map<unsigned, std::size_t>>> by_fd_;
  std::vector<gpio::EdgeEvent> scratch_;
  std::uint64_t kernel_dropped_ = 0;
};

}  // namespace gpio2mqtt::service

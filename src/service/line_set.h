// The configured lines, opened and requested: simulated chips directly, kernel chips through a
// gpio::ChipProvider. On each chip, the inputs share one request (one event fd on uAPI v2) and
// every output has its own, so a reload can add or drop an output without touching the others.
#pragma once

#include <algorithm>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include "gpio2mqtt/bridge/reload_plan.h"
#include "gpio2mqtt/bridge/switchboard.h"
#include "gpio2mqtt/config/config.h"
#include "gpio2mqtt/gpio/gpio.h"

namespace gpio2mqtt::service {

// The lines a LineSet requests, by index: the configured lines, then the lines of the software PWM
// outputs (`pwm:` with `line:`), requested off; service/pwm_set.h switches them.
std::vector<config::LineConfig> requested_lines(const config::Config& config);

class LineSet {
 private:
  struct OpenChip;
  struct Request;
  struct Bound {
    config::LineConfig config;
    OpenChip* chip = nullptr;
    unsigned offset = 0;
    std::shared_ptr<Request> request;
    // The level an output is requested at: as the plan says, its last level when its chip came
    // back or when a failed reload requests it again.
    bool request_level = false;
    bool kernel_debounces = false;  // as the plan says: its debounce period goes with the request
  };
  using Chips = std::vector<std::shared_ptr<OpenChip>>;

 public:
  // The lines of a config bound to their chips (opened), not requested yet: what a reload's plan
  // needs to know of them, before anything is requested.
  class Binding {
   public:
    Binding(Binding&&) noexcept;
    ~Binding();
    // For each line, whether its chip debounces in the kernel.
    const bridge::KernelDebounce& kernel_debounce() const { return kernel_debounce_; }

   private:
    friend class LineSet;
    Binding() = default;
    Chips chips_;
    std::vector<Bound> lines_;
    bridge::KernelDebounce kernel_debounce_;
  };

  // Opens the chips and requests the lines of `config` as plan_start() says. Throws
  // config::ConfigError when a chip or line named in the config does not exist (naming what
  // does), gpio::GpioError when the kernel refuses a request (e.g. a line is busy).
  LineSet(const config::Config& config, gpio::ChipProvider* hardware, std::string consumer);
  ~LineSet();
  // The plan the lines were requested by, at start or at the last reload.
  const bridge::ReloadPlan& plan() const { return plan_; }

  // A reload, step 1: binds the lines of `next` (chips whose settings did not change are kept
  // open, others opened). Throws config::ConfigError, gpio::GpioError; changes nothing.
  Binding bind(const config::Config& next) const;
  // Step 2: moves to the bound config as `plan` says: kept lines keep their request (an output its
  // level), the others are released, new ones requested at the plan's levels; a chip's input
  // request is made anew when its inputs change. Throws gpio::GpioError; then the set is as it
  // was before the call, outputs at the levels they had.
  void reconcile(Binding next, const bridge::ReloadPlan& plan);

  // Releases everything and opens the chips and lines of `config` again, outputs at
  // `output_level(line index)`: for a chip that went away and may be back. Throws like the
  // constructor; then no line is held until the next call succeeds.
  void reopen(const config::Config& config, const std::function<bool(std::size_t)>& output_level);

  // Whether a kernel chip in use is the device /dev/`device_name` (e.g. "gpiochip0").
  bool uses_device(const std::string& device_name) const;

  bool read(std::size_t line);
  void write(std::size_t line, bool active);
  // Events the kernel dropped because its queue was full: from gaps in its sequence numbers (uAPI
  // v2), or as the backend inferred them (v1: EdgeEvent::lost_before). Logged, rate-limited.
  std::uint64_t kernel_dropped() const { return kernel_dropped_; }

  std::vector<int> event_fds() const;
  // Each request is told that the loop now watches its event fds (gpio::LineRequest::watched).
  void watched();
  // Reads what is pending on `fd`, as (line index, event) pairs.
  void read_events(int fd, std::vector<std::pair<std::size_t, gpio::EdgeEvent>>& out);
  // "chip main (gpio2mqtt-sim-main) offset 2", for logs.
  std::string describe(std::size_t line) const;

 private:
  OpenChip& chip_for(const config::ChipConfig& chip_config, Chips& chips) const;
  std::vector<Bound> bind_all(const config::Config& config, Chips& chips) const;
  // Requests the lines of `lines` that have no request yet.
  void request_missing(std::vector<Bound>& lines);
  void index_fds();
  // The events the kernel dropped between sequence number `last` (updated) and `event`.
  static std::uint32_t kernel_gap(std::uint64_t& last, const gpio::EdgeEvent& event);
  // Counts `missing` events dropped before `event` on `line`, and logs it now and then.
  void count_lost(std::uint64_t missing, const gpio::EdgeEvent& event, std::size_t line);

  gpio::ChipProvider* hardware_;
  std::string consumer_;
  Chips chips_;
  std::vector<Bound> lines_;  // by line index
  std::unordered_map<int, std::pair<Request*, std::map<unsigned, std::size_t>>> by_fd_;
  std::vector<gpio::EdgeEvent> scratch_;
  std::uint64_t kernel_dropped_ = 0;
  bridge::ReloadPlan plan_;
};

// The LineSet as the bridge's port: each write stamped on the service's clock just after it is
// done, which the interlock's dead times count from (see bridge::LinePort::write).
class StampedLines : public bridge::LinePort {
 public:
  StampedLines(LineSet& lines, const Clock& clock) : lines_(lines), clock_(clock) {}
  bool read(std::size_t line) override { return lines_.read(line); }
  MonoTime write(std::size_t line, bool active, MonoTime now) override {
    lines_.write(line, active);
    return std::max(now, clock_.now());
  }

 private:
  LineSet& lines_;
  const Clock& clock_;
};

}  // namespace gpio2mqtt::service

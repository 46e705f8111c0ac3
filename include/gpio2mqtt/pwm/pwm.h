// The seam to hardware PWM: a channel of a PWM chip, set as one whole state (period, duty,
// polarity, enable) so the implementation can order the kernel's writes. The daemon's sysfs
// implementation is pwm/sysfs_pwm.h; tests use a recording fake.
#pragma once

#include <cstdint>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

namespace gpio2mqtt::pwm {

enum class Polarity { kNormal, kInversed };

// What a channel is set to. Times in nanoseconds, as the kernel takes them; duty <= period.
struct State {
  std::uint64_t period_ns = 0;
  std::uint64_t duty_ns = 0;
  Polarity polarity = Polarity::kNormal;
  bool enabled = false;
  bool operator==(const State&) const = default;
};

// A chip or channel that is not there, named with what is there: a configuration error at start.
class NotFound : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// A value the chip refused (a period it cannot make, a failed write): the message says which.
class Refused : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

class Channel {
 public:
  virtual ~Channel() = default;
  // Sets the whole state, writing only what changed, in an order the kernel accepts. Throws
  // Refused; the channel then holds what was written before the refused value.
  virtual void apply(const State& state) = 0;
  virtual const State& state() const = 0;
  // "pwmchip2 (1f00098000.pwm) channel 0", for messages.
  virtual std::string describe() const = 0;
};

// What identifies a chip, for matching a config's name and listing the chips in messages.
struct ChipInfo {
  std::string sysfs_name;   // pwmchip2: moves between kernels and boards
  std::string device;       // the device's name, e.g. 1f00098000.pwm (platform) or 0000:01:00.0
  std::string device_tree;  // its device-tree node, e.g. /axi/pcie@120000/rp1/pwm@98000; empty without
  unsigned channels = 0;    // npwm
  // Whether `name` names this chip: its sysfs name, device, device-tree path or node name.
  bool named(const std::string& name) const;
  std::string describe() const;
};

class ChipProvider {
 public:
  virtual ~ChipProvider() = default;
  virtual std::vector<ChipInfo> chips() = 0;
  // The channel `channel` of the one chip `name` names, exported and ready. Throws NotFound when
  // no chip or several match, or the chip has no such channel; Refused when it cannot be exported.
  virtual std::unique_ptr<Channel> open(const std::string& name, unsigned channel) = 0;
};

// The chip `name` names among `chips`, or NotFound saying what there is.
const ChipInfo& find_chip(const std::vector<ChipInfo>& chips, const std::string& name);

}  // namespace gpio2mqtt::pwm

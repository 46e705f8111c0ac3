// What the `pwm:` outputs need of the world, opened: the hardware channels (through a
// pwm::ChipProvider) and the state files. The outputs themselves are the bridge's devices
// (bridge/pwm_device.h), which borrow the channels through bridge::PwmPort; a software output's
// line is the LineSet's, requested after the configured lines (requested_lines()), and switched
// through the bridge's switchboard.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "gpio2mqtt/bridge/bridge.h"
#include "gpio2mqtt/bridge/pwm_device.h"
#include "gpio2mqtt/config/config.h"
#include "gpio2mqtt/pwm/pwm.h"
#include "service/counter_file.h"

namespace gpio2mqtt::service {

// Each output's on/off and last level in `pwm-<name>.state` in the state directory.
class PwmMemoryFile : public bridge::PwmMemoryStore {
 public:
  explicit PwmMemoryFile(std::string directory);
  std::optional<bridge::DimmerMemory> load(const std::string& name) override;
  void save(const std::string& name, const bridge::DimmerMemory& memory) override;

 private:
  CounterFile file_;
};

// For --check-config: throws config::ConfigError at the first hardware output whose chip or
// channel `provider` does not have. Exports nothing.
void check_pwm_chips(const config::Config& config, pwm::ChipProvider& provider);

class PwmSet : public bridge::PwmPort {
 private:
  struct Channel;
  // What a reload makes of one hardware output of the new config.
  struct Planned {
    std::optional<std::size_t> kept;          // the running channel it keeps as it is (same settings)
    std::optional<std::size_t> channel_from;  // the running channel it takes over (same chip and channel)
    std::unique_ptr<pwm::Channel> channel;    // else its channel, opened for it
  };

 public:
  // Opens every hardware output's channel: a chip or channel that is not there throws
  // config::ConfigError at the output's pwm_chip (the chips there named), one the kernel will not
  // export gpio::GpioError. Sets nothing: the outputs drive them once the bridge starts.
  PwmSet(const config::Config& config, pwm::ChipProvider* provider, bridge::Publisher& publisher);
  ~PwmSet() override;

  bridge::PwmDrive* channel(const std::string& name) override;
  bridge::PwmMemoryStore* memory() override { return memory_.get(); }

  // A reload of the `pwm:` section, in the service's order (docs/design.md, "Reloads"): what can
  // fail comes first and changes no output.
  class Next {
   public:
    Next(Next&&) noexcept;
    Next& operator=(Next&&) noexcept;
    ~Next();  // channels opened for a reload that went no further are closed (unexported)

   private:
    friend class PwmSet;
    Next() = default;
    std::vector<std::optional<Planned>> outputs;  // by index in the new config's `pwm:`; hardware ones
  };
  // Step 1, before the lines change: a channel whose output keeps its settings is kept as it is;
  // an output on a running one's chip and channel takes that channel over; the others are opened
  // (throws as the constructor). Changes no output.
  Next prepare(const config::Config& next) const;
  // The software outputs' lines of `running` (by index among its requested lines) that the LineSet
  // releases for `next`: the service switches them off first (a released line stays where it was
  // on most chips).
  static std::vector<std::size_t> released_lines(const config::Config& running, const config::Config& next);
  // Step 2, once the lines follow `next` and before the bridge makes its devices anew: the
  // channels for `next` are in place. The ones no output took stay open until finish().
  void apply(Next next, const config::Config& config);
  // Step 3, after the bridge followed: the channels no output took are switched off and
  // unexported (the kernel keeps the last duty), the removed outputs' retained states cleared.
  void finish();

 private:
  pwm::ChipProvider* provider_;
  bridge::Publisher& publisher_;
  std::uint64_t errors_ = 0;  // writes to channels that failed (logged)
  std::unique_ptr<PwmMemoryFile> memory_;
  std::vector<config::PwmOutputConfig> outputs_;  // every output, for the next reload
  std::string base_topic_;
  int qos_ = 0;
  std::vector<std::unique_ptr<Channel>> channels_;  // the hardware outputs'
  std::vector<std::unique_ptr<Channel>> retiring_;  // apply() to finish()
  std::vector<std::string> cleared_topics_;         // apply() to finish()
};

}  // namespace gpio2mqtt::service

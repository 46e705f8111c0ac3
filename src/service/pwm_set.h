// The `pwm:` outputs, opened and driven: hardware channels through a pwm::ChipProvider, software
// PWM lines through the LineSet, which requests them after the configured lines (see
// requested_lines()). The outputs' logic is bridge::PwmOutput; this is where it meets the world.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "gpio2mqtt/bridge/pwm_output.h"
#include "gpio2mqtt/config/config.h"
#include "gpio2mqtt/pwm/pwm.h"
#include "service/counter_file.h"
#include "service/line_set.h"

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

class PwmSet {
 private:
  struct Output;
  // What a reload makes of one output of the new config.
  struct Planned {
    std::optional<std::size_t> kept;          // the running output it continues as it is
    std::optional<std::size_t> level_from;    // the running output of its name, whose level it goes on at
    std::optional<std::size_t> channel_from;  // the running output whose hardware channel it takes over
    std::unique_ptr<pwm::Channel> channel;    // else, a hardware output's channel, opened for it
  };

 public:
  // Opens every hardware channel: a chip or channel that is not there throws config::ConfigError
  // at the output's pwm_chip (the chips there named), one the kernel will not export
  // gpio::GpioError. Each output goes to its initial level at once.
  PwmSet(const config::Config& config, pwm::ChipProvider* provider, LineSet& lines, bridge::Publisher& publisher,
         MonoTime now);
  ~PwmSet();

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
    std::vector<Planned> outputs;  // by index in the new config's `pwm:`
    std::vector<bool> line_kept;   // by running output: a software one whose line the LineSet keeps
  };
  // Step 1, before the lines change: an output with the same settings (and topics) is kept as it
  // runs; a hardware output on a running one's chip and channel takes that channel over; the
  // channels of the others are opened (throws as the constructor). Changes no output.
  Next prepare(const config::Config& next) const;
  // Step 2, just before the LineSet releases what `next` does not keep: the software outputs
  // whose line goes are switched off (a released line stays where it was on most chips).
  void before_lines_change(const Next& next);
  // The lines did not change after all (the reload failed there): every output is driven again.
  void lines_unchanged(MonoTime now);
  // Step 3, once the lines follow `config`: kept outputs go on (level, fade, channel exported;
  // a software one on its line's new index); changed ones go on at their level with their new
  // settings; new ones start at `initial`; removed ones are switched off, their channel
  // unexported and their retained state cleared.
  void apply(Next next, const config::Config& config, MonoTime now);

  bool empty() const { return outputs_.empty(); }
  // The wildcards the bridge subscribes when it has lines: the outputs' set and get topics.
  static std::vector<std::string> subscriptions(const config::Config& config);
  bool on_message(std::string_view topic, std::string_view payload, bool retained, MonoTime now);
  void on_connected();
  void on_disconnected(MonoTime now);
  void on_time(MonoTime now);
  std::optional<MonoTime> next_deadline() const;
  // The output named `name`, if configured.
  bridge::PwmOutput* find(std::string_view name);
  const bridge::PwmOutput* find(std::string_view name) const;
  std::vector<const bridge::PwmOutput*> outputs() const;
  std::uint64_t commands_applied() const;
  std::uint64_t commands_rejected() const;
  // Writes to channels and lines that failed (logged).
  std::uint64_t errors() const { return errors_; }

 private:
  std::unique_ptr<Output> make_output(const config::PwmOutputConfig& output_config,
                                      std::unique_ptr<pwm::Channel> channel, std::size_t& software_index,
                                      const config::Config& config, MonoTime now, std::optional<int> level);

  pwm::ChipProvider* provider_;
  LineSet& lines_;
  bridge::Publisher& publisher_;
  std::string base_topic_;
  int qos_ = 0;
  std::uint64_t errors_ = 0;
  std::uint64_t retired_applied_ = 0, retired_rejected_ = 0;  // of outputs a reload removed or replaced
  std::unique_ptr<PwmMemoryFile> memory_;
  std::vector<std::unique_ptr<Output>> outputs_;
};

}  // namespace gpio2mqtt::service

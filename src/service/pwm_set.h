// The `pwm:` outputs, opened and driven: hardware channels through a pwm::ChipProvider, software
// PWM lines through the LineSet, which requests them after the configured lines (see
// requested_lines()). The outputs' logic is bridge::PwmOutput; this is where it meets the world.
#pragma once

#include <memory>
#include <optional>
#include <string>
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
 public:
  // Opens every hardware channel: a chip or channel that is not there throws config::ConfigError
  // at the output's pwm_chip (the chips there named), one the kernel will not export
  // gpio::GpioError. Each output goes to its initial level at once.
  PwmSet(const config::Config& config, pwm::ChipProvider* provider, LineSet& lines, bridge::Publisher& publisher,
         MonoTime now);
  ~PwmSet();

  bool empty() const { return outputs_.empty(); }
  // The wildcards the bridge subscribes when it has lines: the outputs' set and get topics.
  std::vector<std::string> subscriptions() const;
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
  struct Output;
  std::string base_topic_;
  std::uint64_t errors_ = 0;
  std::unique_ptr<PwmMemoryFile> memory_;
  std::vector<std::unique_ptr<Output>> outputs_;
};

}  // namespace gpio2mqtt::service

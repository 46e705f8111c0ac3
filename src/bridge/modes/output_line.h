// An output (direction: output): `set` takes ON/OFF/TOGGLE and pulses, a momentary output makes
// every ON a pulse, and the broker's loss takes it to its on_disconnect level. Every switch goes
// through the switchboard (interlocks, dead times).
#pragma once

#include <optional>

#include "bridge/modes/mode_base.h"
#include "gpio2mqtt/bridge/command.h"
#include "gpio2mqtt/bridge/switchboard.h"

namespace gpio2mqtt::bridge {

class OutputLine : public ModeBase, public Switchboard::Output {
 public:
  OutputLine(std::size_t line, const config::LineConfig& settings, ModeHost& host);

  void rebind(std::size_t line, const config::LineConfig& settings, const std::string& base_topic) override;
  void start(MonoTime now, bool kernel_debounces) override;
  // A cover's output takes none: the cover alone drives it (its state is still published).
  bool takes_commands() const override { return settings().cover.empty(); }
  Refusal check_command(std::string_view payload) const override;
  void on_command(std::string_view payload, MonoTime now) override;
  void publish_state(MonoTime now) override;
  void on_time(MonoTime now) override;
  std::optional<MonoTime> deadline() const override { return pulse_end_; }
  void on_disconnected(MonoTime now) override;
  bool level() const override;

  // Drives the output as an MQTT command would (through its interlock, as a momentary output);
  // returns an error text, empty on success.
  std::string apply(const Command& command, MonoTime now);
  // on, off, toggle, or pulse (on for the length, then back): as the commands of that name.
  std::string act(const Action& action, MonoTime now) override;

  // Switchboard::Output
  void on_driven() override;
  void cancel_pulse() override;
  void start_pending_pulse(MonoTime now) override;

  static std::vector<std::pair<ComponentId, JsonObject>> components(const config::Config& config,
                                                                    const config::LineConfig& line);

 private:
  Switchboard& switchboard() const { return host().switchboard(); }

  std::optional<MonoTime> pulse_end_;
  bool pulse_revert_ = false;
  std::optional<Nanos> pulse_length_;  // of a pulse that starts when the line reaches its level
};

}  // namespace gpio2mqtt::bridge

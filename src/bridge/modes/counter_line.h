// mode: counter: an input's pulses counted (S0 meters, reed contacts), its count, total and rate
// published as retained plain numbers at most once per publish_interval, the count kept in the
// state directory; `set` takes a total or `reset`.
#pragma once

#include <optional>

#include "bridge/modes/mode_base.h"
#include "gpio2mqtt/bridge/counter.h"

namespace gpio2mqtt::bridge {

class CounterLine : public ModeBase {
 public:
  using ModeBase::ModeBase;

  void start(MonoTime now, bool kernel_debounces) override;
  void inherit(LineMode& predecessor) override;
  void retire() override;
  void on_edge(const gpio::EdgeEvent& event) override;
  bool takes_commands() const override { return true; }
  Refusal check_command(std::string_view payload) const override;
  void on_command(std::string_view payload, MonoTime now) override;
  void publish_state(MonoTime now) override;
  void on_time(MonoTime now) override;
  std::optional<MonoTime> deadline() const override;
  void on_stop(MonoTime now) override;
  void resync() override;
  bool level() const override { return level_; }

  CounterReading reading() const { return counter_->reading(); }
  // Sets the count, stores it at once and publishes it.
  void set_count(std::uint64_t count, MonoTime now);

  static std::vector<std::pair<ComponentId, JsonObject>> components(const config::Config& config,
                                                                    const config::LineConfig& line);

 private:
  CounterSettings counter_settings(bool kernel_debounces) const;
  void publish_reading(const CounterReading& reading) const;
  void store(std::uint64_t count) const;

  bool level_ = false;
  std::optional<Counter> counter_;
};

}  // namespace gpio2mqtt::bridge

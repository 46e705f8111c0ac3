// mode: level (an input's default): its retained state and an event per edge, debounced in
// software unless the kernel debounces it.
#pragma once

#include "bridge/modes/mode_base.h"
#include "gpio2mqtt/bridge/debounce.h"

namespace gpio2mqtt::bridge {

class InputLine : public ModeBase {
 public:
  using ModeBase::ModeBase;

  void start(MonoTime now, bool kernel_debounces) override;
  void on_edge(const gpio::EdgeEvent& event) override;
  void publish_state(MonoTime now) override;
  void on_time(MonoTime now) override;
  std::optional<MonoTime> deadline() const override;
  void resync() override;
  bool level() const override { return level_; }

  static std::vector<std::pair<ComponentId, JsonObject>> components(const config::Config& config,
                                                                    const config::LineConfig& line);

 protected:
  // The debounced level changed (the state is out already); a button sees its gestures here.
  virtual void on_change(const Debouncer::Report& /*report*/) {}
  // The level was read directly (start, resync): what was under way is forgotten.
  virtual void on_reset(bool /*level*/) {}

 private:
  void publish_event(const Debouncer::Report& report);

  bool level_ = false;
  Debouncer debounce_{Nanos(0), false};
  std::uint64_t seq_ = 0;
  std::uint64_t kernel_line_seqno_ = 0;  // of the last edge seen, 0 when the backend has none
  std::uint64_t kernel_global_seqno_ = 0;
};

}  // namespace gpio2mqtt::bridge

// mode: button: an input's level as for mode: level, and the gestures of a push button (single,
// double, triple, long, long_release) on its action topic.
#pragma once

#include <optional>

#include "bridge/modes/input_line.h"
#include "gpio2mqtt/bridge/button.h"

namespace gpio2mqtt::bridge {

class ButtonLine : public InputLine {
 public:
  using InputLine::InputLine;

  void on_time(MonoTime now) override;
  std::optional<MonoTime> deadline() const override;

  static std::vector<std::pair<ComponentId, JsonObject>> components(const config::Config& config,
                                                                    const config::LineConfig& line);

 protected:
  void on_change(const Debouncer::Report& report) override;
  void on_reset(bool level) override;

 private:
  void publish_action(Gesture gesture) const;

  std::optional<Button> button_;
};

}  // namespace gpio2mqtt::bridge

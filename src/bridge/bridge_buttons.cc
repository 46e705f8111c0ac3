// The Bridge's buttons (inputs in mode: button): their gestures on the action topic.
#include "gpio2mqtt/bridge/bridge.h"

namespace gpio2mqtt::bridge {

ButtonSettings Bridge::button_settings(std::size_t index) const {
  const config::ButtonConfig& c = lines_[index].config->button;
  ButtonSettings settings;
  settings.window = c.window;
  settings.long_press = c.long_press;
  settings.gestures = c.gestures;
  return settings;
}

void Bridge::publish_action(const Line& line, Gesture gesture) {
  // Neither retained nor queued while disconnected: a gesture asks for something now, and a
  // light switched by a press from minutes ago would surprise more than a press lost.
  send({line.topics.action, std::string(gesture_name(gesture)), config_->mqtt.qos, false}, false);
}

void Bridge::button_change(Line& line, const Debouncer::Report& report) {
  for (Gesture gesture : line.button->on_change(report.active, report.timestamp)) publish_action(line, gesture);
}

void Bridge::button_time(Line& line, MonoTime now) {
  if (auto gesture = line.button->on_time(now)) publish_action(line, *gesture);
}

}  // namespace gpio2mqtt::bridge

#include "bridge/modes/button_line.h"

#include "gpio2mqtt/config/entity.h"

namespace gpio2mqtt::bridge {

void ButtonLine::on_reset(bool level) {
  if (button_) return button_->reset(level);
  button_.emplace(settings().button, level);
}

void ButtonLine::on_change(const Debouncer::Report& report) {
  for (Gesture gesture : button_->on_change(report.active, report.timestamp)) publish_action(gesture, report.timestamp);
}

void ButtonLine::on_time(MonoTime now) {
  InputLine::on_time(now);
  if (auto gesture = button_->on_time(now)) publish_action(*gesture, now);
}

std::optional<MonoTime> ButtonLine::deadline() const {
  auto a = InputLine::deadline(), b = button_ ? button_->deadline() : std::nullopt;
  if (!a) return b;
  if (!b) return a;
  return std::min(*a, *b);
}

void ButtonLine::publish_action(Gesture gesture, MonoTime at) const {
  // Neither retained nor queued while disconnected: a gesture asks for something now, and a
  // light switched by a press from minutes ago would surprise more than a press lost.
  host().triggered(line(), {settings().name, std::nullopt, gesture}, at);  // before the broker, as in InputLine
  host().send({topics().action, std::string(gesture_name(gesture)), qos(), false}, false);
}

}  // namespace gpio2mqtt::bridge

namespace gpio2mqtt::bridge {

// Its level as for mode: level, and its gestures as an event entity: automations trigger on its
// event types without a template. The action topic carries the bare gesture name (as other
// bridges' action topics do), which the value_template wraps in the JSON the event platform expects.
std::vector<std::pair<ComponentId, JsonObject>> ButtonLine::components(const config::Config& config,
                                                                       const config::LineConfig& line) {
  auto components = InputLine::components(config, line);
  auto topics = make_topics(config.mqtt.base_topic, line.name);
  std::string id = config::entity_object_ids(line).back();
  std::string name = (line.entity.name.empty() ? line.name : line.entity.name) + " action";
  std::string types;
  for (config::Gesture g : line.button.gestures) types += (types.empty() ? "" : ",") + json_string(gesture_name(g));
  JsonObject event = entity_component(config, line, "event", id, name, topics.action);
  event.add_raw("event_types", "[" + types + "]")
      .add("device_class", "button")
      .add("value_template", R"({"event_type":"{{ value }}"})");
  components.push_back({{id, "event"}, event});
  return components;
}

}  // namespace gpio2mqtt::bridge

#include "bridge/binding_switch.h"

#include <spdlog/spdlog.h>

#include "gpio2mqtt/bridge/command.h"

namespace gpio2mqtt::bridge {

BindingTopics binding_topics(const std::string& base_topic, const std::string& binding) {
  std::string prefix = base_topic + "/binding/" + binding + "/";
  return {prefix + "set", prefix + "state"};
}

BindingSwitch::BindingSwitch(std::string name, Bindings& bindings, ModeHost& host)
    : name_(std::move(name)),
      topics_(binding_topics(host.config().mqtt.base_topic, name_)),
      bindings_(bindings),
      host_(host) {}

Refusal BindingSwitch::check_command(std::string_view payload) const {
  auto parsed = parse_command(payload);
  if (auto* error = std::get_if<std::string>(&parsed)) return *error;
  const Command& command = std::get<Command>(parsed);
  if (command.pulse) return "a binding is switched ON or OFF, not pulsed";
  return std::nullopt;
}

void BindingSwitch::on_command(std::string_view payload, MonoTime now) {
  const Command command = std::get<Command>(parse_command(payload));
  set(command.kind == Command::Kind::kToggle ? !bindings_.enabled(name_) : command.active, now, "over MQTT");
}

void BindingSwitch::set(bool enabled, MonoTime now, const char* via) {
  if (enabled != bindings_.enabled(name_))
    spdlog::info("binding {}: switched {} {}", name_, enabled ? "on" : "off", via);
  bindings_.set_enabled(name_, enabled);
  ++host_.tally().commands_applied;
  publish_state(now);
}

void BindingSwitch::publish_state(MonoTime /*now*/) {
  host_.send({topics_.state, state_word(bindings_.enabled(name_)), host_.config().mqtt.qos, true}, false);
}

}  // namespace gpio2mqtt::bridge

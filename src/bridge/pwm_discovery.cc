// Home Assistant components of the `pwm:` outputs (see discovery.h).
#include <algorithm>

#include "gpio2mqtt/bridge/bridge.h"
#include "gpio2mqtt/bridge/discovery.h"

namespace gpio2mqtt::bridge {

std::vector<std::pair<ComponentId, JsonObject>> pwm_components(const config::Config& config,
                                                               const config::PwmOutputConfig& output) {
  if (output.hidden) return {};
  std::string id = output.name;
  std::replace(id.begin(), id.end(), '.', '_');
  LineTopics topics = make_topics(config.mqtt.base_topic, output.name);
  bool fan = output.component == config::PwmOutputConfig::Component::kFan;
  const char* platform = fan ? "fan" : "light";
  JsonObject component;
  component.add("p", platform)
      .add("name", output.entity_name.empty() ? output.name : output.entity_name)
      .add("unique_id", config.homeassistant.device_id + "_" + id);
  if (!output.icon.empty()) component.add("icon", output.icon);
  component.add("command_topic", topics.set).add("state_topic", topics.state).add_raw("retain", "false");
  if (fan) {
    // The state is JSON; a fan reads its two parts with templates and sends plain words and numbers.
    component.add("state_value_template", "{{ value_json.state }}")
        .add("payload_on", "ON")
        .add("payload_off", "OFF")
        .add("percentage_command_topic", topics.set)
        .add("percentage_state_topic", topics.state)
        .add("percentage_value_template", "{{ value_json.percentage }}");
  } else {
    component.add("schema", "json").add_raw("supported_color_modes", "[\"brightness\"]");
  }
  return {{{id, platform}, component}};
}

}  // namespace gpio2mqtt::bridge

#include "gpio2mqtt/bridge/discovery.h"

#include <fmt/format.h>

#include <algorithm>
#include <optional>

#include "bridge/binding_switch.h"
#include "gpio2mqtt/bridge/command.h"
#include "gpio2mqtt/bridge/device.h"
#include "gpio2mqtt/bridge/line_mode.h"
#include "gpio2mqtt/bridge/sensor.h"
#include "gpio2mqtt/config/entity.h"
#include "gpio2mqtt/version.h"

namespace gpio2mqtt::bridge {
namespace {

// The string fields of a flat JSON object like {"status":"On"}; nullopt for anything else.
std::optional<std::vector<std::pair<std::string, std::string>>> flat_json(std::string_view text) {
  std::vector<std::pair<std::string, std::string>> fields;
  std::size_t at = 0;
  auto blanks = [&] {
    while (at < text.size() && (text[at] == ' ' || text[at] == '\t' || text[at] == '\n' || text[at] == '\r')) ++at;
  };
  auto expect = [&](char c) {
    blanks();
    if (at >= text.size() || text[at] != c) return false;
    ++at;
    return true;
  };
  // Strings without escapes only: a payload that needs them gets the plain comparison.
  auto string = [&]() -> std::optional<std::string> {
    if (!expect('"')) return std::nullopt;
    auto end = text.find('"', at);
    if (end == std::string_view::npos) return std::nullopt;
    std::string value(text.substr(at, end - at));
    if (value.find('\\') != std::string::npos) return std::nullopt;
    at = end + 1;
    return value;
  };
  if (!expect('{')) return std::nullopt;
  do {
    auto key = string();
    if (!key || !expect(':')) return std::nullopt;
    auto value = string();
    if (!value) return std::nullopt;
    fields.emplace_back(*key, *value);
  } while (expect(','));
  if (!expect('}')) return std::nullopt;
  blanks();
  if (at != text.size()) return std::nullopt;
  return fields;
}

bool is_template_key(std::string_view key) {
  if (key.empty() || std::isdigit(static_cast<unsigned char>(key.front()))) return false;
  for (char c : key)
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '_') return false;
  return true;
}

}  // namespace

std::string json_string(std::string_view text) {
  std::string out = "\"";
  for (char c : text) {
    switch (c) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\t':
        out += "\\t";
        break;
      case '\r':
        out += "\\r";
        break;
      default:
        if (static_cast<unsigned char>(c) < 0x20) out += fmt::format("\\u{:04x}", static_cast<unsigned char>(c));
        else out += c;
    }
  }
  return out + "\"";
}

JsonObject& JsonObject::add(std::string_view key, std::string_view text) { return add_raw(key, json_string(text)); }

JsonObject& JsonObject::add(std::string_view key, const JsonObject& object) { return add_raw(key, object.str()); }

JsonObject& JsonObject::add_raw(std::string_view key, std::string raw) {
  fields_.emplace_back(std::string(key), std::move(raw));
  return *this;
}

std::string JsonObject::str() const {
  std::string out = "{";
  for (const auto& [key, value] : fields_) out += (out.size() > 1 ? "," : "") + json_string(key) + ":" + value;
  return out + "}";
}

std::string device_topic(const config::HomeAssistantConfig& ha) {
  return ha.prefix + "/device/" + ha.device_id + "/config";
}

JsonObject entity_component(const config::Config& config, const config::LineConfig& line, std::string_view platform,
                            const std::string& id, const std::string& name, const std::string& state_topic) {
  JsonObject component;
  component.add("p", platform).add("name", name).add("unique_id", config.homeassistant.device_id + "_" + id);
  if (!state_topic.empty()) component.add("state_topic", state_topic);
  if (!line.entity.icon.empty()) component.add("icon", line.entity.icon);
  return component;
}

std::vector<std::pair<ComponentId, JsonObject>> line_components(const config::Config& config,
                                                                const config::LineConfig& line) {
  if (line.entity.hidden) return {};
  return mode_kind(line).components(config, line);
}

// Each binding a switch in the config category: switched off, it stays off until switched on.
std::vector<std::pair<ComponentId, JsonObject>> binding_components(const config::Config& config) {
  std::vector<std::pair<ComponentId, JsonObject>> out;
  for (const auto& binding : config.bindings) {
    std::string id = config::binding_object_id(binding);
    auto topics = binding_topics(config.mqtt.base_topic, binding.name);
    JsonObject component;
    component.add("p", "switch")
        .add("name", "Binding " + binding.name)
        .add("unique_id", config.homeassistant.device_id + "_" + id)
        .add("state_topic", topics.state)
        .add("command_topic", topics.set)
        .add_raw("retain", "false")
        .add("payload_on", state_word(true))
        .add("payload_off", state_word(false))
        .add("entity_category", "config")
        .add("icon", "mdi:link-variant");
    out.push_back({{id, "switch"}, component});
  }
  return out;
}

std::vector<ComponentId> announced_components(const config::Config& config) {
  std::vector<ComponentId> out;
  for (const auto& line : config.lines)
    for (auto& [id, component] : line_components(config, line)) out.push_back(id);
  for (auto& [id, component] : binding_components(config)) out.push_back(id);
  for (const auto& sensor : config.sensors)
    for (auto& [id, component] : Sensor::components(config, sensor)) out.push_back(id);
  for (const auto& output : config.pwm)
    for (auto& [id, component] : pwm_components(config, output)) out.push_back(id);
  for (const DeviceKind& kind : device_kinds())
    for (auto& [id, component] : kind.components(config)) out.push_back(id);
  return out;
}

JsonObject availability(const config::StatusConfig& status) {
  JsonObject entry;
  entry.add("topic", status.topic);
  auto online = flat_json(status.online), offline = flat_json(status.offline);
  if (online && offline) {
    for (const auto& field : *online) {
      const auto& [key, value] = field;
      auto other =
          std::find_if(offline->begin(), offline->end(), [&](const auto& f) { return f.first == field.first; });
      if (other == offline->end() || other->second == value || !is_template_key(key)) continue;
      return entry.add("value_template", "{{ value_json." + key + " }}")
          .add("payload_available", value)
          .add("payload_not_available", other->second);
    }
  }
  return entry.add("payload_available", status.online).add("payload_not_available", status.offline);
}

std::string device_payload(const config::Config& config, const std::vector<ComponentId>& removed) {
  const auto& ha = config.homeassistant;
  JsonObject device;
  device.add_raw("ids", "[" + json_string(ha.device_id) + "]")
      .add("name", ha.device_name)
      .add("mf", "gpio2mqtt")
      .add("mdl", "GPIO to MQTT bridge")
      .add("sw", kVersion);
  JsonObject origin;
  origin.add("name", "gpio2mqtt").add("sw", kVersion).add("url", kProjectUrl);
  JsonObject components;
  auto is_removed = [&](const std::string& id) {
    return std::any_of(removed.begin(), removed.end(), [&](const ComponentId& gone) { return gone.id == id; });
  };
  // A line that changed platform keeps its id: its old component goes first, the new one next time.
  for (const auto& line : config.lines)
    for (auto& [id, component] : line_components(config, line))
      if (!is_removed(id.id)) components.add(id.id, component);
  for (auto& [id, component] : binding_components(config))
    if (!is_removed(id.id)) components.add(id.id, component);
  for (const auto& sensor : config.sensors)
    for (auto& [id, component] : Sensor::components(config, sensor))
      if (!is_removed(id.id)) components.add(id.id, component);
  for (const auto& output : config.pwm)
    for (auto& [id, component] : pwm_components(config, output))
      if (!is_removed(id.id)) components.add(id.id, component);
  for (const DeviceKind& kind : device_kinds())
    for (auto& [id, component] : kind.components(config))
      if (!is_removed(id.id)) components.add(id.id, component);
  for (const auto& gone : removed) components.add(gone.id, JsonObject().add("p", gone.platform));
  return JsonObject()
      .add("dev", device)
      .add("o", origin)
      .add_raw("availability", "[" + availability(config.mqtt.status).str() + "]")
      .add_raw("qos", std::to_string(config.mqtt.qos))
      .add("cmps", components)
      .str();
}

}  // namespace gpio2mqtt::bridge

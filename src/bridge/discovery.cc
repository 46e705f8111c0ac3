#include "gpio2mqtt/bridge/discovery.h"

#include <fmt/format.h>

#include <algorithm>
#include <optional>

#include "gpio2mqtt/bridge/bridge.h"
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

namespace {

// A counter's unit as Home Assistant classes it, and the unit of its rate (the unit per hour).
struct MeterUnits {
  std::string_view device_class;       // of the total; empty: none
  std::string_view rate_device_class;  // of the rate
  std::string rate_unit;
};

MeterUnits meter_units(const config::LineConfig& line) {
  const std::string& unit = line.counter.unit;
  std::string device_class = line.entity.device_class;
  if (device_class.empty()) {
    if (unit == "Wh" || unit == "kWh" || unit == "MWh" || unit == "MJ" || unit == "GJ") device_class = "energy";
    else if (unit == "L" || unit == "m³" || unit == "gal" || unit == "ft³") device_class = "water";
  }
  if (device_class == "energy") {
    // kWh per hour is kW: the rate is the power.
    if (unit == "Wh" || unit == "kWh" || unit == "MWh") return {"energy", "power", unit.substr(0, unit.size() - 1)};
    return {"energy", "", unit + "/h"};
  }
  if (device_class == "water" || device_class == "gas") {
    bool flow = unit == "L" || unit == "m³" || unit == "gal";  // L/h, m³/h, gal/h are flow units
    return {device_class == "water" ? "water" : "gas", flow ? "volume_flow_rate" : "", unit + "/h"};
  }
  return {"", "", unit + "/h"};
}

JsonObject entity(const config::Config& config, const config::LineConfig& line, std::string_view platform,
                  const std::string& id, const std::string& name, const std::string& state_topic) {
  JsonObject component;
  component.add("p", platform).add("name", name).add("unique_id", config.homeassistant.device_id + "_" + id);
  if (!state_topic.empty()) component.add("state_topic", state_topic);
  if (!line.entity.icon.empty()) component.add("icon", line.entity.icon);
  return component;
}

// The total, a meter Home Assistant's energy dashboard takes (total_increasing: a decrease, as
// after `reset`, is read as a new meter cycle), and the rate.
std::vector<std::pair<ComponentId, JsonObject>> counter_components(const config::Config& config,
                                                                   const config::LineConfig& line) {
  auto topics = make_topics(config.mqtt.base_topic, line.name);
  std::string id = config::entity_object_id(line);
  std::string name = line.entity.name.empty() ? line.name : line.entity.name;
  MeterUnits units = meter_units(line);
  JsonObject total = entity(config, line, "sensor", id, name, topics.total);
  total.add("unit_of_measurement", line.counter.unit).add("state_class", "total_increasing");
  if (!units.device_class.empty()) total.add("device_class", units.device_class);
  JsonObject rate = entity(config, line, "sensor", id + "_rate", name + " rate", topics.rate);
  rate.add("unit_of_measurement", units.rate_unit).add("state_class", "measurement");
  if (!units.rate_device_class.empty()) rate.add("device_class", units.rate_device_class);
  return {{{id, "sensor"}, total}, {{id + "_rate", "sensor"}, rate}};
}

// A button's gestures, an event entity: automations trigger on its event types without a
// template. The action topic carries the bare gesture name (as other bridges' action topics do),
// which the value_template wraps in the JSON the event platform expects.
std::pair<ComponentId, JsonObject> button_component(const config::Config& config, const config::LineConfig& line) {
  auto topics = make_topics(config.mqtt.base_topic, line.name);
  std::string id = config::entity_object_ids(line).back();
  std::string name = (line.entity.name.empty() ? line.name : line.entity.name) + " action";
  std::string types;
  for (config::Gesture g : line.button.gestures) types += (types.empty() ? "" : ",") + json_string(gesture_name(g));
  JsonObject event = entity(config, line, "event", id, name, topics.action);
  event.add_raw("event_types", "[" + types + "]")
      .add("device_class", "button")
      .add("value_template", R"({"event_type":"{{ value }}"})");
  return {{id, "event"}, event};
}

}  // namespace

std::vector<std::pair<ComponentId, JsonObject>> line_components(const config::Config& config,
                                                                const config::LineConfig& line) {
  if (line.entity.hidden) return {};
  if (line.mode == config::Mode::kCounter) return counter_components(config, line);
  auto topics = make_topics(config.mqtt.base_topic, line.name);
  auto platform = config::entity_platform(line);
  std::string id = config::entity_object_id(line);
  std::string name = line.entity.name.empty() ? line.name : line.entity.name;
  if (platform == "button") {  // no state: a press is one pulse of the momentary output
    JsonObject button = entity(config, line, platform, id, name, "");
    button.add("command_topic", topics.set).add("payload_press", state_word(true)).add_raw("retain", "false");
    if (!line.entity.device_class.empty()) button.add("device_class", line.entity.device_class);
    return {{{id, std::string(platform)}, button}};
  }
  JsonObject component = entity(config, line, platform, id, name, topics.state);
  if (platform == "switch") {
    // Never retained: a retained command would switch the relay again at every reconnect, and the
    // bridge refuses retained commands anyway.
    component.add("command_topic", topics.set).add_raw("retain", "false");
  }
  component.add("payload_on", state_word(true)).add("payload_off", state_word(false));
  if (!line.entity.device_class.empty()) component.add("device_class", line.entity.device_class);
  if (line.mode == config::Mode::kButton)
    return {{{id, std::string(platform)}, component}, button_component(config, line)};
  return {{{id, std::string(platform)}, component}};
}

std::vector<ComponentId> announced_components(const config::Config& config) {
  std::vector<ComponentId> out;
  for (const auto& line : config.lines)
    for (auto& [id, component] : line_components(config, line)) out.push_back(id);
  for (const auto& output : config.pwm)
    for (auto& [id, component] : pwm_components(config, output)) out.push_back(id);
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
  for (const auto& output : config.pwm)
    for (auto& [id, component] : pwm_components(config, output))
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

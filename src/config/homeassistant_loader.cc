// The `homeassistant:` section and each line's `homeassistant:` key (MQTT discovery).
#include <algorithm>
#include <set>

#include "gpio2mqtt/config/entity.h"
#include "util/text.h"
#include "yaml_reader.h"

namespace gpio2mqtt::config {
namespace {

bool is_discovery_id(std::string_view id) {
  return !id.empty() && id.size() <= 64 && std::all_of(id.begin(), id.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '-';
  });
}

// Home Assistant takes icons as "prefix:name", e.g. mdi:lightbulb.
bool is_icon(std::string_view icon) {
  auto colon = icon.find(':');
  if (colon == std::string_view::npos || colon == 0 || colon + 1 == icon.size()) return false;
  return std::all_of(icon.begin(), icon.end(),
                     [](char c) {
                       return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_' || c == ':';
                     }) &&
         std::count(icon.begin(), icon.end(), ':') == 1;
}

std::string text(const YamlReader& r, const YAML::Node& node, const std::string& what) {
  std::string value = r.string(node, what);
  if (value.empty() || value.size() > 255 || !is_mqtt_utf8(value))
    r.fail(node, what + ": expected 1 to 255 characters of text without control characters");
  return value;
}

std::string joined(const std::vector<std::string_view>& names) {
  std::string out;
  for (auto name : names) out += (out.empty() ? "" : ", ") + std::string(name);
  return out;
}

}  // namespace

HomeAssistantConfig load_homeassistant(const YamlReader& r, const YAML::Node& node, const YAML::Node& mqtt,
                                       const Host& host) {
  HomeAssistantConfig ha;
  ha.device_name = host.name;
  // {hostname} and {machine_id}, as in the mqtt section; any other placeholder is a mistake.
  auto expand = [&](const YAML::Node& value, const std::string& what) {
    auto expanded = expand_placeholders(r.string(value, what), host.name, host.machine_id);
    if (!expanded.unknown.empty()) r.fail(value, what + ": unknown placeholder '" + expanded.unknown + "'");
    return expanded.text;
  };
  // As written: "gpio2mqtt-{hostname}" stays the same when the host is renamed.
  ha.device_id_seed = mqtt && mqtt.IsMap() && mqtt["client_id"] && mqtt["client_id"].IsScalar()
                          ? mqtt["client_id"].Scalar()
                          : "gpio2mqtt-{hostname}";
  if (!node) return ha;
  r.expect_map(node, "homeassistant",
               {"discovery", "prefix", "status_topic", "device_name", "device_id", "announce_delay"});
  if (node["discovery"]) ha.discovery = r.boolean(node["discovery"], "homeassistant.discovery");
  auto topic = [&](const char* key) {
    std::string value = expand(node[key], std::string("homeassistant.") + key);
    if (!is_valid_publish_topic(value))
      r.fail(node[key], std::string("homeassistant.") + key + ": '" + value +
                            "' is not a usable topic (no '+', '#', NUL or empty levels)");
    return value;
  };
  if (node["prefix"]) ha.prefix = topic("prefix");
  if (node["status_topic"]) ha.status_topic = topic("status_topic");
  if (node["device_name"]) {
    text(r, node["device_name"], "homeassistant.device_name");  // its form, placeholders and all
    ha.device_name = expand(node["device_name"], "homeassistant.device_name");
  }
  if (node["device_id"]) {
    ha.device_id = r.string(node["device_id"], "homeassistant.device_id");
    if (!is_discovery_id(ha.device_id))
      r.fail(node["device_id"], "homeassistant.device_id: expected 1 to 64 letters, digits, '_' or '-'");
  }
  if (node["announce_delay"]) {
    auto delay = r.duration(node["announce_delay"], "homeassistant.announce_delay");
    if (delay > std::chrono::seconds(600)) r.fail(node["announce_delay"], "homeassistant.announce_delay: at most 600s");
    ha.announce_delay = std::chrono::ceil<std::chrono::seconds>(delay);
  }
  return ha;
}

LineEntityConfig load_line_entity(const YamlReader& r, const YAML::Node& node, const LineConfig& line) {
  const std::string what = "line '" + line.name + "'.homeassistant";
  LineEntityConfig entity;
  if (node.IsScalar()) {
    entity.hidden = !r.boolean(node, what + " (false hides the line, or name, device_class, icon)");
    return entity;
  }
  r.expect_map(node, what, {"name", "device_class", "icon"});
  if (node["name"]) entity.name = text(r, node["name"], what + ".name");
  if (node["icon"]) {
    entity.icon = r.string(node["icon"], what + ".icon");
    if (!is_icon(entity.icon)) r.fail(node["icon"], what + ".icon: expected an icon like mdi:lightbulb");
  }
  if (node["device_class"]) {
    entity.device_class = r.string(node["device_class"], what + ".device_class");
    auto platform = entity_platform(line);
    const auto& known = device_classes(platform);
    if (std::find(known.begin(), known.end(), entity.device_class) == known.end())
      r.fail(node["device_class"], what + ".device_class: '" + entity.device_class + "' is not a device class of " +
                                       std::string(platform) + "; expected one of: " + joined(known));
  }
  return entity;
}

// Two lines whose names differ only in '.' and '_' would share a discovery id. Home Assistant
// shows an entity as "<device> <entity>" and warns about names that repeat the device's.
void check_entities(Config& config) {
  const auto& ha = config.homeassistant;
  if (!ha.discovery) return;
  std::set<std::string> ids;
  for (const auto& line : config.lines) {
    for (const std::string& id : entity_object_ids(line))
      if (!ids.insert(id).second)
        throw ConfigError(line.where, "line '" + line.name + "': its Home Assistant id '" + id +
                                          "' is another line's too ('.' becomes '_'; a counter adds <id>_rate, a "
                                          "button <id>_action); rename one of them");
    const std::string& name = line.entity.name.empty() ? line.name : line.entity.name;
    bool repeats = name.size() > ha.device_name.size() &&
                   ascii_lower(name).rfind(ascii_lower(ha.device_name), 0) == 0 &&
                   std::string_view(" _-").find(name[ha.device_name.size()]) != std::string_view::npos;
    if (!line.entity.hidden && repeats)
      config.warnings.push_back(line.where.str() + ": line '" + line.name + "': Home Assistant shows it as '" +
                                ha.device_name + " " + name + "': leave the device's name out of the entity's");
  }
  for (const auto& binding : config.bindings)
    if (std::string id = binding_object_id(binding); !ids.insert(id).second)
      throw ConfigError(binding.where, "binding '" + binding.name + "': its Home Assistant id '" + id +
                                           "' is taken (by a line or another binding: '.' becomes '_'); rename it");
  for (const auto& cover : config.covers)
    if (std::string id = cover_object_id(cover); !ids.insert(id).second)
      throw ConfigError(cover.where, "cover '" + cover.name + "': its Home Assistant id '" + id +
                                         "' is taken (by a line or a binding: '.' becomes '_'); rename it");
  for (const auto& sensor : config.sensors)
    for (const std::string& id : sensor_object_ids(sensor))
      if (!ids.insert(id).second)
        throw ConfigError(sensor.where, "sensor '" + sensor.name + "': its Home Assistant id '" + id +
                                            "' is another line's or sensor's too ('.' becomes '_'; a threshold adds "
                                            "<id>_<threshold>); rename one of them");
}

}  // namespace gpio2mqtt::config

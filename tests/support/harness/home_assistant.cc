#include "home_assistant.h"

#include <algorithm>
#include <regex>
#include <set>
#include <tuple>

#include "util/json.h"

namespace gpio2mqtt::testing {
namespace {

// What Home Assistant's discovery expands (homeassistant/components/mqtt/abbreviations.py): the
// root and component keys, the device's and the origin's.
const std::map<std::string, std::string> kAbbreviations{{"avty", "availability"},
                                                        {"cmd_t", "command_topic"},
                                                        {"dev", "device"},
                                                        {"dev_cla", "device_class"},
                                                        {"ic", "icon"},
                                                        {"pl_on", "payload_on"},
                                                        {"pl_off", "payload_off"},
                                                        {"stat_t", "state_topic"},
                                                        {"uniq_id", "unique_id"},
                                                        {"val_tpl", "value_template"},
                                                        {"t", "topic"},
                                                        {"pl_avail", "payload_available"},
                                                        {"pl_not_avail", "payload_not_available"},
                                                        {"ret", "retain"},
                                                        {"o", "origin"},
                                                        {"cmps", "components"},
                                                        {"p", "platform"}};
const std::map<std::string, std::string> kDeviceAbbreviations{
    {"ids", "identifiers"}, {"mf", "manufacturer"},  {"mdl", "model"},           {"sw", "sw_version"},
    {"hw", "hw_version"},   {"sn", "serial_number"}, {"cu", "configuration_url"}};
const std::map<std::string, std::string> kOriginAbbreviations{{"sw", "sw_version"}, {"url", "support_url"}};
const std::set<std::string> kPlatforms{"binary_sensor", "switch", "button", "event", "sensor", "cover"};
// MQTT cover's device classes (CoverDeviceClass).
const std::set<std::string> kCoverClasses{"awning", "blind", "curtain", "damper",  "door",
                                          "garage", "gate",  "shade",   "shutter", "window"};
// A sensor's state_class, as Home Assistant's SensorStateClass has them.
const std::set<std::string> kStateClasses{"measurement", "total", "total_increasing"};
// The options Home Assistant documents at each level (after expansion); it ignores any other key
// silently, so a misspelt or wrongly abbreviated one would be lost without a word.
const std::set<std::string> kRootKeys{"device", "origin",      "components",    "availability", "availability_mode",
                                      "qos",    "state_topic", "command_topic", "encoding"};
const std::set<std::string> kComponentKeys{
    "platform", "name", "unique_id", "state_topic", "command_topic", "payload_on", "payload_off", "payload_press",
    "state_on", "state_off", "retain", "optimistic", "device_class", "icon", "availability", "availability_mode", "qos",
    "value_template", "enabled_by_default", "entity_category", "default_entity_id", "json_attributes_topic", "encoding",
    "off_delay", "expire_after", "event_types", "unit_of_measurement", "state_class", "suggested_display_precision",
    // a cover's
    "position_topic", "set_position_topic", "payload_open", "payload_close", "payload_stop", "state_open",
    "state_opening", "state_closed", "state_closing", "state_stopped"};
const std::set<std::string> kDeviceKeys{"identifiers",   "connections",       "name",           "manufacturer",
                                        "model",         "model_id",          "sw_version",     "hw_version",
                                        "serial_number", "configuration_url", "suggested_area", "via_device"};
const std::set<std::string> kOriginKeys{"name", "sw_version", "support_url"};
const std::set<std::string> kAvailabilityKeys{"topic", "value_template", "payload_available", "payload_not_available"};

std::vector<std::string> unknown_keys(const Json& object, const std::set<std::string>& known) {
  std::vector<std::string> out;
  for (const auto& [key, value] : object.object)
    if (!known.count(key)) out.push_back(key);
  return out;
}

Json expanded(const Json& object, const std::map<std::string, std::string>& abbreviations) {
  Json out = object;
  out.object.clear();
  for (const auto& [key, value] : object.object) {
    auto it = abbreviations.find(key);
    out.object[it == abbreviations.end() ? key : it->second] = value;
  }
  return out;
}

}  // namespace

FakeHomeAssistant::FakeHomeAssistant(const std::string& url, const std::string& client_id, std::string prefix)
    : prefix_(std::move(prefix)), client_(url, client_id) {
  client_.subscribe(prefix_ + "/#");
}

void FakeHomeAssistant::say(const std::string& status) { client_.publish(prefix_ + "/status", status); }

const std::map<std::string, Entity>& FakeHomeAssistant::entities() {
  auto messages = client_.messages();
  for (; read_ < messages.size(); ++read_) read(messages[read_]);
  return entities_;
}

std::vector<std::string> FakeHomeAssistant::devices() {
  std::set<std::string> out;
  for (const auto& [id, entity] : entities()) out.insert(entity.device);
  return {out.begin(), out.end()};
}

std::optional<Entity> FakeHomeAssistant::find(const std::string& id) {
  for (const auto& [unique_id, entity] : entities())
    if (entity.id == id) return entity;
  return std::nullopt;
}

void FakeHomeAssistant::read(const Received& message) {
  static const std::regex kDeviceTopic("([A-Za-z0-9_-]+)/config");
  std::string device_prefix = prefix_ + "/device/";
  if (message.topic.rfind(device_prefix, 0) != 0) return;
  std::smatch match;
  std::string rest = message.topic.substr(device_prefix.size());
  if (!std::regex_match(rest, match, kDeviceTopic)) {
    errors_.push_back("not a discovery topic Home Assistant accepts: " + message.topic);
    return;
  }
  ++discoveries_;
  read_device(match[1], message.payload);
}

void FakeHomeAssistant::read_device(const std::string& device, const std::string& payload) {
  auto error = [&](const std::string& what) { errors_.push_back(device + ": " + what + " in " + payload); };
  if (payload.empty()) {  // the whole device goes
    std::erase_if(entities_, [&](const auto& e) { return e.second.device == device; });
    return;
  }
  auto json = parse_json(payload);
  if (!json || !json->is_object()) return error("not a JSON object");
  Json root = expanded(*json, kAbbreviations);
  Json dev = expanded(root["device"], kDeviceAbbreviations);
  Json origin = expanded(root["origin"], kOriginAbbreviations);
  if (!dev.is_object() || dev["identifiers"].array.empty() || !dev["name"].is_string()) error("no device ids or name");
  if (!origin.is_object() || !origin["name"].is_string()) error("no origin name");
  if (!root["components"].is_object()) return error("no components");
  for (const auto& [what, object, known] :
       {std::tuple{"root", &root, &kRootKeys}, {"device", &dev, &kDeviceKeys}, {"origin", &origin, &kOriginKeys}})
    for (const auto& key : unknown_keys(*object, *known)) error(std::string(what) + " key '" + key + "' is unknown");
  for (const auto& component : root["components"].object) {
    const std::string& id = component.first;  // named, not bound: lambdas below capture it
    const Json& raw = component.second;
    Json c = expanded(raw, kAbbreviations);
    std::string platform = c["platform"].string;
    if (!kPlatforms.count(platform)) {
      error("unknown platform '" + platform + "' of " + id);
      continue;
    }
    auto same = [&](const auto& e) { return e.second.device == device && e.second.id == id; };
    if (c.object.size() == 1) {  // {"p": ...} alone: removed
      std::erase_if(entities_, [&](const auto& e) { return same(e) && e.second.platform == platform; });
      continue;
    }
    for (const auto& key : unknown_keys(c, kComponentKeys)) error(id + ": key '" + key + "' is unknown");
    Entity entity;
    entity.device = device;
    entity.id = id;
    entity.platform = platform;
    entity.name = c["name"].string;
    entity.unique_id = c["unique_id"].string;
    entity.state_topic = c["state_topic"].is_string() ? c["state_topic"].string : root["state_topic"].string;
    entity.command_topic = c["command_topic"].string;
    entity.device_class = c["device_class"].string;
    entity.icon = c["icon"].string;
    if (c.has("payload_on")) entity.payload_on = c["payload_on"].string;
    if (c.has("payload_off")) entity.payload_off = c["payload_off"].string;
    if (c.has("payload_press")) entity.payload_press = c["payload_press"].string;
    entity.value_template = c["value_template"].string;
    entity.position_topic = c["position_topic"].string;
    entity.set_position_topic = c["set_position_topic"].string;
    if (platform == "cover") {
      if (!entity.device_class.empty() && !kCoverClasses.count(entity.device_class))
        error(id + ": device_class '" + entity.device_class + "' is not a cover's");
      for (const char* key : {"payload_open", "payload_close", "payload_stop"})
        if (c.has(key)) entity.cover_payloads[key] = c[key].string;
    } else if (c.has("position_topic") || c.has("set_position_topic") || c.has("payload_open")) {
      error(id + ": position and open/close payloads are a cover's");
    }
    for (const Json& type : c["event_types"].array) entity.event_types.push_back(type.string);
    entity.unit_of_measurement = c["unit_of_measurement"].string;
    entity.state_class = c["state_class"].string;
    if (c.has("state_class") && (platform != "sensor" || !kStateClasses.count(entity.state_class)))
      error(id + ": state_class '" + entity.state_class + "' is not one of a sensor's");
    if (c.has("suggested_display_precision")) {
      if (platform != "sensor" || c["suggested_display_precision"].kind != Json::Kind::kNumber)
        error(id + ": suggested_display_precision is a sensor's number");
      else entity.suggested_display_precision = static_cast<int>(c["suggested_display_precision"].number);
    }
    if (platform == "event" && entity.event_types.empty()) error(id + " is an event without event_types");
    if (platform != "event" && c.has("event_types")) error(id + ": event_types is for events");
    if (entity.unique_id.empty()) error(id + " has no unique_id");
    // A button has no state: it only sends payload_press to its command_topic.
    if (entity.state_topic.empty() && platform != "button") error(id + " has no state_topic");
    if ((platform == "switch" || platform == "button" || platform == "cover") && entity.command_topic.empty())
      error(id + " is a " + platform + " without command_topic");
    if (c["retain"].boolean || root["retain"].boolean) error(id + " would retain its commands");
    auto taken = std::find_if(entities_.begin(), entities_.end(),
                              [&](const auto& e) { return e.first == entity.unique_id && !same(e); });
    if (taken != entities_.end()) error(id + ": unique_id " + entity.unique_id + " is taken");
    const Json& availability = c.has("availability") ? c["availability"] : root["availability"];
    for (const Json& raw_entry : availability.array) {
      Json a = expanded(raw_entry, kAbbreviations);
      for (const auto& key : unknown_keys(a, kAvailabilityKeys))
        error(id + ": availability key '" + key + "' is unknown");
      Entity::Availability entry;
      entry.topic = a["topic"].string;
      entry.value_template = a["value_template"].string;
      if (a.has("payload_available")) entry.payload_available = a["payload_available"].string;
      if (a.has("payload_not_available")) entry.payload_not_available = a["payload_not_available"].string;
      if (entry.topic.empty()) error(id + ": availability without a topic");
      entity.availability.push_back(entry);
    }
    std::erase_if(entities_, same);  // an update, maybe of the platform
    std::vector<std::string> topics{entity.state_topic, entity.position_topic};
    for (const auto& a : entity.availability) topics.push_back(a.topic);
    for (const auto& topic : topics)
      if (!topic.empty() && std::find(subscribed_.begin(), subscribed_.end(), topic) == subscribed_.end()) {
        subscribed_.push_back(topic);
        client_.subscribe(topic);
      }
    entities_[entity.unique_id] = entity;
  }
}

std::optional<std::string> FakeHomeAssistant::last_payload(const std::string& topic) {
  auto payloads = client_.payloads_on(topic);
  if (payloads.empty()) return std::nullopt;
  return payloads.back();
}

std::optional<bool> FakeHomeAssistant::available(const Entity& entity) {
  static const std::regex kTemplate(R"(\{\{\s*value_json\.([A-Za-z_][A-Za-z0-9_]*)\s*\}\})");
  bool all = true;
  for (const auto& a : entity.availability) {
    auto payload = last_payload(a.topic);
    if (!payload) return std::nullopt;
    std::string value = *payload;
    if (!a.value_template.empty()) {
      std::smatch match;
      if (!std::regex_match(a.value_template, match, kTemplate)) {
        errors_.push_back("a template this stand-in cannot render: " + a.value_template);
        return std::nullopt;
      }
      auto json = parse_json(*payload);
      // Home Assistant renders a missing key as an empty string: never available.
      value = json && (*json)[match[1]].is_string() ? (*json)[match[1]].string : "";
    }
    if (value == a.payload_available) continue;
    if (value != a.payload_not_available) return std::nullopt;  // Home Assistant ignores it
    all = false;
  }
  return all;
}

std::optional<std::string> FakeHomeAssistant::state(const Entity& entity) {
  auto payload = last_payload(entity.state_topic);
  if (!payload) return std::nullopt;
  if (*payload == entity.payload_on) return "on";
  if (*payload == entity.payload_off) return "off";
  return std::nullopt;
}

std::optional<std::string> FakeHomeAssistant::value(const Entity& entity) { return last_payload(entity.state_topic); }

void FakeHomeAssistant::press(const Entity& entity) {
  client_.publish(entity.command_topic, entity.payload_press, /*retain=*/false);
}

std::vector<std::string> FakeHomeAssistant::events(const Entity& entity) {
  static const std::regex kValue(R"(\{\{\s*value\s*\}\})");
  static const std::regex kValueJson(R"(\{\{\s*value_json\.([A-Za-z_][A-Za-z0-9_]*)\s*\}\})");
  std::vector<std::string> out;
  for (const std::string& payload : client_.payloads_on(entity.state_topic)) {
    std::string rendered = payload;
    if (!entity.value_template.empty()) {
      std::smatch match;
      std::string value = payload;
      if (std::regex_search(entity.value_template, match, kValueJson)) {
        auto json = parse_json(payload);
        value = json && (*json)[match[1]].is_string() ? (*json)[match[1]].string : "";
      } else if (!std::regex_search(entity.value_template, kValue)) {
        errors_.push_back("a template this stand-in cannot render: " + entity.value_template);
        continue;
      }
      rendered = std::regex_replace(entity.value_template, std::regex(R"(\{\{[^}]*\}\})"), value);
    }
    auto json = parse_json(rendered);
    if (!json || !json->is_object() || !(*json)["event_type"].is_string()) {
      errors_.push_back(entity.id + ": not an event payload (JSON with event_type): " + rendered);
      continue;
    }
    const std::string& type = (*json)["event_type"].string;
    if (std::find(entity.event_types.begin(), entity.event_types.end(), type) == entity.event_types.end()) {
      errors_.push_back(entity.id + ": event_type '" + type + "' is not among its event_types");
      continue;
    }
    out.push_back(type);
  }
  return out;
}

void FakeHomeAssistant::move(const Entity& entity, const std::string& command) {
  auto payload = entity.cover_payloads.find("payload_" + command);
  std::string upper = command;
  for (char& ch : upper) ch = static_cast<char>(std::toupper(static_cast<unsigned char>(ch)));
  client_.publish(entity.command_topic, payload == entity.cover_payloads.end() ? upper : payload->second, false);
}

void FakeHomeAssistant::set_position(const Entity& entity, int position) {
  client_.publish(entity.set_position_topic, std::to_string(position), /*retain=*/false);
}

std::optional<int> FakeHomeAssistant::position(const Entity& entity) {
  auto payload = last_payload(entity.position_topic);
  if (!payload) return std::nullopt;
  return std::stoi(*payload);
}

void FakeHomeAssistant::turn(const Entity& entity, bool on) {
  client_.publish(entity.command_topic, on ? entity.payload_on : entity.payload_off, /*retain=*/false);
}

}  // namespace gpio2mqtt::testing

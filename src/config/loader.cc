#include "gpio2mqtt/config/loader.h"

#include <fstream>
#include <set>
#include <sstream>

#include "gpio2mqtt/util/text.h"
#include "yaml_reader.h"

namespace gpio2mqtt::config {
namespace {

// mqtt://host -> mqtt://host:1883; rejects schemes paho does not speak.
std::string normalize_server(const YamlReader& r, const YAML::Node& node) {
  std::string uri = r.string(node, "mqtt.server");
  auto sep = uri.find("://");
  if (sep == std::string::npos) r.fail(node, "mqtt.server: expected a URI like mqtt://host:1883, got '" + uri + "'");
  std::string scheme = ascii_lower(uri.substr(0, sep));
  std::string rest = uri.substr(sep + 3);
  int default_port = 0;
  if (scheme == "mqtt" || scheme == "tcp") default_port = 1883;
  else if (scheme == "mqtts" || scheme == "ssl") default_port = 8883;
  else if (scheme == "ws") default_port = 80;
  else if (scheme == "wss") default_port = 443;
  else r.fail(node, "mqtt.server: unknown scheme '" + scheme + "'; expected mqtt, mqtts, tcp, ssl, ws or wss");
  std::string host = rest.substr(0, rest.find('/'));
  if (host.empty() || host.front() == ':') r.fail(node, "mqtt.server: no host in '" + uri + "'");
  bool has_port = host.back() != ']' && host.find(':', host.rfind(']') == std::string::npos ? 0 : host.rfind(']')) != std::string::npos;
  if (has_port) {
    std::string port = host.substr(host.rfind(':') + 1);
    bool digits = !port.empty() && port.size() <= 5 && port.find_first_not_of("0123456789") == std::string::npos;
    if (!digits || std::stoi(port) < 1 || std::stoi(port) > 65535)
      r.fail(node, "mqtt.server: port " + port + " is not 1..65535");
    return uri;
  }
  return scheme + "://" + host + ":" + std::to_string(default_port) + rest.substr(host.size());
}

std::string topic(const YamlReader& r, const YAML::Node& node, const std::string& what,
                  const std::string& hostname) {
  std::string value = expand_hostname(r.string(node, what), hostname);
  if (!is_valid_publish_topic(value))
    r.fail(node, what + ": '" + value + "' is not a usable topic (no '+', '#', NUL or empty levels)");
  return value;
}

MqttConfig load_mqtt(const YamlReader& r, const YAML::Node& node, const std::string& hostname) {
  MqttConfig m;
  m.client_id = "gpio2mqtt-" + hostname;
  if (!node) return m;
  r.expect_map(node, "mqtt", {"server", "client_id", "keepalive", "version", "base_topic", "qos", "status", "buffer"});
  if (node["server"]) m.server = normalize_server(r, node["server"]);
  if (node["client_id"]) {
    m.client_id = expand_hostname(r.string(node["client_id"], "mqtt.client_id"), hostname);
    if (m.client_id.empty() || m.client_id.size() > 256) r.fail(node["client_id"], "mqtt.client_id: expected 1 to 256 characters");
  }
  if (node["keepalive"]) {
    auto keepalive = r.duration(node["keepalive"], "mqtt.keepalive");
    if (keepalive < std::chrono::seconds(1) || keepalive > std::chrono::seconds(65535))
      r.fail(node["keepalive"], "mqtt.keepalive: expected 1s to 65535s");
    m.keepalive = std::chrono::duration_cast<std::chrono::seconds>(keepalive);
  }
  if (node["version"]) {
    std::string v = r.string(node["version"], "mqtt.version");
    if (v == "5") m.version = 5;
    else if (v == "3.1.1" || v == "4") m.version = 4;
    else r.fail(node["version"], "mqtt.version: '" + v + "' is not supported; expected 5 or 3.1.1");
  }
  if (node["base_topic"]) m.base_topic = topic(r, node["base_topic"], "mqtt.base_topic", hostname);
  if (node["qos"]) m.qos = static_cast<int>(r.integer(node["qos"], "mqtt.qos", 0, 2));
  if (node["buffer"]) m.queue_limit = static_cast<std::size_t>(r.integer(node["buffer"], "mqtt.buffer", 1, 10'000'000));
  m.status.topic = m.base_topic + "/status";
  if (const YAML::Node& s = node["status"]) {
    r.expect_map(s, "mqtt.status", {"topic", "online", "offline"});
    if (s["topic"]) m.status.topic = topic(r, s["topic"], "mqtt.status.topic", hostname);
    if (s["online"]) m.status.online = r.string(s["online"], "mqtt.status.online");
    if (s["offline"]) m.status.offline = r.string(s["offline"], "mqtt.status.offline");
  }
  return m;
}

ChipConfig load_chip(const YamlReader& r, const YAML::Node& key, const YAML::Node& node) {
  ChipConfig chip;
  chip.name = key.Scalar();
  chip.where = r.at(key);
  std::string what = "chip '" + chip.name + "'";
  r.expect_map(node, what, {"simulated", "label", "path"});
  if (node.size() != 1) r.fail(node, what + ": expected exactly one of simulated, label or path");
  if (node["label"]) {
    chip.kind = ChipConfig::Kind::kLabel;
    chip.label = r.string(node["label"], what + ".label");
  } else if (node["path"]) {
    chip.kind = ChipConfig::Kind::kPath;
    chip.path = r.string(node["path"], what + ".path");
  } else {
    const YAML::Node& sim = node["simulated"];
    r.expect_map(sim, what + ".simulated", {"lines", "wires", "control"});
    if (!sim["lines"] || !sim["lines"].IsSequence() || sim["lines"].size() == 0)
      r.fail(sim["lines"] ? sim["lines"] : sim, what + ".simulated.lines: expected a list of line names");
    std::set<std::string> names;
    for (const auto& line : sim["lines"]) {
      std::string name = r.string(line, what + ".simulated.lines");
      if (name.empty()) r.fail(line, what + ".simulated.lines: a line name must not be empty");
      if (!names.insert(name).second) r.fail(line, what + ".simulated.lines: '" + name + "' is listed twice");
      chip.simulated.lines.push_back(name);
    }
    if (sim["wires"]) {
      for (const auto& [from, to] : r.entries(sim["wires"], what + ".simulated.wires")) {
        std::string output = from.Scalar(), input = r.string(to, what + ".simulated.wires");
        if (!names.count(output)) r.fail(from, what + ".simulated.wires: no line '" + output + "' on this chip");
        if (!names.count(input)) r.fail(to, what + ".simulated.wires: no line '" + input + "' on this chip");
        if (input == output) r.fail(to, what + ".simulated.wires: a line cannot drive itself");
        chip.simulated.wires.emplace_back(output, input);
      }
    }
    if (sim["control"]) {
      chip.simulated.control = r.string(sim["control"], what + ".simulated.control");
      constexpr std::size_t kMaxSocketPath = 107;  // sockaddr_un::sun_path, with its NUL
      if (chip.simulated.control.empty() || chip.simulated.control.front() != '/' ||
          chip.simulated.control.size() > kMaxSocketPath)
        r.fail(sim["control"], what + ".simulated.control: expected an absolute path of at most 107 bytes");
    }
  }
  return chip;
}

}  // namespace

LineConfig load_line(const YamlReader& r, const YAML::Node& key, const YAML::Node& node,
                     const std::vector<ChipConfig>& chips);

Config parse_config(const std::string& text, const std::string& file, const std::string& hostname) {
  YamlReader r(file);
  YAML::Node root;
  try {
    root = YAML::Load(text);
  } catch (const YAML::Exception& e) {
    throw ConfigError(r.at(e.mark), "invalid YAML: " + e.msg);
  }
  if (!root.IsMap()) throw ConfigError(r.at(root), "expected a mapping with the keys mqtt, chips and lines");
  Config config;
  config.file = file;
  try {
    r.expect_map(root, "top level", {"mqtt", "dbus", "chips", "lines"});
    config.mqtt = load_mqtt(r, root["mqtt"], hostname);
    if (root["dbus"])
      config.dbus = r.choice<Bus>(root["dbus"], "dbus", {{"system", Bus::kSystem}, {"session", Bus::kSession}, {"off", Bus::kOff}});
    if (!root["chips"]) r.fail(root, "top level: a 'chips' section is required");
    for (const auto& [key, node] : r.entries(root["chips"], "chips")) config.chips.push_back(load_chip(r, key, node));
    if (!root["lines"]) r.fail(root, "top level: a 'lines' section is required");
    std::set<std::string> claimed;  // chip + line, to find two names for one line
    for (const auto& [key, node] : r.entries(root["lines"], "lines")) {
      LineConfig line = load_line(r, key, node, config.chips);
      std::string id = line.chip + "\n" + (line.offset ? "#" + std::to_string(*line.offset) : line.line);
      if (!claimed.insert(id).second)
        throw ConfigError(line.line_where, "line '" + line.name + "': " + line.line_spec() + " is already used by another line");
      config.lines.push_back(std::move(line));
    }
  } catch (const YAML::Exception& e) {  // a conversion yaml-cpp itself refused
    throw ConfigError(r.at(e.mark), e.msg);
  }
  return config;
}

Config load_config_file(const std::string& path, const std::string& hostname) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw ConfigError({path, 0, 0}, "cannot open the config file");
  std::ostringstream text;
  text << in.rdbuf();
  constexpr std::size_t kMaxConfigBytes = 1 << 20;
  if (text.str().size() > kMaxConfigBytes) throw ConfigError({path, 1, 1}, "the config file is larger than 1 MiB");
  return parse_config(text.str(), path, hostname);
}

const ChipConfig* Config::find_chip(const std::string& name) const {
  for (const auto& chip : chips)
    if (chip.name == name) return &chip;
  return nullptr;
}

bool LineConfig::same_settings(const LineConfig& o) const {
  return name == o.name && chip == o.chip && line == o.line && offset == o.offset && direction == o.direction &&
         edge == o.edge && bias == o.bias && drive == o.drive && active_low == o.active_low &&
         debounce == o.debounce && initial == o.initial && on_disconnect == o.on_disconnect;
}

std::string LineConfig::line_spec() const {
  return offset ? "offset " + std::to_string(*offset) : "line " + line;
}

}  // namespace gpio2mqtt::config

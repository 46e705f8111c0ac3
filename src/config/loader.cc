#include "gpio2mqtt/config/loader.h"

#include <sys/stat.h>

#include <algorithm>
#include <cstdlib>
#include <fstream>
#include <set>
#include <sstream>

#include "util/text.h"
#include "yaml_reader.h"

namespace gpio2mqtt::config {

ConfigError::ConfigError(Location where, const std::string& message)
    : std::runtime_error(where.str() + ": " + printable_text(message)), where_(std::move(where)) {}
namespace {

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
MqttConfig load_mqtt(const YamlReader& r, const YAML::Node& node, const Host& host);
HomeAssistantConfig load_homeassistant(const YamlReader& r, const YAML::Node& node, const YAML::Node& mqtt,
                                       const Host& host);
void check_entities(Config& config);
std::vector<InterlockConfig> load_interlocks(const YamlReader& r, const YAML::Node& node,
                                             const std::vector<LineConfig>& lines);
void load_covers(const YamlReader& r, const YAML::Node& node, Config& config);
std::vector<BindingConfig> load_bindings(const YamlReader& r, const YAML::Node& node, const Config& config);
void load_sensors(const YamlReader& r, const YAML::Node& node, Config& config);
std::vector<PwmOutputConfig> load_pwm(const YamlReader& r, const YAML::Node& node, const Config& config);

Config parse_config(const std::string& text, const std::string& file, const Host& host) {
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
    r.expect_map(root, "top level",
                 {"mqtt", "dbus", "chips", "lines", "interlocks", "pwm", "sensors", "sysfs", "homeassistant",
                  "state_directory", "bindings", "covers"});
    if (root["state_directory"]) {
      config.state_directory = r.string(root["state_directory"], "state_directory");
      if (config.state_directory.empty() || config.state_directory.front() != '/')
        r.fail(root["state_directory"], "state_directory: expected an absolute directory");
      config.state_directory_source = "state_directory";
    }
    config.mqtt = load_mqtt(r, root["mqtt"], host);
    config.homeassistant = load_homeassistant(r, root["homeassistant"], root["mqtt"], host);
    if (root["dbus"])
      config.dbus = r.choice<Bus>(root["dbus"], "dbus",
                                  {{"system", Bus::kSystem}, {"session", Bus::kSession}, {"off", Bus::kOff}});
    if (!root["chips"]) r.fail(root, "top level: a 'chips' section is required");
    for (const auto& [key, node] : r.entries(root["chips"], "chips")) config.chips.push_back(load_chip(r, key, node));
    if (!root["lines"]) r.fail(root, "top level: a 'lines' section is required");
    std::set<std::string> claimed;  // chip + line, to find two names for one line
    for (const auto& [key, node] : r.entries(root["lines"], "lines")) {
      LineConfig line = load_line(r, key, node, config.chips);
      std::string id = line.chip + "\n" + (line.offset ? "#" + std::to_string(*line.offset) : line.line);
      if (!claimed.insert(id).second)
        throw ConfigError(line.line_where,
                          "line '" + line.name + "': " + line.line_spec() + " is already used by another line");
      config.lines.push_back(std::move(line));
    }
    if (root["interlocks"]) config.interlocks = load_interlocks(r, root["interlocks"], config.lines);
    if (root["covers"]) load_covers(r, root["covers"], config);
    if (root["sensors"]) load_sensors(r, root["sensors"], config);
    if (root["sysfs"]) {
      config.sysfs = r.string(root["sysfs"], "sysfs");
      if (config.sysfs.empty() || config.sysfs.front() != '/')
        r.fail(root["sysfs"], "sysfs: expected an absolute directory");
    }
    if (root["pwm"]) config.pwm = load_pwm(r, root["pwm"], config);
    for (const auto& output : config.pwm)
      for (const auto& cover : config.covers)
        if (cover.name == output.name)
          throw ConfigError(cover.where,
                            "cover '" + cover.name + "': a PWM output has this name; their topics would be one");
    // After the PWM outputs, which a binding may target.
    if (root["bindings"]) config.bindings = load_bindings(r, root["bindings"], config);
    check_entities(config);
  } catch (const YAML::Exception& e) {  // a conversion yaml-cpp itself refused
    throw ConfigError(r.at(e.mark), e.msg);
  }
  return config;
}

void resolve_state_directory(Config& config, const char* environment) {
  if (config.state_directory.empty() && environment && *environment == '/') {
    std::string first = environment;  // systemd lists several StateDirectory= entries with ':'
    config.state_directory = first.substr(0, first.find(':'));
    config.state_directory_source = "$STATE_DIRECTORY";
  }
}

void require_state_directory(const Config& config) {
  if (!config.state_directory.empty()) return;
  for (const auto& line : config.lines)
    if (line.mode == Mode::kCounter)
      throw ConfigError(line.where, "line '" + line.name +
                                        "': a counter keeps its total in a state directory: set state_directory: "
                                        "(e.g. /var/lib/gpio2mqtt), or run under systemd with StateDirectory=");
  for (const auto& output : config.pwm)
    if (output.initial.kind == PwmLevel::Kind::kRestore)
      throw ConfigError(output.where, "pwm '" + output.name +
                                          "': initial: restore takes the level from the state directory: set "
                                          "state_directory: (e.g. /var/lib/gpio2mqtt), or run under systemd with "
                                          "StateDirectory=");
}

void expand_w1_all(Config& config, const std::vector<std::string>& found) {
  for (const auto& all : config.w1_all) {
    for (const auto& id : found) {
      bool configured = std::any_of(config.sensors.begin(), config.sensors.end(), [&](const SensorConfig& sensor) {
        return sensor.channel.kind == sensors::Channel::Kind::kW1 && sensor.channel.device == id;
      });
      if (configured) continue;
      SensorConfig sensor = all;
      sensor.channel.device = id;
      sensor.name = all.name + "_" + id;
      std::replace(sensor.name.begin(), sensor.name.end(), '-', '_');
      if (sensor.title.empty()) sensor.title = all.name + " " + id;
      config.sensors.push_back(std::move(sensor));
    }
  }
}

Config load_config_file(const std::string& path, const Host& host) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw ConfigError({path, 0, 0}, "cannot open the config file");
  std::ostringstream text;
  text << in.rdbuf();
  constexpr std::size_t kMaxConfigBytes = 1 << 20;
  if (text.str().size() > kMaxConfigBytes) throw ConfigError({path, 1, 1}, "the config file is larger than 1 MiB");
  Config config = parse_config(text.str(), path, host);
  resolve_state_directory(config, std::getenv("STATE_DIRECTORY"));
  struct stat st {};
  if (config.mqtt.password_source == "inline" && stat(path.c_str(), &st) == 0 && (st.st_mode & S_IROTH))
    config.warnings.push_back(path +
                              " holds mqtt.password and is readable by every user: chmod o-r it, or use "
                              "password_file or a systemd credential");
  return config;
}

}  // namespace gpio2mqtt::config

// The `pwm:` section: dimmable outputs on hardware PWM channels or, by slow software PWM, on GPIO
// lines.
#include <algorithm>
#include <charconv>
#include <cmath>
#include <set>

#include "chip_line.h"
#include "gpio2mqtt/bridge/dimmer.h"
#include "gpio2mqtt/bridge/slow_pwm.h"
#include "gpio2mqtt/config/entity.h"
#include "util/text.h"
#include "yaml_reader.h"

namespace gpio2mqtt::config {

namespace {

using std::chrono::nanoseconds;

constexpr nanoseconds kShortestHardwarePeriod{20};  // 50 MHz, beyond every PWM chip seen
constexpr nanoseconds kLongestHardwarePeriod = std::chrono::seconds(10);
constexpr nanoseconds kLongestSoftwarePeriod = std::chrono::hours(1);

// A plain number, with an optional unit suffix from `units` (e.g. "%", or "kHz" = 1000).
double number(const YamlReader& r, const YAML::Node& node, const std::string& what,
              std::initializer_list<std::pair<const char*, double>> units = {}) {
  std::string text = r.string(node, what);
  double scale = 1;
  for (const auto& [suffix, factor] : units) {
    std::string_view s(suffix);
    if (text.size() > s.size() && text.compare(text.size() - s.size(), s.size(), s) == 0) {
      text.resize(text.size() - s.size());
      while (!text.empty() && text.back() == ' ') text.pop_back();
      scale = factor;
      break;
    }
  }
  double value = 0;
  auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (error != std::errc() || end != text.data() + text.size() || !std::isfinite(value))
    r.fail(node, what + ": expected a number");
  return value * scale;
}

double percent(const YamlReader& r, const YAML::Node& node, const std::string& what) {
  double value = number(r, node, what, {{"%", 1}});
  if (value < 0 || value > 100) r.fail(node, what + ": expected a percent from 0 to 100");
  return value;
}

// off, on, a percent, and `extra` (restore for initial, keep for on_disconnect).
PwmLevel level(const YamlReader& r, const YAML::Node& node, const std::string& what, const char* extra,
               PwmLevel::Kind extra_kind) {
  std::string word = ascii_lower(r.string(node, what));
  if (word == "off" || word == "false" || word == "no") return {PwmLevel::Kind::kOff, 0};
  if (word == "on" || word == "true" || word == "yes") return {PwmLevel::Kind::kOn, 0};
  if (word == extra) return {extra_kind, 0};
  std::string_view first = word;
  if (first.empty() || !(std::isdigit(static_cast<unsigned char>(first.front())) || first.front() == '.'))
    r.fail(node, what + ": expected off, on, " + extra + " or a percent (e.g. 30)");
  int value = bridge::level_from_percent(percent(r, node, what));
  if (value == 0) return {PwmLevel::Kind::kOff, 0};
  return {PwmLevel::Kind::kLevel, value};
}

nanoseconds period(const YamlReader& r, const YAML::Node& node, PwmOutputConfig& output, const std::string& what) {
  if (node["frequency"] && node["period"]) r.fail(node["period"], what + ": give frequency or period, not both");
  nanoseconds shortest =
      output.kind == PwmOutputConfig::Kind::kHardware ? kShortestHardwarePeriod : bridge::kShortestSlowPwmPeriod;
  nanoseconds longest =
      output.kind == PwmOutputConfig::Kind::kHardware ? kLongestHardwarePeriod : kLongestSoftwarePeriod;
  std::string range = output.kind == PwmOutputConfig::Kind::kHardware
                          ? "from 20ns to 10s (0.1 Hz to 50 MHz)"
                          : "from 100ms to 1h (software PWM: for a faster one use a hardware PWM channel)";
  nanoseconds result = output.period;
  if (const auto& n = node["frequency"]) {
    double hz = number(r, n, what + ".frequency", {{"MHz", 1e6}, {"kHz", 1e3}, {"Hz", 1}});
    if (hz <= 0) r.fail(n, what + ".frequency: expected a number of Hz above 0, e.g. 1000 or 25kHz");
    double ns = std::round(1e9 / hz);
    if (ns < static_cast<double>(shortest.count()) || ns > static_cast<double>(longest.count()))
      r.fail(n, what + ".frequency: the period must be " + range);
    result = nanoseconds(static_cast<nanoseconds::rep>(ns));
  }
  if (const auto& n = node["period"]) {
    result = r.duration(n, what + ".period");
    if (result < shortest || result > longest) r.fail(n, what + ".period: expected " + range);
  }
  return result;
}

void load_entity(const YamlReader& r, const YAML::Node& node, PwmOutputConfig& output, const std::string& what) {
  if (node.IsScalar()) {
    if (r.boolean(node, what + ".homeassistant")) return;
    output.hidden = true;
    return;
  }
  r.expect_map(node, what + ".homeassistant", {"component", "name", "icon"});
  if (node["component"])
    output.component = r.choice<PwmOutputConfig::Component>(
        node["component"], what + ".homeassistant.component",
        {{"light", PwmOutputConfig::Component::kLight}, {"fan", PwmOutputConfig::Component::kFan}});
  if (node["name"]) output.entity_name = r.string(node["name"], what + ".homeassistant.name");
  if (node["icon"]) {
    output.icon = r.string(node["icon"], what + ".homeassistant.icon");
    if (output.icon.rfind("mdi:", 0) != 0) r.fail(node["icon"], what + ".homeassistant.icon: expected mdi:<name>");
  }
}

void load_kind(const YamlReader& r, const YAML::Node& key, const YAML::Node& node, PwmOutputConfig& output,
               const std::vector<ChipConfig>& chips, const std::string& what) {
  bool hardware = node["pwm_chip"].IsDefined(), software = node["line"].IsDefined();
  if (hardware == software)
    r.fail(hardware ? node["line"] : key,
           what +
               ": give pwm_chip: (and channel:) for a hardware PWM channel, or line: for software PWM on a GPIO "
               "line, " +
               (hardware ? "not both" : "one of them"));
  auto reject = [&](const char* name, const char* why) {
    if (node[name]) r.fail(node[name], what + ": " + name + " is for " + why);
  };
  if (hardware) {
    output.kind = PwmOutputConfig::Kind::kHardware;
    output.chip_where = r.at(node["pwm_chip"]);
    output.pwm_chip = r.string(node["pwm_chip"], what + ".pwm_chip");
    if (output.pwm_chip.empty()) r.fail(node["pwm_chip"], what + ".pwm_chip: expected a chip's device or node name");
    if (node["channel"]) output.channel = static_cast<unsigned>(r.integer(node["channel"], what + ".channel", 0, 1023));
    if (node["polarity"])
      output.inversed = r.choice<bool>(node["polarity"], what + ".polarity", {{"normal", false}, {"inversed", true}});
    for (const char* name : {"chip", "active_low"}) reject(name, "software PWM (line:)");
    return;
  }
  output.kind = PwmOutputConfig::Kind::kSoftware;
  output.period = std::chrono::seconds(1);
  for (const char* name : {"channel", "polarity"}) reject(name, "hardware PWM (pwm_chip:)");
  // The line is found as a line's is, with the same messages.
  LineConfig line;
  line.name = output.name;
  read_chip_line(r, node, what, line, chips);
  output.chip_where = line.line_where;
  output.chip = line.chip;
  output.line = line.line;
  output.offset = line.offset;
  if (node["active_low"]) output.active_low = r.boolean(node["active_low"], what + ".active_low");
}

PwmOutputConfig load_output(const YamlReader& r, const YAML::Node& key, const YAML::Node& node,
                            const std::vector<ChipConfig>& chips) {
  PwmOutputConfig output;
  const std::string what = "pwm '" + key.Scalar() + "'";
  r.open_entry(key, node, what, "",
               {"pwm_chip", "channel", "polarity", "chip", "line", "active_low", "frequency", "period", "min", "max",
                "gamma", "transition", "initial", "on_disconnect", "homeassistant"},
               output);
  load_kind(r, key, node, output, chips, what);
  output.period = period(r, node, output, what);
  if (node["min"]) output.min_duty = percent(r, node["min"], what + ".min") / 100;
  if (node["max"]) output.max_duty = percent(r, node["max"], what + ".max") / 100;
  if (output.min_duty >= output.max_duty)
    r.fail(node["max"] ? node["max"] : node["min"], what + ": min must be below max");
  if (const auto& n = node["gamma"]) {
    output.gamma = number(r, n, what + ".gamma");
    if (output.gamma < 0.1 || output.gamma > 5) r.fail(n, what + ".gamma: expected 0.1 to 5 (2.2 for an LED)");
  }
  if (const auto& n = node["transition"]) {
    output.transition = r.duration(n, what + ".transition");
    if (output.transition.count() < 0 || output.transition > bridge::kMaxTransition)
      r.fail(n, what + ".transition: expected 0 to 1h, e.g. 1s");
  }
  if (node["initial"])
    output.initial = level(r, node["initial"], what + ".initial", "restore", PwmLevel::Kind::kRestore);
  if (node["on_disconnect"])
    output.on_disconnect = level(r, node["on_disconnect"], what + ".on_disconnect", "keep", PwmLevel::Kind::kKeep);
  if (node["homeassistant"]) load_entity(r, node["homeassistant"], output, what);
  return output;
}

std::string line_id(const std::string& chip, const std::string& line, const std::optional<unsigned>& offset) {
  return chip + "\n" + (offset ? "#" + std::to_string(*offset) : line);
}

}  // namespace

std::string PwmOutputConfig::describe() const {
  if (kind == Kind::kHardware) return "PWM chip " + pwm_chip + " channel " + std::to_string(channel);
  std::string spec = offset ? "offset " + std::to_string(*offset) : line;
  return "line " + spec + (chip.empty() ? "" : " of chip " + chip);
}

std::vector<PwmOutputConfig> load_pwm(const YamlReader& r, const YAML::Node& node, const Config& config) {
  std::vector<PwmOutputConfig> outputs;
  std::set<std::string> names, ids, claimed;
  for (const auto& line : config.lines) {
    names.insert(line.name);
    for (const auto& id : entity_object_ids(line)) ids.insert(id);
    claimed.insert(line_id(line.chip, line.line, line.offset));
  }
  for (const auto& [key, entry] : r.entries(node, "pwm")) {
    PwmOutputConfig output = load_output(r, key, entry, config.chips);
    const std::string what = "pwm '" + output.name + "'";
    if (!names.insert(output.name).second)
      r.fail(key, what + ": a line has this name already (outputs and lines share <base_topic>/<name>)");
    std::string id = output.name;
    std::replace(id.begin(), id.end(), '.', '_');
    if (!ids.insert(id).second)
      r.fail(key, what + ": its Home Assistant id '" + id + "' is another line's ('.' counts as '_')");
    std::string claim = output.kind == PwmOutputConfig::Kind::kHardware
                            ? "pwm\n" + output.pwm_chip + "\n" + std::to_string(output.channel)
                            : line_id(output.chip, output.line, output.offset);
    if (!claimed.insert(claim).second)
      throw ConfigError(output.chip_where, what + ": " + output.describe() + " is already used by another output");
    outputs.push_back(std::move(output));
  }
  return outputs;
}

}  // namespace gpio2mqtt::config

// The `bindings:` section: an input's change or gesture makes an output act, in the daemon itself,
// so that a wall switch works without the broker (bridge/bindings.h).
#include <algorithm>
#include <map>
#include <set>

#include "yaml_reader.h"

namespace gpio2mqtt::config {
namespace {

using On = BindingConfig::On;
using When = BindingConfig::When;

constexpr std::chrono::hours kMaxPulse{1};  // as a pulse_ms command may ask

const LineConfig* find_line(const std::vector<LineConfig>& lines, const std::string& name) {
  for (const auto& line : lines)
    if (line.name == name) return &line;
  return nullptr;
}

// The configured line a simulated chip's line is, if any.
const LineConfig* line_at(const Config& config, const ChipConfig& chip, const std::string& chip_line) {
  const auto& names = chip.simulated.lines;
  for (const auto& line : config.lines) {
    if (line.chip != chip.name) continue;
    if (line.offset ? *line.offset < names.size() && names[*line.offset] == chip_line : line.line == chip_line)
      return &line;
  }
  return nullptr;
}

// What drives what, by line name: every binding's trigger its target, every wire its input.
std::multimap<std::string, std::string> drives(const Config& config, const std::vector<BindingConfig>& bindings) {
  std::multimap<std::string, std::string> out;
  for (const auto& binding : bindings) out.emplace(binding.trigger, binding.target);
  for (const auto& chip : config.chips)
    for (const auto& [from, to] : chip.simulated.wires) {
      const LineConfig *output = line_at(config, chip, from), *input = line_at(config, chip, to);
      if (output && input) out.emplace(output->name, input->name);
    }
  return out;
}

bool reaches(const std::multimap<std::string, std::string>& graph, const std::string& from, const std::string& to) {
  std::set<std::string> seen;
  std::vector<std::string> todo{from};
  while (!todo.empty()) {
    std::string line = todo.back();
    todo.pop_back();
    if (line == to) return true;
    if (!seen.insert(line).second) continue;
    auto [begin, end] = graph.equal_range(line);
    for (auto it = begin; it != end; ++it) todo.push_back(it->second);
  }
  return false;
}

bool one_topic_level(const std::string& name) {
  return !name.empty() && name.find_first_of("/+#") == std::string::npos;
}

BindingConfig load_binding(const YamlReader& r, const YAML::Node& node, const Config& config, std::size_t index) {
  BindingConfig binding;
  binding.where = r.at(node);
  std::string what = "bindings[" + std::to_string(index) + "]";
  r.expect_map(node, what, {"name", "trigger", "on", "target", "action", "length", "step", "when"});
  if (!node["trigger"]) r.fail(node, what + ": 'trigger:' (an input line) is required");
  if (!node["target"]) r.fail(node, what + ": 'target:' (an output line or a PWM output) is required");
  binding.trigger = r.string(node["trigger"], what + ".trigger");
  binding.target = r.string(node["target"], what + ".target");
  const LineConfig* trigger = find_line(config.lines, binding.trigger);
  const LineConfig* target = find_line(config.lines, binding.target);
  bool to_cover = !target && std::any_of(config.covers.begin(), config.covers.end(),
                                         [&](const CoverConfig& cover) { return cover.name == binding.target; });
  bool pwm_target = !target && std::any_of(config.pwm.begin(), config.pwm.end(),
                                           [&](const auto& output) { return output.name == binding.target; });
  if (!trigger) r.fail(node["trigger"], what + ".trigger: no line '" + binding.trigger + "' is configured");
  if (!target && !pwm_target && !to_cover)
    r.fail(node["target"], what + ".target: no line, PWM output or cover '" + binding.target + "' is configured");
  if (trigger->direction != gpio::Direction::kInput)
    r.fail(node["trigger"], what + ".trigger: '" + binding.trigger + "' is an output; a trigger is an input");
  if (trigger->mode == Mode::kCounter)
    r.fail(node["trigger"], what + ".trigger: '" + binding.trigger + "' is a counter; it triggers nothing");
  if (target && target->direction != gpio::Direction::kOutput)
    r.fail(node["target"], what + ".target: '" + binding.target + "' is an input; a target is an output or a cover");
  if (target && !target->cover.empty())
    r.fail(node["target"],
           what + ".target: '" + binding.target + "' is driven by cover '" + target->cover + "'; bind the cover");
  binding.name = binding.trigger + "_" + binding.target;
  if (node["name"]) {
    binding.name = r.string(node["name"], what + ".name");
    if (!one_topic_level(binding.name))
      r.fail(node["name"], what + ".name: expected one topic level (no '/', '+' or '#', not empty)");
  }
  if (node["on"]) {
    std::string on = r.string(node["on"], what + ".on");
    if (on == "on") binding.on = On::kOn;
    else if (on == "off") binding.on = On::kOff;
    else if (on == "change") binding.on = On::kChange;
    else if (auto gesture = parse_gesture(on)) {
      if (trigger->mode != Mode::kButton)
        r.fail(node["on"], what + ".on: '" + on + "' is a gesture, and '" + binding.trigger +
                               "' is not a button (mode: button); expected on, off or change");
      const auto& made = trigger->button.gestures;
      if (std::find(made.begin(), made.end(), *gesture) == made.end())
        r.fail(node["on"],
               what + ".on: button '" + binding.trigger + "' does not send '" + on + "' (not in its button.gestures)");
      binding.on = On::kGesture;
      binding.gesture = *gesture;
    } else {
      r.fail(node["on"], what + ".on: '" + on +
                             "' is not one of on | off | change | single | double | triple | "
                             "long | long_release");
    }
  }
  if (node["action"] && to_cover)
    binding.action =
        r.choice<std::string>(node["action"], what + ".action",
                              {{"open", "open"}, {"close", "close"}, {"stop", "stop"}, {"toggle", "toggle"}});
  else if (node["action"] && pwm_target)
    binding.action = r.choice<std::string>(
        node["action"], what + ".action (PWM output '" + binding.target + "')",
        {{"on", "on"}, {"off", "off"}, {"toggle", "toggle"}, {"brighter", "brighter"}, {"dimmer", "dimmer"}});
  else if (node["action"])
    binding.action = r.choice<std::string>(node["action"], what + ".action",
                                           {{"on", "on"}, {"off", "off"}, {"toggle", "toggle"}, {"pulse", "pulse"}});
  bool steps = binding.action == "brighter" || binding.action == "dimmer";
  if (node["step"]) {
    if (!steps) r.fail(node["step"], what + ".step: goes with action: brighter or dimmer");
    binding.step = static_cast<int>(r.integer(node["step"], what + ".step (percent points)", 1, 100));
  } else if (steps) {
    binding.step = 10;
  }
  if (node["length"]) {
    if (binding.action != "pulse") r.fail(node["length"], what + ".length: goes with action: pulse");
    binding.length = r.duration(node["length"], what + ".length");
    if (*binding.length <= std::chrono::nanoseconds(0) || *binding.length > kMaxPulse)
      r.fail(node["length"], what + ".length: expected more than 0 and at most 1h");
  } else if (binding.action == "pulse") {
    r.fail(node["action"], what + ": action: pulse needs a length (e.g. length: 500ms)");
  }
  if (node["when"])
    binding.when = r.choice<When>(
        node["when"], what + ".when",
        {{"always", When::kAlways}, {"broker_offline", When::kBrokerOffline}, {"ha_offline", When::kHaOffline}});
  return binding;
}

}  // namespace

std::vector<BindingConfig> load_bindings(const YamlReader& r, const YAML::Node& node, const Config& config) {
  if (!node.IsSequence()) r.fail(node, "bindings: expected a list");
  std::vector<BindingConfig> bindings;
  std::set<std::string> names;
  for (std::size_t i = 0; i < node.size(); ++i) {
    BindingConfig binding = load_binding(r, node[i], config, i);
    if (!names.insert(binding.name).second)
      r.fail(node[i]["name"] ? node[i]["name"] : node[i],
             "bindings[" + std::to_string(i) + "]: the name '" + binding.name +
                 "' is taken by another binding; give this one a name: of its own");
    bindings.push_back(std::move(binding));
    auto graph = drives(config, bindings);
    const BindingConfig& added = bindings.back();
    if (reaches(graph, added.target, added.trigger))
      r.fail(node[i], "bindings[" + std::to_string(i) + "]: '" + added.target + "' drives '" + added.trigger +
                          "' again (through wires: or other bindings): this binding would loop");
  }
  return bindings;
}

}  // namespace gpio2mqtt::config

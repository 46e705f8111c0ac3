// The `interlocks:` section: groups of outputs of which at most one may be on at any instant.
#include <map>

#include "yaml_reader.h"

namespace gpio2mqtt::config {
namespace {

constexpr std::chrono::seconds kMaxDeadTime{60};

const LineConfig* find_line(const std::vector<LineConfig>& lines, const std::string& name) {
  for (const auto& line : lines)
    if (line.name == name) return &line;
  return nullptr;
}

// The levels a group's outputs start at and fall to without a broker must keep the promise too.
void check_levels(const YamlReader& r, const YAML::Node& names, const InterlockConfig& group,
                  const std::vector<LineConfig>& lines, const std::string& what) {
  std::size_t starting_on = 0, held_on = 0;
  for (std::size_t i = 0; i < group.lines.size(); ++i) {
    const LineConfig& line = *find_line(lines, group.lines[i]);
    if (line.initial && ++starting_on > 1)
      r.fail(names[i], what + ": '" + line.name + "' and another line of this group both have initial: on");
    if (line.on_disconnect == OnDisconnect::kOn) ++held_on;
  }
  if (held_on == 0) return;
  for (std::size_t i = 0; i < group.lines.size(); ++i) {
    const LineConfig& line = *find_line(lines, group.lines[i]);
    if (line.on_disconnect == OnDisconnect::kOn && held_on > 1)
      r.fail(names[i], what + ": '" + line.name + "' and another line of this group both have on_disconnect: on");
    if (line.on_disconnect == OnDisconnect::kKeep)
      r.fail(names[i], what + ": '" + line.name +
                           "' keeps its level without a broker (on_disconnect: keep, the default) while another "
                           "line of this group has on_disconnect: on; give it on_disconnect: off");
  }
}

}  // namespace

std::vector<InterlockConfig> load_interlocks(const YamlReader& r, const YAML::Node& node,
                                             const std::vector<LineConfig>& lines) {
  if (!node.IsSequence())
    r.fail(node, "interlocks: expected a list of groups, e.g. - {lines: [up, down], dead_time: 500ms}");
  std::vector<InterlockConfig> groups;
  std::map<std::string, std::size_t> group_of;  // line name -> 1-based group number
  for (const auto& entry : node) {
    InterlockConfig group;
    group.where = r.at(entry);
    const std::string what = "interlocks[" + std::to_string(groups.size()) + "]";
    r.expect_map(entry, what, {"lines", "dead_time"});
    const YAML::Node& names = entry["lines"];
    if (!names || !names.IsSequence() || names.size() < 2)
      r.fail(names ? names : entry, what + ".lines: expected a list of at least two outputs");
    for (const auto& name_node : names) {
      std::string name = r.string(name_node, what + ".lines");
      const LineConfig* line = find_line(lines, name);
      if (!line) r.fail(name_node, what + ": no line '" + name + "' is configured");
      if (line->direction != gpio::Direction::kOutput)
        r.fail(name_node, what + ": '" + name + "' is an input; an interlock groups outputs");
      auto [it, added] = group_of.emplace(name, groups.size() + 1);
      if (!added)
        r.fail(name_node, it->second == groups.size() + 1
                              ? what + ": '" + name + "' is listed twice"
                              : what + ": '" + name + "' is already in interlocks[" + std::to_string(it->second - 1) +
                                    "]; a line may be in one group only");
      group.lines.push_back(name);
    }
    if (const auto& n = entry["dead_time"]) {
      group.dead_time = r.duration(n, what + ".dead_time");
      if (group.dead_time.count() < 0 || group.dead_time > kMaxDeadTime)
        r.fail(n, what + ".dead_time: expected 0 to 60s, e.g. 500ms");
    }
    check_levels(r, names, group, lines, what);
    groups.push_back(std::move(group));
  }
  return groups;
}

}  // namespace gpio2mqtt::config

// The chip and line of a line (chip_line.h).
#include "chip_line.h"

#include <algorithm>

namespace gpio2mqtt::config {
namespace {

std::string joined(const std::vector<std::string>& names) {
  std::string out;
  for (const auto& n : names) out += (out.empty() ? "" : ", ") + n;
  return out;
}

// Binds a line to its chip; on simulated chips the name or offset is checked here already. Its
// messages name the line as `lines:` does, also for a software PWM output's line.
void resolve_chip(const YamlReader& r, const YAML::Node& node, LineConfig& line, const std::vector<ChipConfig>& chips) {
  const std::string what = "line '" + line.name + "'";
  if (chips.empty()) r.fail(node, what + ": no chips are configured");
  const ChipConfig* chip = nullptr;
  if (node["chip"]) {
    line.chip = r.string(node["chip"], what + ".chip");
    auto it = std::find_if(chips.begin(), chips.end(), [&](const auto& c) { return c.name == line.chip; });
    if (it == chips.end()) {
      std::vector<std::string> names;
      for (const auto& c : chips) names.push_back(c.name);
      r.fail(node["chip"], what + ": no chip '" + line.chip + "'; configured chips: " + joined(names));
    }
    chip = &*it;
  } else if (chips.size() == 1) {
    chip = &chips.front();
  } else if (std::all_of(chips.begin(), chips.end(),
                         [](const auto& c) { return c.kind == ChipConfig::Kind::kSimulated; })) {
    for (const auto& c : chips) {
      bool has = line.offset ? false : std::count(c.simulated.lines.begin(), c.simulated.lines.end(), line.line) > 0;
      if (!has) continue;
      if (chip)
        r.fail(node["line"], what + ": " + line.line_spec() + " is on chips '" + chip->name + "' and '" + c.name +
                                 "'; say which with chip:");
      chip = &c;
    }
    if (!chip && line.offset) r.fail(node["line"], what + ": an offset needs a chip: when there are several chips");
  }
  if (!chip) return;  // several hardware chips: the line name is searched on all at start-up
  line.chip = chip->name;
  if (chip->kind != ChipConfig::Kind::kSimulated) return;
  const auto& names = chip->simulated.lines;
  if (line.offset && *line.offset >= names.size())
    r.fail(node["line"], what + ": chip '" + chip->name + "' has " + std::to_string(names.size()) +
                             " lines (offsets 0.." + std::to_string(names.size() - 1) + ")");
  if (!line.offset && std::find(names.begin(), names.end(), line.line) == names.end())
    r.fail(node["line"],
           what + ": chip '" + chip->name + "' has no line '" + line.line + "'; its lines: " + joined(names));
}

// A `line:` value: a line name, or an offset when it is all digits.
void load_line_spec(const YamlReader& r, const YAML::Node& node, const std::string& what, LineConfig& line) {
  line.line_where = r.at(node);
  std::string spec = r.string(node, what + ".line");
  if (!spec.empty() && std::all_of(spec.begin(), spec.end(), [](char c) { return c >= '0' && c <= '9'; }))
    line.offset = static_cast<unsigned>(r.integer(node, what + ".line", 0, 1023));
  else if (spec.empty()) r.fail(node, what + ".line: expected a line name or an offset");
  else line.line = spec;
}

}  // namespace

void read_chip_line(const YamlReader& r, const YAML::Node& node, const std::string& what, LineConfig& line,
                    const std::vector<ChipConfig>& chips) {
  load_line_spec(r, node["line"], what, line);
  resolve_chip(r, node, line, chips);
}

}  // namespace gpio2mqtt::config

// The `covers:` section: shutters, blinds and garage doors on lines configured under `lines:`.
// A motor's two outputs become an interlock group of their own; every line a cover names is
// marked as the cover's (LineConfig::cover), so that nothing else drives it.
#include <algorithm>

#include "yaml_reader.h"

namespace gpio2mqtt::config {
namespace {

constexpr std::chrono::hours kMaxTravel{1};
constexpr std::chrono::seconds kMaxDeadTime{60};  // as an interlock's

LineConfig* find_line(std::vector<LineConfig>& lines, const std::string& name) {
  for (auto& line : lines)
    if (line.name == name) return &line;
  return nullptr;
}

// The line `key` names, checked for its role: an output the cover drives, or an end-stop input.
std::string claim(const YamlReader& r, const YAML::Node& entry, const char* key, bool output, Config& config,
                  const std::string& what) {
  const YAML::Node& n = entry[key];
  std::string name = r.string(n, what + "." + key);
  LineConfig* line = find_line(config.lines, name);
  if (!line) r.fail(n, what + "." + key + ": no line '" + name + "' is configured");
  bool is_output = line->direction == gpio::Direction::kOutput;
  if (output && !is_output) r.fail(n, what + "." + key + ": '" + name + "' is an input; the cover drives an output");
  if (!output && is_output) r.fail(n, what + "." + key + ": '" + name + "' is an output; an end stop is an input");
  if (!output && line->mode != Mode::kLevel)
    r.fail(n, what + "." + key + ": '" + name + "' is a counter or a button; an end stop is a plain input");
  if (!line->cover.empty())
    r.fail(n, what + "." + key + ": '" + name + "' is already a line of cover '" + line->cover + "'");
  if (output && config.interlocked(name))
    r.fail(n, what + "." + key + ": '" + name +
                  "' is in an interlocks: group; a cover's motor is an interlock group of its own");
  if (output && line->initial) r.fail(n, what + "." + key + ": '" + name + "' has initial: on; a cover starts still");
  if (output && line->on_disconnect == OnDisconnect::kOn)
    r.fail(n, what + "." + key + ": '" + name + "' has on_disconnect: on; the cover's on_disconnect says what it does");
  if (output && line->momentary)
    r.fail(n, what + "." + key + ": '" + name + "' is momentary; the cover's press: sets a button's press");
  line->cover = what.substr(what.find('.') + 1);
  return name;
}

std::chrono::nanoseconds duration_in(const YamlReader& r, const YAML::Node& n, const std::string& what,
                                     std::chrono::nanoseconds min, std::chrono::nanoseconds max,
                                     const std::string& expected) {
  auto value = r.duration(n, what);
  if (value < min || value > max) r.fail(n, what + ": expected " + expected);
  return value;
}

CoverConfig load_cover(const YamlReader& r, const YAML::Node& key, const YAML::Node& node, Config& config) {
  CoverConfig cover;
  cover.name = r.string(key, "covers");
  cover.where = r.at(key);
  const std::string what = "covers." + cover.name;
  if (cover.name.empty() || cover.name.find_first_of("/+#") != std::string::npos)
    r.fail(key, what + ": a cover's name is one topic level (no '/', '+' or '#', not empty)");
  if (cover.name == "binding") r.fail(key, what + ": 'binding' is the bindings' topic level; name the cover otherwise");
  if (find_line(config.lines, cover.name))
    r.fail(key, what + ": a line has this name; a cover's topics would be the line's");
  r.expect_map(node, what,
               {"open", "close", "button", "opened", "closed", "open_time", "close_time", "margin", "dead_time",
                "press", "persist_every", "on_disconnect", "device_class", "name"});
  cover.one_button = static_cast<bool>(node["button"]);
  if (cover.one_button && (node["open"] || node["close"]))
    r.fail(node["button"], what + ": either a motor (open: and close:) or a one-button operator (button:), not both");
  if (!cover.one_button && !(node["open"] && node["close"]))
    r.fail(node, what + ": 'open:' and 'close:' (a motor's outputs) or 'button:' (a one-button operator) are required");
  if (cover.one_button) {
    cover.button = claim(r, node, "button", true, config, what);
  } else {
    cover.open = claim(r, node, "open", true, config, what);
    cover.close = claim(r, node, "close", true, config, what);
  }
  if (node["opened"]) cover.opened = claim(r, node, "opened", false, config, what);
  if (node["closed"]) cover.closed = claim(r, node, "closed", false, config, what);
  for (const char* travel : {"open_time", "close_time"})
    if (!node[travel]) r.fail(node, what + ": '" + travel + ":' is required (how long a full travel takes, e.g. 25s)");
  const auto ms = std::chrono::milliseconds(1);
  cover.open_time = duration_in(r, node["open_time"], what + ".open_time", 100 * ms, kMaxTravel, "100ms to 1h");
  cover.close_time = duration_in(r, node["close_time"], what + ".close_time", 100 * ms, kMaxTravel, "100ms to 1h");
  if (node["margin"]) cover.margin = duration_in(r, node["margin"], what + ".margin", {}, kMaxTravel, "0 to 1h");
  if (node["dead_time"])
    cover.dead_time = duration_in(r, node["dead_time"], what + ".dead_time", {}, kMaxDeadTime, "0 to 60s");
  if (node["press"]) {
    if (!cover.one_button) r.fail(node["press"], what + ".press: goes with button: (a one-button operator)");
    cover.press = duration_in(r, node["press"], what + ".press", 10 * ms, std::chrono::seconds(10), "10ms to 10s");
  }
  if (node["persist_every"])
    cover.persist_every =
        duration_in(r, node["persist_every"], what + ".persist_every", 100 * ms, kMaxTravel, "100ms to 1h");
  if (node["on_disconnect"])
    cover.on_disconnect = r.choice<CoverConfig::OnDisconnect>(
        node["on_disconnect"], what + ".on_disconnect",
        {{"stop", CoverConfig::OnDisconnect::kStop}, {"keep", CoverConfig::OnDisconnect::kKeep}});
  cover.device_class = cover.one_button ? "garage" : "shutter";
  if (node["device_class"])
    cover.device_class = r.choice<std::string>(node["device_class"], what + ".device_class",
                                               {{"awning", "awning"},
                                                {"blind", "blind"},
                                                {"curtain", "curtain"},
                                                {"damper", "damper"},
                                                {"door", "door"},
                                                {"garage", "garage"},
                                                {"gate", "gate"},
                                                {"shade", "shade"},
                                                {"shutter", "shutter"},
                                                {"window", "window"}});
  if (node["name"]) cover.title = r.string(node["name"], what + ".name");
  return cover;
}

}  // namespace

void load_covers(const YamlReader& r, const YAML::Node& node, Config& config) {
  for (const auto& [key, entry] : r.entries(node, "covers")) {
    CoverConfig cover = load_cover(r, key, entry, config);
    if (!cover.one_button) {
      InterlockConfig group;
      group.lines = {cover.open, cover.close};
      group.dead_time = cover.dead_time;
      group.cover = cover.name;
      group.where = cover.where;
      config.interlocks.push_back(std::move(group));
    }
    config.covers.push_back(std::move(cover));
  }
}

}  // namespace gpio2mqtt::config

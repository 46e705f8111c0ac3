// The `lines:` section: one entry per line the bridge serves.
#include <algorithm>

#include "chip_line.h"
#include "config/names.h"
#include "util/text.h"
#include "yaml_reader.h"

namespace gpio2mqtt::config {
namespace {

void reject(const YamlReader& r, const YAML::Node& node, const char* key, const std::string& why) {
  if (node[key]) r.fail(node[key], why);
}

constexpr std::initializer_list<const char*> kCounterKeys = {"pulses_per_unit", "unit", "rate_timeout",
                                                             "publish_interval", "persist_every"};

std::chrono::nanoseconds positive_duration(const YamlReader& r, const YAML::Node& node, const std::string& what,
                                           std::chrono::hours max) {
  auto value = r.duration(node, what);
  if (value.count() <= 0 || value > max)
    r.fail(node, what + ": expected more than 0 and at most " + std::to_string(max.count()) + "h");
  return value;
}

CounterConfig load_counter(const YamlReader& r, const YAML::Node& node, const std::string& what) {
  CounterConfig counter;
  if (const auto& n = node["pulses_per_unit"]) {
    std::string text = r.string(n, what + ".pulses_per_unit");
    std::size_t used = 0;
    double value = 0;
    try {
      value = std::stod(text, &used);
    } catch (const std::exception&) {
      used = 0;
    }
    if (used == 0 || used != text.size() || !(value > 0) || value > 1e9)
      r.fail(n, what + ".pulses_per_unit: expected a number above 0 (e.g. 1000 for an S0 meter of 1000 imp/kWh)");
    counter.pulses_per_unit = value;
  }
  if (const auto& n = node["unit"]) {
    counter.unit = r.string(n, what + ".unit");
    if (counter.unit.empty() || counter.unit.size() > 16)
      r.fail(n, what + ".unit: expected 1 to 16 characters, e.g. kWh, m³, L");
  }
  if (const auto& n = node["rate_timeout"])
    counter.rate_timeout = positive_duration(r, n, what + ".rate_timeout", std::chrono::hours(24));
  if (const auto& n = node["publish_interval"])
    counter.publish_interval = positive_duration(r, n, what + ".publish_interval", std::chrono::hours(1));
  if (const auto& n = node["persist_every"])
    counter.persist_every = positive_duration(r, n, what + ".persist_every", std::chrono::hours(24));
  return counter;
}

ButtonConfig load_button(const YamlReader& r, const YAML::Node& node, const std::string& what) {
  ButtonConfig button;
  r.expect_map(node, what, {"window", "long_press", "gestures"});
  auto bounded = [&](const YAML::Node& n, const std::string& key, std::chrono::seconds max) {
    auto value = r.duration(n, what + "." + key);
    if (value.count() <= 0 || value > max)
      r.fail(n, what + "." + key + ": expected more than 0 and at most " + std::to_string(max.count()) + "s");
    return value;
  };
  if (const auto& n = node["window"]) button.window = bounded(n, "window", std::chrono::seconds(5));
  if (const auto& n = node["long_press"]) button.long_press = bounded(n, "long_press", std::chrono::seconds(60));
  if (const auto& n = node["gestures"]) {
    std::string names;
    for (Gesture g : kAllGestures) names += (names.empty() ? "" : ", ") + std::string(gesture_name(g));
    if (!n.IsSequence() || n.size() == 0)
      r.fail(n, what + ".gestures: expected a list of one or more of " + names + " (e.g. [single, double, long])");
    std::vector<Gesture> chosen;
    for (const auto& item : n) {
      std::string name = r.string(item, what + ".gestures");
      auto gesture = parse_gesture(name);
      if (!gesture) r.fail(item, what + ".gestures: '" + name + "' is not one of " + names);
      if (std::find(chosen.begin(), chosen.end(), *gesture) != chosen.end())
        r.fail(item, what + ".gestures: '" + name + "' is listed twice");
      chosen.push_back(*gesture);
    }
    button.gestures.clear();  // kept in one order, so that a reordered list is the same settings
    for (Gesture g : kAllGestures)
      if (std::find(chosen.begin(), chosen.end(), g) != chosen.end()) button.gestures.push_back(g);
  }
  return button;
}

}  // namespace

LineEntityConfig load_line_entity(const YamlReader& r, const YAML::Node& node, const LineConfig& line);

LineConfig load_line(const YamlReader& r, const YAML::Node& key, const YAML::Node& node,
                     const std::vector<ChipConfig>& chips) {
  LineConfig line;
  const std::string what = "line '" + key.Scalar() + "'";
  r.open_entry(key, node, what, "line",
               {"chip", "line", "direction", "edge", "bias", "active_low", "debounce", "initial", "on_disconnect",
                "drive", "mode", "pulses_per_unit", "unit", "rate_timeout", "publish_interval", "persist_every",
                "button", "momentary", "homeassistant"},
               line);
  if (!node["line"]) r.fail(key, what + ": 'line:' is required (a line name like GPIO17, or an offset)");
  read_chip_line(r, node, what, line, chips);

  using gpio::Bias, gpio::Direction, gpio::Drive;
  if (node["direction"])
    line.direction = r.choice<Direction>(node["direction"], what + ".direction",
                                         {{"input", Direction::kInput}, {"output", Direction::kOutput}});
  if (node["bias"]) line.bias = r.choice<Bias>(node["bias"], what + ".bias", kBiasNames);
  if (node["active_low"]) line.active_low = r.boolean(node["active_low"], what + ".active_low");

  if (node["mode"])
    line.mode = r.choice<Mode>(node["mode"], what + ".mode",
                               {{"level", Mode::kLevel}, {"counter", Mode::kCounter}, {"button", Mode::kButton}});
  if (line.mode == Mode::kCounter && line.direction != Direction::kInput)
    r.fail(node["mode"], what + ": mode counter is for inputs");
  if (line.mode == Mode::kButton && line.direction != Direction::kInput)
    r.fail(node["mode"], what + ": mode button is for inputs");
  if (line.mode == Mode::kButton && node["button"]) line.button = load_button(r, node["button"], what + ".button");
  if (line.mode != Mode::kButton) reject(r, node, "button", what + ": button is for inputs in mode: button");
  if (line.mode != Mode::kCounter)
    for (const char* name : kCounterKeys) reject(r, node, name, what + ": " + name + " is for inputs in mode: counter");
  if (line.mode == Mode::kCounter) {
    line.counter = load_counter(r, node, what);
    if (!node["edge"]) line.edge = Edge::kFalling;  // an S0 output pulls the line low for each pulse
  }

  if (line.direction == Direction::kInput) {
    reject(r, node, "initial", what + ": an input has no initial level (initial is for outputs)");
    reject(r, node, "on_disconnect", what + ": on_disconnect is for outputs");
    reject(r, node, "drive", what + ": drive is for outputs");
    reject(r, node, "momentary", what + ": momentary is for outputs");
    if (node["edge"]) line.edge = r.choice<Edge>(node["edge"], what + ".edge", kEdgeNames);
    if (line.edge == Edge::kNone && line.mode == Mode::kCounter)
      r.fail(node["edge"], what + ".edge: a counter counts rising, falling or both edges (none counts nothing)");
    if (node["debounce"]) {
      line.debounce = r.duration(node["debounce"], what + ".debounce");
      if (line.debounce > std::chrono::seconds(10)) r.fail(node["debounce"], what + ".debounce: at most 10s");
    }
  } else {
    reject(r, node, "edge", what + ": edge is for inputs");
    reject(r, node, "debounce", what + ": debounce is for inputs");
    if (node["initial"]) line.initial = r.boolean(node["initial"], what + ".initial");
    if (node["drive"]) line.drive = r.choice<Drive>(node["drive"], what + ".drive", kDriveNames);
    if (node["on_disconnect"]) {
      std::string v = ascii_lower(r.string(node["on_disconnect"], what + ".on_disconnect"));
      if (v == "keep") line.on_disconnect = OnDisconnect::kKeep;
      else
        line.on_disconnect = r.boolean(node["on_disconnect"], what + ".on_disconnect (on, off or keep)")
                                 ? OnDisconnect::kOn
                                 : OnDisconnect::kOff;
    }
    if (const auto& n = node["momentary"]) {
      line.momentary = r.duration(n, what + ".momentary");
      if (line.momentary->count() <= 0 || *line.momentary > std::chrono::hours(1))
        r.fail(n, what + ".momentary: expected a pulse length above 0 and at most 1h, e.g. 500ms");
      // It rests off: a pulse that never ends would be no pulse.
      if (line.initial) r.fail(node["initial"], what + ": a momentary output starts off (initial: on is refused)");
      if (line.on_disconnect == OnDisconnect::kOn)
        r.fail(node["on_disconnect"], what + ": a momentary output cannot be held on (on_disconnect: on is refused)");
    }
  }
  if (node["homeassistant"]) line.entity = load_line_entity(r, node["homeassistant"], line);
  return line;
}

}  // namespace gpio2mqtt::config

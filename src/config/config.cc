// The members of the typed configuration (config.h); the loaders fill it, in loader.cc and beside.
#include "gpio2mqtt/config/config.h"

#include <algorithm>

namespace gpio2mqtt::config {

std::string Location::str() const { return file + ":" + std::to_string(line) + ":" + std::to_string(column); }

bool MqttConfig::broker_is_local(const std::string& hostname) const {
  return std::all_of(servers.begin(), servers.end(), [&](const std::string& uri) {
    std::string host = uri.substr(uri.find("://") + 3);
    host = host.substr(0, host.rfind(':'));
    if (!host.empty() && host.front() == '[') host = host.substr(1, host.size() - 2);
    return host == "localhost" || host.rfind("127.", 0) == 0 || host == "::1" || host == hostname;
  });
}

const ChipConfig* Config::find_chip(const std::string& name) const {
  for (const auto& chip : chips)
    if (chip.name == name) return &chip;
  return nullptr;
}

bool Config::interlocked(const std::string& line) const {
  for (const auto& group : interlocks)
    for (const auto& name : group.lines)
      if (name == line) return true;
  return false;
}

bool Config::has_counters() const {
  for (const auto& line : lines)
    if (line.mode == Mode::kCounter) return true;
  return false;
}

bool Config::follows_homeassistant() const {
  if (homeassistant.discovery) return true;
  for (const auto& binding : bindings)
    if (binding.when == BindingConfig::When::kHaOffline) return true;
  return false;
}

std::string_view gesture_name(Gesture gesture) {
  switch (gesture) {
    case Gesture::kSingle:
      return "single";
    case Gesture::kDouble:
      return "double";
    case Gesture::kTriple:
      return "triple";
    case Gesture::kLong:
      return "long";
    case Gesture::kLongRelease:
      return "long_release";
  }
  return "?";
}

std::optional<Gesture> parse_gesture(std::string_view name) {
  for (Gesture gesture : kAllGestures)
    if (gesture_name(gesture) == name) return gesture;
  return std::nullopt;
}

std::string LineConfig::line_spec() const { return offset ? "offset " + std::to_string(*offset) : "line " + line; }

bool ChipConfig::same_settings(const ChipConfig& other) const {
  ChipConfig a = *this, b = other;
  a.where = b.where = {};
  return a == b;
}

gpio::Edges LineConfig::kernel_edges(bool kernel_debounces) const {
  if (direction != gpio::Direction::kInput || mode != Mode::kCounter) return gpio::Edges::kBoth;
  if (debounce.count() != 0 && !kernel_debounces) return gpio::Edges::kBoth;  // the bridge sees glitches end
  if (edge == Edge::kRising) return gpio::Edges::kRising;
  if (edge == Edge::kFalling) return gpio::Edges::kFalling;
  return gpio::Edges::kBoth;
}

bool LineConfig::same_settings(const LineConfig& other) const {
  // A reload matches every new line against every old one: most differ by name, so say so before
  // copying two whole configs (with 500 lines, those copies made the reload take a second).
  if (name != other.name) return false;
  LineConfig a = *this, b = other;
  a.where = b.where = a.line_where = b.line_where = {};
  a.entity = b.entity = {};  // how Home Assistant shows it: renaming an entity must not click a relay
  a.cover = b.cover = {};    // who drives it: the request stays what it was
  return a == b;
}

bool PwmOutputConfig::same_settings(const PwmOutputConfig& other) const {
  if (name != other.name) return false;
  PwmOutputConfig a = *this, b = other;
  a.where = b.where = a.chip_where = b.chip_where = {};
  a.component = b.component;
  a.hidden = b.hidden;
  a.entity_name = b.entity_name;
  a.icon = b.icon;
  return a == b;
}

}  // namespace gpio2mqtt::config

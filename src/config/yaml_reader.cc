#include "yaml_reader.h"

#include <set>

#include "util/text.h"

namespace gpio2mqtt::config {

Location YamlReader::at(const YAML::Mark& mark) const {
  if (mark.is_null()) return {file_, 1, 1};
  return {file_, mark.line + 1, mark.column + 1};
}

Location YamlReader::at(const YAML::Node& node) const { return at(node.Mark()); }

void YamlReader::fail(const YAML::Node& node, const std::string& message) const {
  throw ConfigError(at(node), message);
}

void YamlReader::check_duplicate_keys(const YAML::Node& node, const std::string& what) const {
  std::set<std::string> seen;
  for (const auto& pair : node) {
    const YAML::Node& key = pair.first;
    if (!key.IsScalar()) fail(key, what + ": keys must be plain names");
    if (!seen.insert(key.Scalar()).second) fail(key, what + ": key '" + key.Scalar() + "' appears twice");
  }
}

void YamlReader::expect_map(const YAML::Node& node, const std::string& what,
                            std::initializer_list<const char*> allowed) const {
  if (!node.IsMap()) fail(node, what + ": expected a mapping of keys to values");
  check_duplicate_keys(node, what);
  for (const auto& pair : node) {
    const std::string& key = pair.first.Scalar();
    bool known = false;
    std::string expected;
    for (const char* name : allowed) {
      known = known || key == name;
      expected += (expected.empty() ? "" : ", ") + std::string(name);
    }
    if (!known) fail(pair.first, what + ": unknown key '" + key + "'; expected one of: " + expected);
  }
}

std::vector<std::pair<YAML::Node, YAML::Node>> YamlReader::entries(const YAML::Node& node,
                                                                   const std::string& what) const {
  if (!node.IsMap()) fail(node, what + ": expected a mapping of names to settings");
  check_duplicate_keys(node, what);
  std::vector<std::pair<YAML::Node, YAML::Node>> out;
  for (const auto& pair : node) out.emplace_back(pair.first, pair.second);
  return out;
}

std::string YamlReader::string(const YAML::Node& node, const std::string& what) const {
  if (!node.IsScalar()) fail(node, what + ": expected a single value");
  return node.Scalar();
}

long long YamlReader::integer(const YAML::Node& node, const std::string& what, long long min, long long max) const {
  std::string text = string(node, what);
  long long value = 0;
  try {
    std::size_t used = 0;
    value = std::stoll(text, &used, 10);
    if (used != text.size()) throw std::invalid_argument(text);
  } catch (const std::exception&) {
    fail(node, what + ": expected a whole number, got '" + text + "'");
  }
  if (value < min || value > max)
    fail(node, what + ": " + text + " is out of range " + std::to_string(min) + ".." + std::to_string(max));
  return value;
}

bool YamlReader::boolean(const YAML::Node& node, const std::string& what) const {
  std::string text = ascii_lower(string(node, what));
  if (text == "true" || text == "on" || text == "yes" || text == "1") return true;
  if (text == "false" || text == "off" || text == "no" || text == "0") return false;
  fail(node, what + ": expected true/false (or on/off), got '" + node.Scalar() + "'");
}

void YamlReader::expect_topic_level(const YAML::Node& key, const std::string& what, const std::string& kind) const {
  if (!is_safe_topic_level(key.Scalar()))
    fail(key, what + ": a " + (kind.empty() ? "" : kind + " ") +
                  "name is one topic level and part of ids that must be ASCII: use ASCII letters (a-z, A-Z), "
                  "digits, '_', '-' or '.'");
}

std::chrono::nanoseconds YamlReader::duration(const YAML::Node& node, const std::string& what) const {
  std::string text = string(node, what);
  auto value = parse_duration(text);
  if (!value)
    fail(node, what + ": '" + text + "' is not a duration; expected a number and a unit, e.g. 10ms, 1.5s, 2m");
  return *value;
}

}  // namespace gpio2mqtt::config

// Typed access to yaml-cpp nodes that turns every mistake into a ConfigError at the node.
#pragma once

#include <yaml-cpp/yaml.h>

#include <chrono>
#include <initializer_list>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include "gpio2mqtt/config/loader.h"

namespace gpio2mqtt::config {

class YamlReader {
 public:
  explicit YamlReader(std::string file) : file_(std::move(file)) {}

  Location at(const YAML::Node& node) const;
  Location at(const YAML::Mark& mark) const;
  [[noreturn]] void fail(const YAML::Node& node, const std::string& message) const;

  // `node` must be a mapping whose keys are all in `allowed` and none repeated.
  void expect_map(const YAML::Node& node, const std::string& what, std::initializer_list<const char*> allowed) const;
  // Pairs of a mapping in file order, for maps with free keys (chips, lines); repeated keys fail.
  std::vector<std::pair<YAML::Node, YAML::Node>> entries(const YAML::Node& node, const std::string& what) const;

  // `key` is the name of a line or sensor (`kind`; empty: a name): one topic level and part of ids
  // that must be ASCII.
  void expect_topic_level(const YAML::Node& key, const std::string& what, const std::string& kind) const;
  // The opening of a named entry (a line, a sensor, a threshold, a PWM output), read alike by their
  // loaders: `entry`'s name and place from `key`, the name one topic level (expect_topic_level),
  // `node` a map of `allowed` keys. `what` names the entry in messages.
  template <typename Entry>
  void open_entry(const YAML::Node& key, const YAML::Node& node, const std::string& what, const std::string& kind,
                  std::initializer_list<const char*> allowed, Entry& entry) const {
    entry.name = key.Scalar();
    entry.where = at(key);
    expect_topic_level(key, what, kind);
    expect_map(node, what, allowed);
  }

  std::string string(const YAML::Node& node, const std::string& what) const;
  long long integer(const YAML::Node& node, const std::string& what, long long min, long long max) const;
  bool boolean(const YAML::Node& node, const std::string& what) const;
  std::chrono::nanoseconds duration(const YAML::Node& node, const std::string& what) const;

  template <typename T>
  T choice(const YAML::Node& node, const std::string& what,
           std::initializer_list<std::pair<const char*, T>> options) const {
    return choice(node, what, std::span<const std::pair<const char*, T>>(options.begin(), options.size()));
  }
  template <typename T>
  T choice(const YAML::Node& node, const std::string& what, std::span<const std::pair<const char*, T>> options) const {
    std::string value = string(node, what);
    std::string expected;
    for (const auto& [name, result] : options) {
      if (value == name) return result;
      expected += (expected.empty() ? "" : " | ") + std::string(name);
    }
    fail(node, what + ": '" + value + "' is not one of " + expected);
  }

 private:
  void check_duplicate_keys(const YAML::Node& node, const std::string& what) const;
  std::string file_;
};

}  // namespace gpio2mqtt::config

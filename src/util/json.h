// A strict JSON reader: what a payload says, as Home Assistant's json.loads would read it
// (duplicate keys are refused, to catch a writer that repeats one). The bridge reads its own
// retained discovery payload with it; tests read every payload.
#pragma once

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace gpio2mqtt {

struct Json {
  enum class Kind { kNull, kBool, kNumber, kString, kArray, kObject } kind = Kind::kNull;
  bool boolean = false;
  double number = 0;
  std::string string;
  std::vector<Json> array;
  std::map<std::string, Json> object;

  bool is_object() const { return kind == Kind::kObject; }
  bool is_string() const { return kind == Kind::kString; }
  bool has(const std::string& key) const { return is_object() && object.count(key); }
  // The member `key`, or a null value when there is none.
  const Json& operator[](const std::string& key) const;
};

// nullopt when `text` is not exactly one JSON value.
std::optional<Json> parse_json(std::string_view text);

}  // namespace gpio2mqtt

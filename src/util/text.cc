#include "util/text.h"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cmath>

namespace gpio2mqtt {

std::optional<std::chrono::nanoseconds> parse_duration(std::string_view text) {
  while (!text.empty() && std::isspace(static_cast<unsigned char>(text.back()))) text.remove_suffix(1);
  if (text.empty()) return std::nullopt;
  std::size_t unit_at = 0;
  while (unit_at < text.size() && (std::isdigit(static_cast<unsigned char>(text[unit_at])) || text[unit_at] == '.'))
    ++unit_at;
  if (unit_at == 0) return std::nullopt;
  double number = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + unit_at, number);
  if (ec != std::errc() || end != text.data() + unit_at || !std::isfinite(number)) return std::nullopt;
  std::string_view unit = text.substr(unit_at);
  double scale = 0;
  if (unit == "ns") scale = 1;
  else if (unit == "us") scale = 1e3;
  else if (unit == "ms") scale = 1e6;
  else if (unit == "s") scale = 1e9;
  else if (unit == "m" || unit == "min") scale = 60e9;
  else if (unit == "h") scale = 3600e9;
  else if (unit.empty() && number == 0) scale = 1;  // a bare 0 needs no unit
  else return std::nullopt;
  double ns = number * scale;
  if (ns > 1e18) return std::nullopt;  // ~31 years: a typo, not a setting
  return std::chrono::nanoseconds(static_cast<long long>(std::llround(ns)));
}

std::string_view trimmed(std::string_view text) {
  while (!text.empty() && std::isspace(static_cast<unsigned char>(text.front()))) text.remove_prefix(1);
  while (!text.empty() && std::isspace(static_cast<unsigned char>(text.back()))) text.remove_suffix(1);
  return text;
}

std::string ascii_lower(std::string_view text) {
  std::string out(text);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

Expanded expand_placeholders(std::string_view text, std::string_view hostname, std::string_view machine_id) {
  Expanded out;
  for (std::size_t i = 0; i < text.size(); ++i) {
    std::size_t end = text[i] == '{' ? text.find('}', i) : std::string_view::npos;
    std::string_view name = end == std::string_view::npos ? std::string_view() : text.substr(i + 1, end - i - 1);
    bool placeholder = !name.empty() && std::all_of(name.begin(), name.end(), [](char c) {
      return std::isalnum(static_cast<unsigned char>(c)) || c == '_';
    });
    if (!placeholder) {
      out.text += text[i];
      continue;
    }
    if (name == "hostname") out.text += hostname;
    else if (name == "machine_id" && !machine_id.empty()) out.text += machine_id.substr(0, 8);
    else if (out.unknown.empty()) out.unknown = text.substr(i, end - i + 1);
    i = end;
  }
  return out;
}

bool is_safe_topic_level(std::string_view name) {
  if (name.empty()) return false;
  for (char c : name) {
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '_' && c != '-' && c != '.') return false;
  }
  return true;
}

// Well-formed UTF-8 without control characters (U+0000..U+001F, U+007F..U+009F): MQTT 5 section
// 1.5.4 and 3.1.1 section 1.5.3. Brokers close the connection on anything else (mosquitto:
// "Malformed UTF-8"), so a topic that is not is refused in the config rather than at every connect.
namespace {

// The length of the well-formed UTF-8 character at text[i] that is not a control character,
// or 0 (a control character, a stray byte, an overlong or cut-off sequence).
std::size_t text_character_at(std::string_view text, std::size_t i) {
  auto lead = static_cast<unsigned char>(text[i]);
  std::size_t length = lead < 0x80 ? 1 : (lead >> 5) == 0x6 ? 2 : (lead >> 4) == 0xe ? 3 : (lead >> 3) == 0x1e ? 4 : 0;
  if (length == 0 || text.size() - i < length) return 0;
  char32_t code = length == 1 ? lead : lead & (0x7f >> length);
  for (std::size_t k = 1; k < length; ++k) {
    auto next = static_cast<unsigned char>(text[i + k]);
    if ((next & 0xc0) != 0x80) return 0;
    code = (code << 6) | (next & 0x3f);
  }
  static constexpr char32_t kShortest[] = {0, 0, 0x80, 0x800, 0x10000};  // no overlong forms
  if (code < kShortest[length] || code > 0x10ffff || (code >= 0xd800 && code <= 0xdfff)) return 0;
  if (code <= 0x1f || (code >= 0x7f && code <= 0x9f)) return 0;
  return length;
}

}  // namespace

bool is_mqtt_utf8(std::string_view text) {
  for (std::size_t i = 0, length; i < text.size(); i += length)
    if ((length = text_character_at(text, i)) == 0) return false;
  return true;
}

std::string printable_text(std::string_view text) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  for (std::size_t i = 0, length; i < text.size(); i += length) {
    length = text_character_at(text, i);
    if (length && text[i] != '\\') {
      out.append(text.substr(i, length));
      continue;
    }
    auto c = static_cast<unsigned char>(text[i]);
    out += "\\x";
    out += kHex[c >> 4];
    out += kHex[c & 15];
    length = 1;
  }
  return out;
}

bool is_valid_publish_topic(std::string_view topic) {
  if (topic.empty() || topic.size() > 1024) return false;
  if (topic.front() == '/' || topic.back() == '/') return false;
  if (topic.find("//") != std::string_view::npos) return false;
  return topic.find_first_of(std::string_view("+#\0", 3)) == std::string_view::npos && is_mqtt_utf8(topic);
}

}  // namespace gpio2mqtt

namespace gpio2mqtt {

std::string printable(std::string_view text, std::size_t limit) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  for (std::size_t i = 0; i < text.size() && i < limit; ++i) {
    auto c = static_cast<unsigned char>(text[i]);
    if (c >= 0x20 && c < 0x7f && c != '\\') {
      out += static_cast<char>(c);
    } else {
      out += "\\x";
      out += kHex[c >> 4];
      out += kHex[c & 15];
    }
  }
  if (text.size() > limit) out += "...(" + std::to_string(text.size()) + " bytes)";
  return out;
}

}  // namespace gpio2mqtt

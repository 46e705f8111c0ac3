// Small parsers and text checks shared by the config loader and the command grammar; no I/O.
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <string_view>

namespace gpio2mqtt {

// "10ms", "1.5s", "500us", "2m", "1h", "0" -> nanoseconds; nullopt when malformed or negative.
std::optional<std::chrono::nanoseconds> parse_duration(std::string_view text);

// `text` without the blanks (spaces, tabs, newlines) around it.
std::string_view trimmed(std::string_view text);

// Lower-cases ASCII letters.
std::string ascii_lower(std::string_view text);

// `text` with every {hostname} and {machine_id} (its first 8 hex digits) replaced. Any other
// {name} (letters, digits, '_'), or {machine_id} when `machine_id` is empty, is left in `unknown`.
struct Expanded {
  std::string text;
  std::string unknown;  // the first unknown placeholder, braces included
};
Expanded expand_placeholders(std::string_view text, std::string_view hostname, std::string_view machine_id);

// A name usable as one MQTT topic level: letters, digits, '_', '-', '.'; not empty.
bool is_safe_topic_level(std::string_view name);

// Well-formed UTF-8 without control characters: what MQTT allows in a string (topics, client
// identifiers, user names). Brokers close the connection on anything else.
bool is_mqtt_utf8(std::string_view text);

// `text` with control characters, backslashes and bytes that are not well-formed UTF-8 escaped
// as \xNN, and everything else (küche too) kept: for messages that quote what a user wrote.
std::string printable_text(std::string_view text);

// A topic to publish to: no '+', '#', NUL, no empty level, not empty; well-formed UTF-8 without
// control characters.
bool is_valid_publish_topic(std::string_view topic);

}  // namespace gpio2mqtt

namespace gpio2mqtt {
// At most `limit` bytes of `text` with anything unprintable escaped as \xNN: safe in one log line.
std::string printable(std::string_view text, std::size_t limit = 64);
}  // namespace gpio2mqtt

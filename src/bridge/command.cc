#include "gpio2mqtt/bridge/command.h"

#include <cctype>
#include <charconv>

#include "util/text.h"

namespace gpio2mqtt::bridge {
namespace {

std::optional<Command> parse_word(std::string_view word) {
  std::string w = ascii_lower(trimmed(word));
  if (w == "on" || w == "1" || w == "true") return Command{Command::Kind::kSet, true, std::nullopt};
  if (w == "off" || w == "0" || w == "false") return Command{Command::Kind::kSet, false, std::nullopt};
  if (w == "toggle") return Command{Command::Kind::kToggle, false, std::nullopt};
  return std::nullopt;
}

// A strict reader for one flat JSON object whose values are strings, integers or booleans:
// all a command needs, and small enough to fuzz exhaustively.
class FlatJson {
 public:
  explicit FlatJson(std::string_view text) : text_(text) {}

  // Calls on_member(key, raw_value, is_string) for each member; returns an error or "".
  template <typename F>
  std::string parse(F&& on_member) {
    skip_blanks();
    if (!take('{')) return "expected a JSON object";
    skip_blanks();
    if (take('}')) return finish();
    while (true) {
      std::string key, value;
      if (!read_string(key)) return "expected a quoted key";
      skip_blanks();
      if (!take(':')) return "expected ':' after \"" + key + "\"";
      skip_blanks();
      bool is_string = peek() == '"';
      if (is_string ? !read_string(value) : !read_bare(value)) return "bad value for \"" + key + "\"";
      if (std::string error = on_member(key, value, is_string); !error.empty()) return error;
      skip_blanks();
      if (take('}')) return finish();
      if (!take(',')) return "expected ',' or '}'";
      skip_blanks();
    }
  }

 private:
  char peek() const { return pos_ < text_.size() ? text_[pos_] : '\0'; }
  bool take(char c) {
    if (peek() != c || pos_ >= text_.size()) return false;
    ++pos_;
    return true;
  }
  void skip_blanks() {
    while (pos_ < text_.size() && std::isspace(static_cast<unsigned char>(text_[pos_]))) ++pos_;
  }
  std::string finish() {
    skip_blanks();
    return pos_ == text_.size() ? "" : "unexpected text after the JSON object";
  }
  // No escapes: command keys and values are plain words.
  bool read_string(std::string& out) {
    if (!take('"')) return false;
    while (pos_ < text_.size() && text_[pos_] != '"') {
      char c = text_[pos_++];
      if (c == '\\' || static_cast<unsigned char>(c) < 0x20) return false;
      out += c;
    }
    return take('"');
  }
  bool read_bare(std::string& out) {
    while (pos_ < text_.size() && (std::isalnum(static_cast<unsigned char>(text_[pos_])) || text_[pos_] == '-'))
      out += text_[pos_++];
    return !out.empty();
  }

  std::string_view text_;
  std::size_t pos_ = 0;
};

std::variant<Command, std::string> parse_json(std::string_view payload) {
  std::optional<Command> command;
  std::optional<long long> pulse_ms;
  std::string error =
      FlatJson(payload).parse([&](const std::string& key, const std::string& value, bool is_string) -> std::string {
        if (key == "state") {
          if (command) return "\"state\" given twice";
          if (!is_string && value != "true" && value != "false" && value != "1" && value != "0")
            return "\"state\" must be ON, OFF, TOGGLE, true, false, 1 or 0";
          command = parse_word(value);
          return command ? "" : "\"state\": '" + value + "' is not ON, OFF or TOGGLE";
        }
        if (key == "pulse_ms") {
          long long ms = 0;
          auto [end, ec] = std::from_chars(value.data(), value.data() + value.size(), ms);
          if (is_string || ec != std::errc() || end != value.data() + value.size())
            return "\"pulse_ms\" must be a whole number";
          if (ms < 1 || ms > kMaxPulse.count()) return "\"pulse_ms\" must be 1 to " + std::to_string(kMaxPulse.count());
          pulse_ms = ms;
          return "";
        }
        return "unknown key \"" + key + "\"; expected \"state\" and optionally \"pulse_ms\"";
      });
  if (!error.empty()) return error;
  if (!command) return std::string("missing \"state\"");
  if (pulse_ms) {
    if (command->kind == Command::Kind::kToggle) return std::string("\"pulse_ms\" goes with ON or OFF, not TOGGLE");
    command->pulse = std::chrono::milliseconds(*pulse_ms);
  }
  return *command;
}

}  // namespace

std::variant<Command, std::string> parse_command(std::string_view payload) {
  if (payload.size() > kMaxCommandPayload) return std::string("payload too large");
  std::string_view text = trimmed(payload);
  if (text.empty()) return std::string("empty payload");
  if (text.front() == '{') return parse_json(text);
  if (auto command = parse_word(text)) return *command;
  return std::string("expected ON, OFF, 1, 0, true, false, TOGGLE or JSON {\"state\":...}");
}

std::string format_event(const EdgeReport& report) {
  std::string out;
  out.reserve(96);
  out += R"({"edge":")";
  out += report.rising ? "rising" : "falling";
  out += R"(","state":")";
  out += state_word(report.rising);
  out += R"(","timestamp_ns":)";
  out += std::to_string(report.timestamp_ns);
  out += R"(,"seq":)";
  out += std::to_string(report.seq);
  if (report.global_seqno != 0) {  // from the kernel (uAPI v2), which numbers from 1
    out += R"(,"line_seqno":)";
    out += std::to_string(report.line_seqno);
    out += R"(,"global_seqno":)";
    out += std::to_string(report.global_seqno);
  }
  out += '}';
  return out;
}

}  // namespace gpio2mqtt::bridge

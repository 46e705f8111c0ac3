// The command grammar of `<base>/<line>/set`, and the JSON of `<base>/<line>/event`.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <variant>

namespace gpio2mqtt::bridge {

// Command payloads larger than this are dropped unread.
inline constexpr std::size_t kMaxCommandPayload = 256;
inline constexpr std::chrono::milliseconds kMaxPulse = std::chrono::hours(1);

// Commands each line takes, sets and gets apart: 10 a second on average, bursts of 20. A flood
// beyond that is dropped and counted, so it can neither starve the loop nor wear out a relay;
// invalid or retained commands are refused without taking from it (a flood of garbage must not
// keep out the valid ones), and warned about at most as often.
inline constexpr double kCommandRate = 10;
inline constexpr double kCommandBurst = 20;
inline constexpr std::chrono::seconds kFloodReportPeriod{10};

struct Command {
  enum class Kind { kSet, kToggle } kind = Kind::kSet;
  bool active = false;                             // kSet: the level to drive
  std::optional<std::chrono::milliseconds> pulse;  // kSet: hold it this long, then go back
  bool operator==(const Command&) const = default;
};

// ON OFF 1 0 true false TOGGLE (any case, surrounding blanks ignored), or JSON
// {"state":"ON"} / {"state":"ON","pulse_ms":500}. The error says what was wrong.
std::variant<Command, std::string> parse_command(std::string_view payload);

struct EdgeReport {
  bool rising = false;
  std::uint64_t timestamp_ns = 0;
  std::uint64_t seq = 0;
  std::uint64_t line_seqno = 0;    // the kernel's (uAPI v2); the simulated chip numbers lines too
  std::uint64_t global_seqno = 0;  // the kernel's (uAPI v2), 0 when not from the kernel
};

// {"edge":"rising","state":"ON","timestamp_ns":123,"seq":1}, and with the kernel's sequence
// numbers when it gave them (libgpiod 2.x, global_seqno != 0):
// {...,"seq":1,"line_seqno":7,"global_seqno":12}
std::string format_event(const EdgeReport& report);

inline const char* state_word(bool active) { return active ? "ON" : "OFF"; }

}  // namespace gpio2mqtt::bridge

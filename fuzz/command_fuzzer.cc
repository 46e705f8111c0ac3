// libFuzzer target for what a broker can send to <base>/<line>/set: bridge::parse_command must
// never crash or throw, whatever the bytes, and what it accepts must mean one thing. The same
// bytes also drive bridge::format_event, whose JSON must read back as the report it came from.
#include <cinttypes>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <string_view>
#include <variant>

#include "gpio2mqtt/bridge/command.h"

namespace {

using gpio2mqtt::bridge::Command;

[[noreturn]] void fail(const char* what, std::string_view payload) {
  std::fprintf(stderr, "command_fuzzer: %s; payload (%zu bytes): '%.*s'\n", what, payload.size(),
               static_cast<int>(payload.size()), payload.data());
  std::abort();
}

// The one spelling of a command that the daemon's own docs use.
std::string canonical(const Command& c) {
  if (c.kind == Command::Kind::kToggle) return "TOGGLE";
  std::string word = gpio2mqtt::bridge::state_word(c.active);
  if (!c.pulse) return word;
  return R"({"state":")" + word + R"(","pulse_ms":)" + std::to_string(c.pulse->count()) + "}";
}

void check_command(std::string_view payload) {
  auto result = gpio2mqtt::bridge::parse_command(payload);
  if (auto* error = std::get_if<std::string>(&result)) {
    if (error->empty()) fail("an error without a reason", payload);
    // Errors quote parts of the payload; they must not grow beyond it (they are logged).
    if (error->size() > payload.size() + 128) fail("an error message longer than the payload allows", payload);
    return;
  }
  const Command& c = std::get<Command>(result);
  if (payload.size() > gpio2mqtt::bridge::kMaxCommandPayload) fail("an oversized payload was accepted", payload);
  if (c.kind == Command::Kind::kToggle && (c.active || c.pulse)) fail("TOGGLE with a level or a pulse", payload);
  if (c.pulse && (c.pulse->count() < 1 || *c.pulse > gpio2mqtt::bridge::kMaxPulse))
    fail("a pulse outside 1 ms .. kMaxPulse", payload);

  // Accepted commands read back the same from their canonical spelling...
  auto again = gpio2mqtt::bridge::parse_command(canonical(c));
  if (!std::holds_alternative<Command>(again) || std::get<Command>(again) != c)
    fail("the canonical spelling of an accepted command reads differently", payload);
  // ...and blanks around them change nothing (an MQTT client may add a newline).
  if (payload.size() + 2 <= gpio2mqtt::bridge::kMaxCommandPayload) {
    auto padded = gpio2mqtt::bridge::parse_command(" " + std::string(payload) + "\n");
    if (!std::holds_alternative<Command>(padded) || std::get<Command>(padded) != c)
      fail("surrounding blanks changed an accepted command", payload);
  }
}

std::uint64_t load_u64(const std::uint8_t* p) {
  std::uint64_t v;
  std::memcpy(&v, p, sizeof v);
  return v;
}

void check_event(const std::uint8_t* data, std::size_t size) {
  if (size < 17) return;
  gpio2mqtt::bridge::EdgeReport report;  // members set one by one: more may come, defaulted
  report.rising = (data[0] & 1) != 0;
  report.timestamp_ns = load_u64(data + 1);
  report.seq = load_u64(data + 9);
  std::string json = gpio2mqtt::bridge::format_event(report);
  char edge[16] = {}, state[16] = {};
  std::uint64_t ts = 0, seq = 0;
  int consumed = 0;
  if (std::sscanf(json.c_str(),
                  R"({"edge":"%15[a-z]","state":"%15[A-Z]","timestamp_ns":%)" SCNu64 R"(,"seq":%)" SCNu64 "}%n", edge,
                  state, &ts, &seq, &consumed) != 4 ||
      static_cast<std::size_t>(consumed) != json.size())
    fail("format_event wrote something other than the documented JSON", json);
  if (std::string_view(edge) != (report.rising ? "rising" : "falling") ||
      std::string_view(state) != gpio2mqtt::bridge::state_word(report.rising) || ts != report.timestamp_ns ||
      seq != report.seq)
    fail("format_event's JSON does not read back as its report", json);
  // An event echoed onto a set topic (a misconfigured bridge or a prank) must switch nothing.
  if (std::holds_alternative<Command>(gpio2mqtt::bridge::parse_command(json)))
    fail("an event payload was accepted as a command", json);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  check_command(std::string_view(reinterpret_cast<const char*>(data), size));
  check_event(data, size);
  return 0;
}

#include "gpio2mqtt/bridge/dimmer.h"

#include <algorithm>
#include <charconv>
#include <cmath>

#include "util/json.h"
#include "util/text.h"

namespace gpio2mqtt::bridge {
namespace {

std::optional<double> number(std::string_view text) {
  double value = 0;
  auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (error != std::errc() || end != text.data() + text.size() || !std::isfinite(value)) return std::nullopt;
  return value;
}

DimmerCommand on_at(int level, std::optional<Nanos> transition = std::nullopt) {
  if (level == 0) return {DimmerCommand::Kind::kOff, std::nullopt, transition};
  return {DimmerCommand::Kind::kOn, level, transition};
}

std::variant<DimmerCommand, std::string> parse_json_command(std::string_view payload) {
  auto json = parse_json(payload);
  if (!json || !json->is_object()) return std::string("expected a JSON object");
  for (const auto& [key, value] : json->object)
    if (key != "state" && key != "brightness" && key != "percentage" && key != "transition")
      return "unknown key \"" + key + "\" (expected state, brightness, percentage, transition)";
  DimmerCommand command;
  if (json->has("state")) {
    const Json& state = (*json)["state"];
    std::string word = state.is_string() ? ascii_lower(state.string) : "";
    if (word == "on") command.kind = DimmerCommand::Kind::kOn;
    else if (word == "off") command.kind = DimmerCommand::Kind::kOff;
    else if (word == "toggle") command.kind = DimmerCommand::Kind::kToggle;
    else return std::string("\"state\" must be \"ON\", \"OFF\" or \"TOGGLE\"");
  } else if (!json->has("brightness") && !json->has("percentage")) {
    return std::string("expected \"state\", \"brightness\" or \"percentage\"");
  }
  if (json->has("transition")) {
    const Json& t = (*json)["transition"];
    if (t.kind != Json::Kind::kNumber || t.number < 0 || t.number > 3600)
      return std::string("\"transition\" must be a number of seconds from 0 to 3600");
    command.transition = std::chrono::duration_cast<Nanos>(std::chrono::duration<double>(t.number));
  }
  if (json->has("brightness") && json->has("percentage"))
    return std::string("give \"brightness\" or \"percentage\", not both");
  std::optional<int> level;
  if (json->has("brightness")) {
    const Json& b = (*json)["brightness"];
    if (b.kind != Json::Kind::kNumber || b.number < 0 || b.number > 255 || b.number != std::floor(b.number))
      return std::string("\"brightness\" must be a whole number from 0 to 255");
    level = level_from_brightness(static_cast<int>(b.number));
  }
  if (json->has("percentage")) {
    const Json& p = (*json)["percentage"];
    if (p.kind != Json::Kind::kNumber || p.number < 0 || p.number > 100)
      return std::string("\"percentage\" must be a number from 0 to 100");
    level = level_from_percent(p.number);
  }
  if (level) {
    if (command.kind != DimmerCommand::Kind::kOn)
      return std::string("a brightness or percentage goes with \"state\":\"ON\" only");
    return on_at(*level, command.transition);
  }
  return command;
}

}  // namespace

int level_from_brightness(int brightness) { return (std::clamp(brightness, 0, 255) * kFullLevel + 127) / 255; }
int brightness_from_level(int level) { return (std::clamp(level, 0, kFullLevel) * 255 + kFullLevel / 2) / kFullLevel; }
int level_from_percent(double percent) { return static_cast<int>(std::lround(std::clamp(percent, 0.0, 100.0) * 10)); }
int percent_from_level(int level) { return (std::clamp(level, 0, kFullLevel) + 5) / 10; }

double DutyCurve::duty(int level) const {
  if (level <= 0) return 0;
  double x = static_cast<double>(std::min(level, kFullLevel)) / kFullLevel;
  return min_duty + (max_duty - min_duty) * std::pow(x, gamma);
}

std::variant<DimmerCommand, std::string> parse_dimmer_command(std::string_view payload) {
  std::string_view text = trimmed(payload);
  if (!text.empty() && text.front() == '{') return parse_json_command(text);
  std::string word = ascii_lower(text);
  if (word == "on" || word == "true") return DimmerCommand{DimmerCommand::Kind::kOn, std::nullopt, std::nullopt};
  if (word == "off" || word == "false") return DimmerCommand{DimmerCommand::Kind::kOff, std::nullopt, std::nullopt};
  if (word == "toggle") return DimmerCommand{DimmerCommand::Kind::kToggle, std::nullopt, std::nullopt};
  auto percent = number(text);
  if (!percent) return std::string("expected ON, OFF, TOGGLE, a percent or a JSON object");
  if (*percent < 0 || *percent > 100) return std::string("a percent is from 0 to 100");
  return on_at(level_from_percent(*percent));
}

Dimmer::Dimmer(DutyCurve curve, Nanos default_transition, DimmerMemory memory, int level, MonoTime now)
    : curve_(curve),
      default_transition_(default_transition),
      last_level_(memory.last_level > 0 ? std::min(memory.last_level, kFullLevel) : kFullLevel) {
  jump(level, now);
}

void Dimmer::command(const DimmerCommand& command, MonoTime now) {
  Nanos transition = command.transition.value_or(default_transition_);
  bool turn_on = command.kind == DimmerCommand::Kind::kOn || (command.kind == DimmerCommand::Kind::kToggle && !on());
  if (!turn_on) return fade_to(0, transition, now);
  if (command.level) last_level_ = std::clamp(*command.level, 1, kFullLevel);
  fade_to(last_level_, transition, now);
}

void Dimmer::jump(int level, MonoTime now) {
  from_ = target_ = std::clamp(level, 0, kFullLevel);
  fade_start_ = now;
  fade_length_ = Nanos(0);
}

void Dimmer::fade_to(int level, Nanos transition, MonoTime now) {
  from_ = level_at(now);
  target_ = level;
  fade_start_ = now;
  fade_length_ = from_ == target_ ? Nanos(0) : std::clamp(transition, Nanos(0), kMaxTransition);
}

int Dimmer::level_at(MonoTime now) const {
  Nanos elapsed = now - fade_start_;
  if (fade_length_ <= Nanos(0) || elapsed >= fade_length_) return target_;
  if (elapsed <= Nanos(0)) return from_;
  double part = static_cast<double>(elapsed.count()) / static_cast<double>(fade_length_.count());
  return from_ + static_cast<int>(std::lround((target_ - from_) * part));
}

std::optional<MonoTime> Dimmer::next_step(MonoTime now) const {
  MonoTime end = fade_start_ + fade_length_;
  if (fade_length_ <= Nanos(0) || now >= end) return std::nullopt;
  // One step per level changed, but no more often than kFadeStep.
  Nanos per_level = fade_length_ / std::abs(target_ - from_);
  return std::min(now + std::max(per_level, kFadeStep), end);
}

std::string Dimmer::state_json() const {
  return std::string("{\"state\":\"") + (on() ? "ON" : "OFF") +
         "\",\"brightness\":" + std::to_string(brightness_from_level(target_)) +
         ",\"percentage\":" + std::to_string(percent_from_level(target_)) + "}";
}

}  // namespace gpio2mqtt::bridge

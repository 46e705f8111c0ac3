// A dimmable output (PWM: a light, a fan, a heater) as pure logic, time passed in: the
// brightness it is set to, fades between levels, the last brightness a plain ON brings back, and
// the duty cycle each level means (min/max duty, gamma). The PWM behind it, hardware or the
// daemon's slow software PWM, only ever sees duty_at().
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <string_view>
#include <variant>

#include "gpio2mqtt/util/clock.h"

namespace gpio2mqtt::bridge {

// Brightness in thousandths: fine enough that Home Assistant's 0-255 and a percent both survive
// a round trip exactly; 0 is off.
inline constexpr int kFullLevel = 1000;
inline constexpr Nanos kMaxTransition = std::chrono::hours(1);
// How often a fade updates the output at most: smooth to the eye, cheap for the daemon.
inline constexpr Nanos kFadeStep = std::chrono::milliseconds(20);

int level_from_brightness(int brightness_0_255);
int brightness_from_level(int level);
int level_from_percent(double percent);
int percent_from_level(int level);

// The duty cycle (0..1) a level means: 0 for off; from min_duty at the lowest level to max_duty
// at full, along level^gamma (gamma 1 is linear; about 2.2 makes an LED look even).
struct DutyCurve {
  double min_duty = 0;
  double max_duty = 1;
  double gamma = 1;
  double duty(int level) const;
  bool operator==(const DutyCurve&) const = default;
};

// `<base>/<name>/set` of a dimmable output: ON, OFF, TOGGLE (any case; true/false too), a percent
// (`50`, `12.5`; `0` is off, and `1` is 1 %, not ON), or Home Assistant's JSON light schema
// {"state":"ON","brightness":128,"transition":2}, with "percentage" (0-100) in place of
// "brightness" for a fan.
struct DimmerCommand {
  enum class Kind { kOn, kOff, kToggle } kind = Kind::kOn;
  std::optional<int> level;         // kOn: this level (never 0: a level of 0 is kOff); else the last one
  std::optional<Nanos> transition;  // else the output's default
  bool operator==(const DimmerCommand&) const = default;
};
std::variant<DimmerCommand, std::string> parse_dimmer_command(std::string_view payload);

// What survives a restart (the state directory): on or off, and the last level it was on at.
struct DimmerMemory {
  bool on = false;
  int last_level = kFullLevel;
  bool operator==(const DimmerMemory&) const = default;
};

class Dimmer {
 public:
  // Starts at `level` (0: off) at once, remembering `memory.last_level` for a plain ON.
  Dimmer(DutyCurve curve, Nanos default_transition, DimmerMemory memory, int level, MonoTime now);

  // Starts the fade the command asks for, from where the output is at `now`.
  void command(const DimmerCommand& command, MonoTime now);
  // Goes to `level` at once, without a fade and without changing what a plain ON brings back
  // (on_disconnect, and the stop level).
  void jump(int level, MonoTime now);

  // The level the output is at, and the duty for it, at `now` (a fade is linear in level).
  int level_at(MonoTime now) const;
  double duty_at(MonoTime now) const { return curve_.duty(level_at(now)); }
  // When the output should next be updated while a fade runs; nullopt once it is at its target.
  std::optional<MonoTime> next_step(MonoTime now) const;

  // The level it is going to (what the state topic says: the target, not a point in the fade).
  int target() const { return target_; }
  bool on() const { return target_ > 0; }
  DimmerMemory memory() const { return {on(), last_level_}; }
  // {"state":"ON","brightness":128,"percentage":50} (brightness and percentage 0 when off).
  std::string state_json() const;

 private:
  void fade_to(int level, Nanos transition, MonoTime now);

  DutyCurve curve_;
  Nanos default_transition_;
  int last_level_;
  int from_ = 0, target_ = 0;
  MonoTime fade_start_{};
  Nanos fade_length_{0};
};

}  // namespace gpio2mqtt::bridge

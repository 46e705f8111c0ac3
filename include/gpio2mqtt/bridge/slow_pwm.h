// Software PWM on a plain GPIO output, for loads that switch slowly (a heater's relay, a valve):
// the line is on for duty × period at the start of each period. Pure logic, time passed in; the
// daemon's loop calls tick() at the times it returns. Cycles are counted from a fixed start, so a
// late timer shortens one pulse and never shifts the ones after it.
#pragma once

#include "gpio2mqtt/util/clock.h"

namespace gpio2mqtt::bridge {

// A pulse or a gap shorter than this is left out (the line stays off, or on, for the cycle):
// relays cannot follow it and the loop's timers cannot place it.
inline constexpr Nanos kShortestSlowPwmPulse = std::chrono::milliseconds(1);
inline constexpr Nanos kShortestSlowPwmPeriod = std::chrono::milliseconds(100);

class SlowPwm {
 public:
  explicit SlowPwm(Nanos period) : period_(period) {}

  // The duty (0..1) from `now` on. A lower duty ends the running pulse early; a higher one takes
  // effect at the next period, so a cycle never has two pulses; from a standstill (duty 0, or a
  // line held on at duty 1) a new period starts at once, so ON does not wait a period.
  void set_duty(double duty, MonoTime now);

  struct Step {
    bool on = false;  // the level the line should have now
    MonoTime next{};  // when to call tick() again (the next switch, or the next period's start)
    bool operator==(const Step&) const = default;
  };
  Step tick(MonoTime now);

  Nanos period() const { return period_; }
  double duty() const { return pending_duty_; }

 private:
  Nanos on_time(double duty) const;
  void catch_up(MonoTime now);

  Nanos period_;
  double cycle_duty_ = 0;    // the duty of the running period
  double pending_duty_ = 0;  // from the next period on
  MonoTime cycle_start_{};
  bool started_ = false;
};

}  // namespace gpio2mqtt::bridge

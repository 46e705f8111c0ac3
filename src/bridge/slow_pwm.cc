#include "gpio2mqtt/bridge/slow_pwm.h"

#include <algorithm>
#include <cmath>

namespace gpio2mqtt::bridge {

Nanos SlowPwm::on_time(double duty) const {
  auto on =
      Nanos(static_cast<Nanos::rep>(std::llround(std::clamp(duty, 0.0, 1.0) * static_cast<double>(period_.count()))));
  if (on < kShortestSlowPwmPulse) return Nanos(0);
  if (period_ - on < kShortestSlowPwmPulse) return period_;
  return on;
}

void SlowPwm::catch_up(MonoTime now) {
  if (now - cycle_start_ < period_) return;
  cycle_start_ += period_ * ((now - cycle_start_) / period_);
  cycle_duty_ = pending_duty_;
}

void SlowPwm::set_duty(double duty, MonoTime now) {
  if (!started_) {
    started_ = true;
    cycle_start_ = now;
    cycle_duty_ = pending_duty_ = duty;
    return;
  }
  catch_up(now);
  Nanos was = on_time(cycle_duty_), wanted = on_time(duty);
  pending_duty_ = duty;
  bool standing_still = was == Nanos(0) || was == period_;
  if (standing_still && wanted != was) {
    cycle_start_ = now;
    cycle_duty_ = duty;
  } else if (wanted < was) {
    cycle_duty_ = duty;
  }
}

SlowPwm::Step SlowPwm::tick(MonoTime now) {
  if (!started_) set_duty(0, now);
  catch_up(now);
  Nanos on = on_time(cycle_duty_);
  MonoTime switch_off = cycle_start_ + on, next_period = cycle_start_ + period_;
  if (now < switch_off) return {true, on == period_ ? next_period : switch_off};
  return {false, next_period};
}

}  // namespace gpio2mqtt::bridge

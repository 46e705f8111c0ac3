// Software PWM as a sequence of switchings over time: the pulse at the start of each period,
// duty changes, and timers that fire late.
#include "gpio2mqtt/bridge/slow_pwm.h"

#include <gtest/gtest.h>

namespace gpio2mqtt::bridge {
namespace {

using namespace std::chrono_literals;
constexpr MonoTime kStart = MonoTime(1000s);
using Step = SlowPwm::Step;

TEST(ASlowPwm, IsOnForDutyTimesPeriodAtTheStartOfEachPeriod) {
  SlowPwm pwm(1s);
  pwm.set_duty(0.25, kStart);
  EXPECT_EQ(pwm.tick(kStart), (Step{true, kStart + 250ms}));
  EXPECT_EQ(pwm.tick(kStart + 250ms), (Step{false, kStart + 1s}));
  EXPECT_EQ(pwm.tick(kStart + 1s), (Step{true, kStart + 1250ms}));
}

TEST(ASlowPwm, KeepsItsPeriodsWhenATimerFiresLate) {
  SlowPwm pwm(1s);
  pwm.set_duty(0.5, kStart);
  EXPECT_EQ(pwm.tick(kStart + 520ms), (Step{false, kStart + 1s}));
  EXPECT_EQ(pwm.tick(kStart + 1030ms), (Step{true, kStart + 1500ms}));  // a shorter pulse, same end
  EXPECT_EQ(pwm.tick(kStart + 3200ms), (Step{true, kStart + 3500ms}));  // periods missed entirely
}

TEST(ASlowPwm, HoldsTheLineOffOrOnWithoutPulses) {
  SlowPwm pwm(100ms);
  pwm.set_duty(0, kStart);
  EXPECT_EQ(pwm.tick(kStart), (Step{false, kStart + 100ms}));
  pwm.set_duty(1, kStart + 10ms);
  EXPECT_EQ(pwm.tick(kStart + 10ms), (Step{true, kStart + 110ms}));
  EXPECT_EQ(pwm.tick(kStart + 110ms), (Step{true, kStart + 210ms}));
  pwm.set_duty(0.995, kStart + 210ms);  // a gap shorter than 1 ms is left out
  EXPECT_TRUE(pwm.tick(kStart + 309ms).on);
}

TEST(ASlowPwm, StartsAPeriodAtOnceWhenSwitchedOnFromOff) {
  SlowPwm pwm(10s);
  pwm.set_duty(0, kStart);
  pwm.set_duty(0.3, kStart + 4s);
  EXPECT_EQ(pwm.tick(kStart + 4s), (Step{true, kStart + 7s}));
}

TEST(ASlowPwm, EndsAPulseEarlyForALowerDutyAndWaitsForTheNextPeriodForAHigherOne) {
  SlowPwm pwm(10s);
  pwm.set_duty(0.5, kStart);
  pwm.set_duty(0.2, kStart + 3s);
  EXPECT_EQ(pwm.tick(kStart + 3s), (Step{false, kStart + 10s}));
  pwm.set_duty(0.8, kStart + 4s);  // no second pulse in this period
  EXPECT_EQ(pwm.tick(kStart + 4s), (Step{false, kStart + 10s}));
  EXPECT_EQ(pwm.tick(kStart + 10s), (Step{true, kStart + 18s}));
}

TEST(ASlowPwm, GivesTheCommandedDutyOverManyPeriods) {
  SlowPwm pwm(1s);
  pwm.set_duty(0.37, kStart);
  Nanos on_time{0};
  MonoTime now = kStart, end = kStart + 100s;
  while (now < end) {
    Step step = pwm.tick(now);
    MonoTime next = std::min(step.next, end);
    if (step.on) on_time += next - now;
    now = next;
  }
  EXPECT_EQ(on_time, 37s);
}

}  // namespace
}  // namespace gpio2mqtt::bridge

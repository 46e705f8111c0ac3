// PWM outputs (`pwm:`): the daemon's CPU while a software PWM switches a simulated line at a
// 100 ms and a 1 s period, beside the same daemon with the output off, and while a hardware PWM
// channel fades back and forth (pwm-sim in the gpio-sim VM: scripts/bench --vm --scenario pwm;
// on a machine without a PWM chip that part is left out and said so).
#pragma once

#include <string>
#include <vector>

#include "scenario.h"

namespace gpio2mqtt::bench {

struct PwmLoad {
  std::string what;
  double seconds = 0;
  double cpu_s = 0;
  bool measured = false;  // false: left out, `what` says why
};

std::vector<PwmLoad> run_pwm(Scenario& scenario, const Options& options);
void print_pwm(const std::vector<PwmLoad>& loads);

}  // namespace gpio2mqtt::bench

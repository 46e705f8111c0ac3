// Pulse counters (mode: counter): pulses made through the simulated chip's control socket at
// several rates, the count read back from the daemon's retained `count` topic and compared with
// the pulses made, the counter's CPU per pulse beside an input in the default mode pulsed at the
// same rate by the same daemon, and how many MQTT messages a second the counter sent.
#pragma once

#include <cstdint>
#include <vector>

#include "scenario.h"

namespace gpio2mqtt::bench {

struct CounterRate {
  double pulse_hz = 0;  // pulses a second (each a rise and a fall: two edges)
  double achieved_hz = 0;
  std::uint64_t pulses = 0;
  std::uint64_t counted = 0;  // the last `count` received, less the count before this rate
  bool exact = false;         // counted == pulses, and that count was published
  double counter_cpu_us_per_pulse = 0;
  // On count, total and rate, from the first pulse until the count with the last one arrived.
  std::uint64_t messages = 0;
  double window_s = 0, messages_per_s = 0;
  // The default-mode input pulsed at the same rate by the same daemon (two edges per pulse).
  double level_cpu_us_per_pulse = 0;
  std::uint64_t level_edges = 0, level_lost = 0;
};

struct CounterRun {
  double publish_interval_s = 0;
  std::vector<CounterRate> rates;
  int exit_code = -1;
};

// The pulse rates, in Hz.
inline const std::vector<double> kCounterRates{100, 1000, 5000};

// One daemon with a counter and a default-mode input on one simulated chip; every rate of
// kCounterRates for options.seconds on each of the two. The probe is subscribed at QoS 0 here.
CounterRun run_counter(Scenario& scenario, const Options& options, int index);

}  // namespace gpio2mqtt::bench

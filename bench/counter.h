// Pulse counters (mode: counter): pulses made through the simulated chip's control socket at
// several rates, the count read back from the daemon's retained `count` topic and compared with
// the pulses made, the counter's CPU per pulse beside an input in the default mode pulsed at the
// same rate by the same daemon, and how many MQTT messages a second the counter sent.
#pragma once

#include <sys/types.h>

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
  // --kernel: the falling edges a kernel reader (no MQTT) read from the same line pulsed alike
  // just before: how many pulses gpio-sim made into edges; -1 when not measured.
  std::int64_t reader_falls = -1;
  // --kernel: the interrupts the kernel took for the counter's line while it was pulsed (it asks
  // for falling edges only): the edges the kernel made of the pulses, at most (two that come while
  // the line's interrupt thread is busy make one event); -1 when not measured.
  std::int64_t interrupts = -1;
  // --kernel: the events the kernel made of those interrupts (its interrupt thread's runs, from a
  // kprobe): what the count can be held to; -1 when not measured.
  std::int64_t kernel_events = -1;
};

struct CounterRun {
  double publish_interval_s = 0;
  std::vector<CounterRate> rates;
  int exit_code = -1;
  bool shared_cpu = false;  // --kernel: the pulse writer and the line's interrupt thread on one CPU
};

// The pulse rates, in Hz.
inline const std::vector<double> kCounterRates{100, 1000, 5000};

// `pulses` pulses through `pull` at `hz` (each a rise, then a fall half a period later) on the
// daemon's counter `meter`, then the count they make, read back from its count topic; `base` is
// the count before.
CounterRate pulse_meter(Probe& probe, const Toggle& pull, pid_t daemon, double hz, std::uint64_t pulses,
                        std::uint64_t base, double publish_interval_s);

// One daemon with a counter and a default-mode input on one simulated chip; every rate of
// kCounterRates for options.seconds on each of the two. The probe is subscribed at QoS 0 here.
CounterRun run_counter(Scenario& scenario, const Options& options, int index);

}  // namespace gpio2mqtt::bench

// Issue 6's last part: the same edge -> subscriber measurement against the kernel's gpio-sim, in
// the tests/kernel/vm guest (scripts/bench --vm). The edges are real kernel line events, made by
// writing the input's sysfs `pull`; their timestamp_ns is the kernel's (CLOCK_MONOTONIC).
#pragma once

#include <string>
#include <vector>

#include "counter.h"
#include "scenario.h"

namespace gpio2mqtt::bench {

// Empty when gpio-sim can be used here (in the VM); otherwise why not.
std::string why_no_kernel_bench();

// The bare paho limit at every paced rate, then one daemon (libgpiod backend) on a fresh gpio-sim
// chip found by its label, its input toggled at every rate. Commands, memory and idle are not
// measured here (the control-socket bench does them); out.exit_code is the daemon's.
QosRun run_kernel(Scenario& scenario, const Options& options, int qos, int index);

// One daemon with a counter (mode: counter, publish_interval 1 s) on a fresh gpio-sim line, pulsed
// options.seconds at each of options.pulse_rates; the count it publishes against the pulses made.
CounterRun run_kernel_counter(Scenario& scenario, const Options& options, int index);
void print_kernel_counters(const Options& options, const std::vector<CounterRun>& runs);

}  // namespace gpio2mqtt::bench

#include "kernel.h"

#include <fmt/format.h>
#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <optional>
#include <thread>

#include "gpiosim.h"
#include "irq_cpu_share.h"
#include "irq_thread_trace.h"
#include "probe.h"
#include "process.h"

namespace gpio2mqtt::bench {

using namespace std::chrono_literals;

// The default line's states are measured up to this rate: beyond it a burst can supersede a waiting
// state (by design), and their messages would add to the load the figures above it compare.
constexpr double kStatesUpToHz = 200;

std::string why_no_kernel_bench() {
  if (kernel_test::why_no_gpiosim().empty()) return {};
  return "--kernel needs gpio-sim (/sys/kernel/config/gpio-sim), which this kernel lacks: scripts/bench --vm runs "
         "it in the tests/kernel/vm guest";
}

QosRun run_kernel(Scenario& scenario, const Options& options, int qos, int index) {
  QosRun out;
  out.qos = qos;
  scenario.probe().subscribe(qos);
  for (double hz : options.rates) {
    if (hz <= 0) continue;
    try {
      out.limits.push_back(scenario.measure_limit(qos, hz));
    } catch (const std::exception& e) {
      // Under qemu on a busy host the bare client can miss its deadline; the peers' table, which
      // is what --kernel is for, does not need it. Its ratios then show as inf.
      fmt::print(stderr, "QoS {}, {:g} Hz: no limit: {}\n", qos, hz, e.what());
      out.limits.push_back(LimitResult{hz, 0, 0, {}, 0});
    }
  }

  // One named input; the daemon finds the chip by its label, as a config for real hardware would.
  std::string name = "gpio2mqtt-kernel-qos" + std::to_string(qos) + "-run" + std::to_string(index);
  auto chip =
      kernel_test::make_sim()
          .label("g2m-bench-" + std::to_string(::getpid()) + "-" + std::to_string(qos) + "-" + std::to_string(index))
          .lines(8)
          .name(0, "IN")
          .build();
  chip->set_pull(0, false);  // the line starts low: the first toggle is a rising edge
  std::string config = options.dir + "/" + name + ".yaml";
  testing::write_file(config, "mqtt:\n  server: " + scenario.broker_url() +
                                  "\n  client_id: gpio2mqtt-bench\n  base_topic: bench\n  keepalive: " +
                                  std::to_string(options.keepalive_s) + "s\n  qos: " + std::to_string(qos) +
                                  "\ndbus: off\nchips:\n  sim:\n    label: " + chip->label() +
                                  "\nlines:\n  button: {line: IN, edge: both}\n");
  RunningDaemon daemon(options, scenario.probe(), config, options.dir + "/" + name + ".log");
  Toggle toggle = [&chip](bool high) { chip->set_pull(0, high); };
  std::uint64_t seq_base = 0;
  bool level = false;
  for (double hz : options.rates) {
    std::uint64_t before = seq_base;
    // As every peer of the floors: each write an edge the kernel hands over (irq_cpu_share.h), so
    // what goes missing went missing in the bridge, not in gpio-sim under qemu. Only at a pace:
    // "as fast as it goes" never sleeps, and a real-time writer would then starve its vCPU.
    std::optional<kernel_test::IrqCpuShare> share;
    if (hz > 0) share.emplace("gpio2mqtt", 0);
    if (share && !share->why_not().empty()) fmt::print(stderr, "{}: {}\n", name, share->why_not());
    // The states too, where every one is published and the probe's extra messages cost little.
    scenario.probe().watch_states(hz > 0 && hz <= kStatesUpToHz);
    out.rates.push_back(scenario.measure_rate(daemon.pid(), toggle, hz, seq_base, level));
    // Writes that come faster than gpio-sim's interrupt simulation runs (irq_work; slow under TCG)
    // are most likely delivered as one edge, and the daemon numbers the edges it reads: the next
    // rate's seq follows the last one received, not the writes.
    seq_base = std::max(before, out.rates.back().last_seq);
    std::this_thread::sleep_for(300ms);
  }
  scenario.probe().watch_states(false);
  out.hwm_kb = status_kb(daemon.pid(), "VmHWM");
  out.exit_code = daemon.stop();
  return out;
}

namespace {

// The kernel reader (bench/floor/c_bridge.c without MQTT) on line 0 of `chip`, pulsed at every
// rate as the counter will be: the falling edges it read at each.
std::vector<std::int64_t> reader_falls(const Options& options, kernel_test::SimChip& chip, const std::string& name) {
  std::vector<std::int64_t> falls(options.pulse_rates.size(), -1);
#ifdef GPIO2MQTT_C_BRIDGE
  std::string record = options.dir + "/" + name + ".record";
  testing::Process reader({GPIO2MQTT_C_BRIDGE, chip.dev_path(), "0", record}, options.dir + "/" + name + ".log");
  if (!testing::eventually([&] { return std::filesystem::exists(record + ".ready"); }, 15s))
    throw std::runtime_error(name + ": the kernel reader did not start; its log:\n" + reader.log());
  kernel_test::IrqCpuShare share("c_bridge", 0);  // as the counter's run: every pulse an event
  if (!share.why_not().empty()) fmt::print(stderr, "kernel reader: {}\n", share.why_not());
  std::vector<std::uint64_t> starts;
  for (double hz : options.pulse_rates) {
    starts.push_back(now_ns());
    auto pulses = static_cast<std::size_t>(hz * options.seconds);
    pace(2 * hz, 2 * pulses, [&](std::size_t i) { chip.set_pull(0, i % 2 == 0); });
    std::this_thread::sleep_for(1s);
  }
  reader.signal(SIGTERM);
  if (reader.wait(10s) != 0) throw std::runtime_error(name + ": the kernel reader failed; its log:\n" + reader.log());
  std::ifstream in(record);
  int rising = 0;
  std::uint64_t read_ns = 0, kernel_ns = 0;
  std::fill(falls.begin(), falls.end(), 0);
  while (in >> rising >> read_ns >> kernel_ns) {
    std::size_t rate = 0;
    while (rate + 1 < starts.size() && read_ns >= starts[rate + 1]) ++rate;
    if (!rising && read_ns >= starts.front()) ++falls[rate];
  }
#else
  (void)options, (void)chip, (void)name;
#endif
  return falls;
}

}  // namespace

CounterRun run_kernel_counter(Scenario& scenario, const Options& options, int index) {
  CounterRun out;
  out.publish_interval_s = 1;
  Probe& probe = scenario.probe();
  probe.subscribe(0);
  std::string name = "gpio2mqtt-kernel-counter-run" + std::to_string(index);
  auto chip = kernel_test::make_sim()
                  .label("g2m-meter-" + std::to_string(::getpid()) + "-" + std::to_string(index))
                  .lines(8)
                  .name(0, "MTR")
                  .build();
  chip->set_pull(0, false);  // each pulse: a rise, then a fall
  auto falls = reader_falls(options, *chip, "kernel-reader-pulsed-run" + std::to_string(index));
  std::string config = options.dir + "/" + name + ".yaml";
  testing::write_file(config, config_head(options, scenario.broker_url(), 0) + "state_directory: " + options.dir + "/" +
                                  name + "-state\nchips:\n  sim:\n    label: " + chip->label() +
                                  "\nlines:\n  meter: {line: MTR, mode: counter, publish_interval: 1000ms}\n");
  RunningDaemon daemon(options, probe, config, options.dir + "/" + name + ".log");
  auto started = [](const std::vector<Sample>& samples) {
    return std::any_of(samples.begin(), samples.end(), [](const Sample& s) { return s.line == 0 && s.seq == 0; });
  };
  if (!probe.wait_until(Stream::kMeter, started, 10s)) throw std::runtime_error("the counter published no count of 0");
  Toggle pull = [&chip](bool high) { chip->set_pull(0, high); };
  kernel_test::IrqThreadTrace kernel;
  if (!kernel.why_not().empty())
    fmt::print(stderr, "counter: the kernel's events are not counted: {}\n", kernel.why_not());
  // This thread writes the pulses; with the line's interrupt thread on its CPU, the kernel makes
  // an event of every pulse (irq_cpu_share.h), and the count can be held to the pulses.
  kernel_test::IrqCpuShare share("gpio2mqtt", 0);
  out.shared_cpu = share.pinned();
  if (!share.why_not().empty()) fmt::print(stderr, "counter: {}\n", share.why_not());
  std::uint64_t count = 0;
  for (double hz : options.pulse_rates) {
    auto pulses = static_cast<std::uint64_t>(hz * options.seconds);
    std::uint64_t interrupts = kernel_test::sim_interrupts("gpio2mqtt");
    std::uint64_t events = kernel.events("gpio2mqtt");
    out.rates.push_back(pulse_meter(probe, pull, daemon.pid(), hz, pulses, count, out.publish_interval_s));
    // pulse_meter() waited for the count to arrive, and then some: the kernel is done with them.
    out.rates.back().interrupts = static_cast<std::int64_t>(kernel_test::sim_interrupts("gpio2mqtt") - interrupts);
    if (kernel.why_not().empty())
      out.rates.back().kernel_events = static_cast<std::int64_t>(kernel.events("gpio2mqtt") - events);
    out.rates.back().reader_falls = falls.at(out.rates.size() - 1);
    count += out.rates.back().counted;
    std::this_thread::sleep_for(300ms);
  }
  out.exit_code = daemon.stop();
  return out;
}

void print_kernel_counters(const Options& options, const std::vector<CounterRun>& runs) {
  if (runs.empty() || runs.front().rates.empty()) return;
  fmt::print(
      "\n### 4. A counter (mode: counter) on gpio-sim\n\n"
      "One daemon per run, QoS 0, a counter on a gpio-sim line pulsed {:g} s per rate by paced sysfs writes (a rise, "
      "then a fall half a period later). Counted: the last `count` received less the count before that rate; exact "
      "when it equals the pulses made. Writes faster than gpio-sim's interrupt simulation can merge into one edge: "
      "the kernel reader (no MQTT), on the same line pulsed alike just before the daemon started, shows how many "
      "falling edges gpio-sim made of the pulses. Interrupts: those the kernel took for the counter's line while "
      "it was pulsed (falls only). Events made: the runs of the line's interrupt thread, each of which queues one "
      "event (two interrupts before it ran make one run), from a kprobe; counted = events made means nothing the "
      "kernel made was lost on its way to the count. The bench's thread that writes the pulses and the line's "
      "interrupt thread share vCPU 0 (shared CPU: yes), so that the thread runs before the next write and the kernel "
      "makes an event of every pulse; on its own, under qemu's emulation, it sometimes runs once for two interrupts. "
      "The daemon runs wherever the scheduler puts it. Every run listed.\n\n"
      "| pulses/s | run | achieved /s | pulses | kernel reader: falling edges read | interrupts | events made | "
      "counted | exact | = events made | shared CPU | CPU µs per pulse |\n"
      "|---|---|---|---|---|---|---|---|---|---|---|---|\n",
      options.seconds);
  for (std::size_t i = 0; i < runs.front().rates.size(); ++i)
    for (std::size_t run = 0; run < runs.size(); ++run) {
      const CounterRate& r = runs[run].rates.at(i);
      auto known = [](std::int64_t n) { return n < 0 ? std::string("-") : std::to_string(n); };
      fmt::print("| {:g} Hz | {} | {:.0f} | {} | {} | {} | {} | {} | {} | {} | {} | {:.1f} |\n", r.pulse_hz, run + 1,
                 r.achieved_hz, r.pulses, known(r.reader_falls), known(r.interrupts), known(r.kernel_events), r.counted,
                 r.exact ? "yes" : "no",
                 r.kernel_events < 0 ? "-" : (static_cast<std::int64_t>(r.counted) == r.kernel_events ? "yes" : "no"),
                 runs[run].shared_cpu ? "yes" : "no", r.counter_cpu_us_per_pulse);
    }
}

}  // namespace gpio2mqtt::bench

#include "counter.h"

#include <fmt/format.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <stdexcept>
#include <thread>

#include "control_socket.h"
#include "probe.h"
#include "process.h"

namespace gpio2mqtt::bench {
namespace {

using namespace std::chrono_literals;

constexpr int kCount = 0;  // the count topic's index in kMeterTopics

std::chrono::milliseconds ms(double seconds) { return std::chrono::milliseconds(static_cast<long>(seconds * 1000)); }

// The latest count received, if any.
std::optional<std::uint64_t> last_count(const std::vector<Sample>& samples) {
  for (auto at = samples.rbegin(); at != samples.rend(); ++at)
    if (at->line == kCount) return at->seq;
  return std::nullopt;
}

std::string write_counter_config(const Options& options, const std::string& broker_url, const std::string& name,
                                 double publish_interval_s) {
  std::string path = options.dir + "/" + name + ".yaml";
  // Per run a fresh state directory: every run counts from 0.
  testing::write_file(path, config_head(options, broker_url, 0) + "state_directory: " + options.dir + "/" + name +
                                "-state\nchips:\n  sim:\n    simulated:\n      lines: [IN, MTR]\n      control: " +
                                options.dir + "/" + name + ".sock\nlines:\n  button: {line: IN}\n" +
                                fmt::format("  meter: {{line: MTR, mode: counter, publish_interval: {}ms}}\n",
                                            static_cast<long>(publish_interval_s * 1000)));
  return path;
}

}  // namespace

CounterRate pulse_meter(Probe& probe, const Toggle& pull, pid_t daemon, double hz, std::uint64_t pulses,
                        std::uint64_t base, double publish_interval_s) {
  CounterRate r;
  r.pulse_hz = hz;
  r.pulses = pulses;
  probe.take(Stream::kMeter);
  double cpu_before = cpu_seconds(daemon);
  std::uint64_t start = now_ns();
  std::uint64_t finished = pace(2 * hz, 2 * pulses, [&](std::size_t i) { pull(i % 2 == 0); });
  r.achieved_hz = static_cast<double>(pulses) / (static_cast<double>(finished - start) / 1e9);
  // Published at most once per interval: the reading with every pulse comes within one, unless
  // pulses were lost (then the limit passes, and the last count tells how many).
  std::uint64_t want = base + pulses;
  auto reached = [want](const std::vector<Sample>& samples) {
    return std::any_of(samples.begin(), samples.end(),
                       [want](const Sample& s) { return s.line == kCount && s.seq >= want; });
  };
  bool arrived = probe.wait_until(Stream::kMeter, reached, ms(3 * publish_interval_s) + 5s);
  r.counter_cpu_us_per_pulse =
      (cpu_seconds(daemon) - cpu_before) * 1e6 / static_cast<double>(std::max<std::uint64_t>(pulses, 1));
  // One interval more, so that a count beyond the pulses would show too.
  std::this_thread::sleep_for(ms(1.5 * publish_interval_s));
  auto samples = probe.take(Stream::kMeter);
  std::uint64_t counted = last_count(samples).value_or(base);
  r.counted = counted >= base ? counted - base : 0;
  r.exact = arrived && counted == want;
  // Messages from the first pulse until the count with all of them (or the last one received).
  std::uint64_t until = finished;
  for (const auto& s : samples) {
    if (arrived && s.line == kCount && s.seq >= want) {
      until = s.received;
      ++r.messages;
      break;
    }
    ++r.messages;
    until = std::max(until, s.received);
  }
  r.window_s = static_cast<double>(until - start) / 1e9;
  r.messages_per_s = static_cast<double>(r.messages) / r.window_s;
  return r;
}

CounterRun run_counter(Scenario& scenario, const Options& options, int index) {
  CounterRun out;
  out.publish_interval_s = options.smoke ? 0.1 : 1;  // 1 s: the daemon's default
  Probe& probe = scenario.probe();
  probe.subscribe(0);
  std::string name = "gpio2mqtt-counter-run" + std::to_string(index);
  std::string config = write_counter_config(options, scenario.broker_url(), name, out.publish_interval_s);
  RunningDaemon daemon(options, probe, config, options.dir + "/" + name + ".log");
  // The broker's retained readings of an earlier run came at the subscription, before the
  // daemon's first reading; that one, on connect, is the count it starts from: 0.
  auto started = [](const std::vector<Sample>& samples) { return last_count(samples) == 0u; };
  if (!probe.wait_until(Stream::kMeter, started, 10s))
    throw std::runtime_error("the counter published no first count of 0");
  testing::ControlSocket control(options.dir + "/" + name + ".sock");
  Toggle button = [&control](bool high) {
    if (!control.pull("IN", high)) throw std::runtime_error(std::string("control socket: ") + std::strerror(errno));
  };
  std::uint64_t count = 0, seq_base = 0;
  bool level = false;
  Toggle meter = [&control](bool high) {
    if (!control.pull("MTR", high)) throw std::runtime_error(std::string("control socket: ") + std::strerror(errno));
  };
  for (double hz : kCounterRates) {
    auto pulses = static_cast<std::uint64_t>(hz * options.seconds);
    CounterRate r = pulse_meter(probe, meter, daemon.pid(), hz, pulses, count, out.publish_interval_s);
    count += r.counted;
    // The same pulses on an input in the default mode: two edges each, a state and an event each.
    RateResult edges = scenario.measure_rate(daemon.pid(), button, 2 * hz, seq_base, level);
    r.level_cpu_us_per_pulse = edges.cpu_s_per_1000 * 1000 * 2;
    r.level_edges = edges.sent;
    r.level_lost = edges.lost;
    out.rates.push_back(r);
  }
  out.exit_code = daemon.stop();
  return out;
}

}  // namespace gpio2mqtt::bench

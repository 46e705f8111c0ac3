// Sections 6 and 7 of the report: pulse counters, and many lines.
#include <fmt/format.h>

#include <algorithm>
#include <functional>

#include "report.h"

namespace gpio2mqtt::bench {
namespace {

template <typename Run>
double median_of(const std::vector<Run>& runs, const std::function<double(const Run&)>& figure) {
  std::vector<double> values;
  for (const auto& run : runs) values.push_back(figure(run));
  return median(values);
}

template <typename Run>
std::uint64_t sum_of(const std::vector<Run>& runs, const std::function<std::uint64_t(const Run&)>& figure) {
  std::uint64_t total = 0;
  for (const auto& run : runs) total += figure(run);
  return total;
}

std::string hz_name(double hz) { return hz >= 1000 ? fmt::format("{:g} kHz", hz / 1000) : fmt::format("{:g} Hz", hz); }

// A reading is count, total and rate; one may go out at the first pulse, then one per interval.
double message_bound(const CounterRate& rate, double interval_s) { return 3 * (rate.window_s / interval_s + 1); }

}  // namespace

void print_counter_report(const Options& options, const std::vector<CounterRun>& runs, Targets& targets) {
  if (runs.empty()) return;
  double interval = runs[0].publish_interval_s;
  fmt::print("\n### 6. Pulse counters (`mode: counter`) on a simulated chip\n\n");
  fmt::print(
      "One daemon per run, QoS 0, with a counter (`publish_interval` {:g} s) and an input in the default mode "
      "on one simulated chip. At each rate, {:g} s of pulses (a rise, a fall half a period later) through the "
      "control socket on the counter, then as many on the input. Counted: the last `count` the subscriber "
      "received, less the count before that rate (summed over the runs); exact when it equals the pulses made "
      "and the count that says so was published. CPU: the daemon's, per pulse (its threads' schedstat). "
      "Messages: the counter's `count`, `total` and `rate` from the first pulse until the count with the last "
      "pulse arrived; at most one reading (3 messages) per `publish_interval`, plus one at the start. The input "
      "publishes a state and an event for each of a pulse's two edges.\n\n",
      interval, options.seconds);
  fmt::print(
      "| pulses/s | achieved /s | pulses | counted | exact (runs) | counter CPU µs per pulse | default-mode input "
      "CPU µs per pulse (edges lost) | counter ÷ input | counter messages/s (at most) |\n"
      "|---|---|---|---|---|---|---|---|---|\n");
  for (std::size_t i = 0; i < runs[0].rates.size(); ++i) {
    auto rate = [i](const CounterRun& run) -> const CounterRate& { return run.rates.at(i); };
    double hz = rate(runs[0]).pulse_hz;
    std::uint64_t pulses = sum_of<CounterRun>(runs, [&](auto& r) { return rate(r).pulses; });
    std::uint64_t counted = sum_of<CounterRun>(runs, [&](auto& r) { return rate(r).counted; });
    std::uint64_t exact = sum_of<CounterRun>(runs, [&](auto& r) { return rate(r).exact ? 1u : 0u; });
    std::uint64_t bounded = sum_of<CounterRun>(runs, [&](auto& r) {
      return static_cast<double>(rate(r).messages) <= message_bound(rate(r), interval) + 1e-9;
    });
    double counter_cpu = median_of<CounterRun>(runs, [&](auto& r) { return rate(r).counter_cpu_us_per_pulse; });
    double level_cpu = median_of<CounterRun>(runs, [&](auto& r) { return rate(r).level_cpu_us_per_pulse; });
    double cpu_ratio = median_of<CounterRun>(runs, [&](auto& r) {
      return rate(r).level_cpu_us_per_pulse > 0 ? rate(r).counter_cpu_us_per_pulse / rate(r).level_cpu_us_per_pulse : 0;
    });
    double messages = median_of<CounterRun>(runs, [&](auto& r) { return rate(r).messages_per_s; });
    double bound =
        median_of<CounterRun>(runs, [&](auto& r) { return message_bound(rate(r), interval) / rate(r).window_s; });
    fmt::print("| {} | {:.0f} | {} | {} | {} of {} | {:.1f} | {:.1f} ({}) | {:.2f} | {:.2f} ({:.2f}) |\n", hz_name(hz),
               median_of<CounterRun>(runs, [&](auto& r) { return rate(r).achieved_hz; }), pulses, counted, exact,
               runs.size(), counter_cpu, level_cpu,
               sum_of<CounterRun>(runs, [&](auto& r) { return rate(r).level_lost; }), cpu_ratio, messages, bound);
    targets.add(exact == runs.size(),
                fmt::format("counter pulsed at {}: {} counted of {} pulses, exact in {} of {} runs", hz_name(hz),
                            counted, pulses, exact, runs.size()));
    targets.add(bounded == runs.size(),
                fmt::format("counter pulsed at {}: {:.2f} MQTT messages/s, within 3 per publish_interval ({:g} s) "
                            "in {} of {} runs",
                            hz_name(hz), messages, interval, bounded, runs.size()));
  }
}

void print_scale_report(const Options& options, const std::vector<ScaleRun>& runs, Targets& targets) {
  if (runs.empty()) return;
  fmt::print("\n### 7. Many lines on simulated chips\n\n");
  fmt::print(
      "Three daemons per run, QoS 0. One input on one chip toggled at {0:g} edges/s; {1} inputs on {2} chips (line "
      "i on chip i mod {2}) toggled in turn through the chips' control sockets, {3:g} Hz each, {0:g} edges/s "
      "together; {4} inputs on {2} chips, no edges. {5:g} s of edges each. Lost, out of order (after a later edge "
      "of its line, or twice) and wrong edge (rising where the line fell or the other way round): summed over "
      "the runs, by each line's seq. CPU: the daemon's, per edge (its threads' schedstat); the ratio is the "
      "median of the runs' ratios. Wake-ups: voluntary context switches of the daemon's loop thread and of "
      "paho's threads, per edge. Start-up: from just before the fork to READY=1 on the bench's NOTIFY_SOCKET; "
      "reload: SIGHUP → READY=1 (after RELOADING=1), the same config, {6} times a run. Memory: VmRSS and Pss once "
      "online, before any edge.\n\n",
      kScaleHzPerLine * static_cast<double>(kScaleLines), kScaleLines, kScaleChips, kScaleHzPerLine, kLargeLines,
      options.seconds, runs[0].large.reload_ms.size());
  fmt::print(
      "| inputs | chips | edges/s (achieved) | edges | lost | out of order | wrong edge | p50 / p99 µs | CPU µs "
      "per edge | wake-ups per edge: loop / paho |\n|---|---|---|---|---|---|---|---|---|---|\n");
  for (auto phase : {&ScaleRun::one, &ScaleRun::many}) {
    auto lines = [phase](const ScaleRun& run) -> const LinesResult& { return run.*phase; };
    fmt::print("| {} | {} | {:.0f} | {} | {} | {} | {} | {:.0f} / {:.0f} | {:.1f} | {:.2f} / {:.2f} |\n",
               lines(runs[0]).lines, lines(runs[0]).chips,
               median_of<ScaleRun>(runs, [&](auto& r) { return lines(r).achieved_hz; }),
               sum_of<ScaleRun>(runs, [&](auto& r) { return lines(r).sent; }),
               sum_of<ScaleRun>(runs, [&](auto& r) { return lines(r).lost; }),
               sum_of<ScaleRun>(runs, [&](auto& r) { return lines(r).out_of_order; }),
               sum_of<ScaleRun>(runs, [&](auto& r) { return lines(r).wrong_edge; }),
               median_of<ScaleRun>(runs, [&](auto& r) { return lines(r).edge.p50; }),
               median_of<ScaleRun>(runs, [&](auto& r) { return lines(r).edge.p99; }),
               median_of<ScaleRun>(runs, [&](auto& r) { return lines(r).cpu_us_per_edge; }),
               median_of<ScaleRun>(runs, [&](auto& r) { return lines(r).loop_wakeups_per_edge; }),
               median_of<ScaleRun>(runs, [&](auto& r) { return lines(r).paho_wakeups_per_edge; }));
  }
  double cpu_ratio = median_of<ScaleRun>(
      runs, [](auto& r) { return r.one.cpu_us_per_edge > 0 ? r.many.cpu_us_per_edge / r.one.cpu_us_per_edge : 0; });
  std::uint64_t wrong =
      sum_of<ScaleRun>(runs, [](auto& r) { return r.many.lost + r.many.out_of_order + r.many.wrong_edge; });

  std::vector<double> small_reloads, large_reloads;
  for (const auto& run : runs) {
    small_reloads.insert(small_reloads.end(), run.small.reload_ms.begin(), run.small.reload_ms.end());
    large_reloads.insert(large_reloads.end(), run.large.reload_ms.begin(), run.large.reload_ms.end());
  }
  fmt::print(
      "\n| lines configured | start → READY, ms | reload → READY, ms (median / max) | VmRSS, MB | Pss, MB "
      "|\n|---|---|---|---|---|\n");
  for (auto start : {&ScaleRun::small, &ScaleRun::large}) {
    auto& reloads = start == &ScaleRun::small ? small_reloads : large_reloads;
    fmt::print("| {} | {:.1f} | {:.1f} / {:.1f} | {:.2f} | {:.2f} |\n", (runs[0].*start).lines,
               median_of<ScaleRun>(runs, [&](auto& r) { return (r.*start).ready_ms; }), median(reloads),
               reloads.empty() ? 0 : *std::max_element(reloads.begin(), reloads.end()),
               median_of<ScaleRun>(runs, [&](auto& r) { return static_cast<double>((r.*start).rss_kb); }) / 1024,
               median_of<ScaleRun>(runs, [&](auto& r) { return static_cast<double>((r.*start).pss_kb); }) / 1024);
  }
  auto per_line = [](long large, long small) { return static_cast<double>(large - small) / (kLargeLines - 1); };
  double rss_per_line = median_of<ScaleRun>(runs, [&](auto& r) { return per_line(r.large.rss_kb, r.small.rss_kb); });
  double pss_per_line = median_of<ScaleRun>(runs, [&](auto& r) { return per_line(r.large.pss_kb, r.small.pss_kb); });
  fmt::print("\nMemory per configured line ({} lines less 1, divided by {}): VmRSS {:.1f} kB, Pss {:.1f} kB.\n",
             kLargeLines, kLargeLines - 1, rss_per_line, pss_per_line);

  double ready = median_of<ScaleRun>(runs, [](auto& r) { return r.large.ready_ms; });
  targets.add(wrong == 0, fmt::format("{} inputs at {:g} Hz each: {} edges lost, out of order or wrong (0)",
                                      kScaleLines, kScaleHzPerLine, wrong));
  targets.add(
      cpu_ratio > 0 && cpu_ratio <= 1.2,
      fmt::format("CPU per edge with {} inputs at {:g} Hz each: {:.2f} × one input at the same total rate (≤ 1.2)",
                  kScaleLines, kScaleHzPerLine, cpu_ratio));
  targets.add(ready > 0 && ready <= 100,
              fmt::format("start-up to READY with {} lines: {:.1f} ms (median; ≤ 100 ms)", kLargeLines, ready));
  targets.add(!large_reloads.empty() && median(large_reloads) <= 100,
              fmt::format("reload to READY with {} lines: {:.1f} ms (median of {}; ≤ 100 ms)", kLargeLines,
                          median(large_reloads), large_reloads.size()));
}

}  // namespace gpio2mqtt::bench

#include "report.h"

#include <fmt/format.h>
#include <sys/utsname.h>
#include <unistd.h>

#include <ctime>
#include <fstream>
#include <functional>
#include <sstream>

namespace gpio2mqtt::bench {
namespace {

constexpr double kRssTargetKb = 6 * 1024;

std::string first_line_with(const std::string& path, const std::string& key) {
  std::ifstream in(path);
  for (std::string line; std::getline(in, line);)
    if (line.rfind(key, 0) == 0) return line.substr(line.find(':') + 1 + (line.find(": ") != std::string::npos));
  return "";
}

std::string rate_name(double hz) {
  if (hz <= 0) return "max";
  if (hz >= 1000) return fmt::format("{:g} kHz", hz / 1000);
  return fmt::format("{:g} Hz", hz);
}

std::string met(bool ok) { return ok ? "met" : "MISSED"; }

// Medians across runs of one figure of one QoS.
struct Across {
  const Results& results;
  int qos;
  double operator()(const std::function<double(const QosRun&)>& figure) const {
    std::vector<double> values;
    for (const auto& run : results.runs) values.push_back(figure(run[qos]));
    return median(values);
  }
  std::uint64_t sum(const std::function<std::uint64_t(const QosRun&)>& figure) const {
    std::uint64_t total = 0;
    for (const auto& run : results.runs) total += figure(run[qos]);
    return total;
  }
};

double ratio(double value, double limit) { return limit > 0 ? value / limit : 0; }

}  // namespace

std::string machine_description() {
  char date[64];
  std::time_t now = std::time(nullptr);
  std::strftime(date, sizeof date, "%Y-%m-%d %H:%M UTC", std::gmtime(&now));
  utsname u{};
  uname(&u);
  std::string debian;
  std::ifstream("/etc/debian_version") >> debian;
  return fmt::format("{}; Debian {}, kernel {}; {} CPUs: {}", date, debian.empty() ? "?" : debian, u.release,
                     sysconf(_SC_NPROCESSORS_ONLN), first_line_with("/proc/cpuinfo", "model name"));
}

void Targets::add(bool ok, const std::string& text) {
  all_ = all_ && ok;
  lines_.push_back(fmt::format("- [{}] {}", met(ok), text));
}

void Targets::print() const {
  fmt::print("\n### Targets\n\n");
  for (const auto& line : lines_) fmt::print("{}\n", line);
  fmt::print("\n");
}

namespace {

// Sections 1 to 5: the limit, edges, commands, cost and idle, micro-benchmarks.
void print_latency_report(const Options& options, const Results& results, Targets& targets) {
  auto target = [&](bool ok, const std::string& text) { targets.add(ok, text); };
  std::size_t rates = results.runs.empty() ? 0 : results.runs[0][0].rates.size();

  fmt::print("\n### 1. The limit: bare paho publish → receive through the same broker\n\n");
  fmt::print(
      "A paho client process publishes messages of an event's size and shape at each pace, {:g} s per pace, to the "
      "bench's paho subscriber; latency from just before publish() to the subscriber's callback.\n\n",
      options.seconds);
  fmt::print(
      "| QoS | pace | messages | lost | p50 | p99 | max | publisher CPU ms per 1,000 messages "
      "|\n|---|---|---|---|---|---|---|---|\n");
  std::size_t paces = results.runs.empty() ? 0 : results.runs[0][0].limits.size();
  for (int q : {0, 1}) {
    Across a{results, q};
    for (std::size_t i = 0; i < paces; ++i) {
      auto limit = [i](const QosRun& r) -> const LimitResult& { return r.limits[i]; };
      fmt::print("| {} | {} | {:.0f} | {} | {:.0f} | {:.0f} | {:.0f} | {:.1f} |\n", q,
                 rate_name(results.runs[0][q].limits[i].hz),
                 a([&](auto& r) { return static_cast<double>(limit(r).sent); }),
                 a.sum([&](auto& r) { return limit(r).lost; }), a([&](auto& r) { return limit(r).latency.p50; }),
                 a([&](auto& r) { return limit(r).latency.p99; }), a([&](auto& r) { return limit(r).latency.max; }),
                 a([&](auto& r) { return limit(r).cpu_s_per_1000 * 1000; }));
    }
  }

  if (options.kernel) {
    fmt::print("\n### 2. Edge → subscriber: gpio2mqtt (libgpiod) on the kernel's gpio-sim, in this VM\n\n");
    fmt::print(
        "A gpio-sim chip with a named input, found by the daemon by its label; the bench toggles the input by "
        "writing its sysfs `pull`. From the kernel's timestamp_ns of the line event to the subscriber's receipt "
        "(both CLOCK_MONOTONIC of this guest), {:g} s per rate; ratios to the limit at the same pace (`max`: to "
        "the fastest pace). `send →`: from just before the bench's sysfs write instead, pairing the n-th event "
        "with the n-th write (exact only when none was lost). Lost and duplicated: summed over the runs, by the "
        "per-line seq; writes that come faster than gpio-sim's interrupt simulation runs are most likely "
        "delivered by the kernel as one edge, and count as lost. Every edge publishes two messages, its state "
        "(retained) and its event.\n\n",
        options.seconds);
  } else {
    fmt::print("\n### 2. Edge → subscriber: gpio2mqtt on a simulated chip driven through its control socket\n\n");
    fmt::print(
        "From the edge's timestamp_ns to the subscriber's receipt (both CLOCK_MONOTONIC), {:g} s per rate; ratios "
        "to the limit at the same pace (`max`: to the fastest pace). `send →`: from the bench's send() on the "
        "control socket instead, so it adds the daemon's wake-up. Lost and duplicated: summed over the runs, by "
        "the per-line seq. Every edge publishes two messages, its state (retained) and its event.\n\n",
        options.seconds);
  }
  fmt::print(
      "| QoS | rate | achieved /s | edges | p50 (× limit) | p99 (× limit) | max | send → p50 / p99 | lost | dup "
      "| CPU ms per 1,000 edges (× bare publisher) |\n|---|---|---|---|---|---|---|---|---|---|---|\n");
  for (int q : {0, 1}) {
    Across a{results, q};
    for (std::size_t i = 0; i < rates; ++i) {
      auto rate = [i](const QosRun& r) -> const RateResult& { return r.rates[i]; };
      double hz = results.runs[0][q].rates[i].target_hz;
      auto limit = [hz](const QosRun& r) -> const LimitResult& { return r.limit_for(hz); };
      double p50 = a([&](auto&r) { return rate(r).edge.p50; }), p99 = a([&](auto&r) { return rate(r).edge.p99; });
      double p50x = a([&](auto& r) { return ratio(rate(r).edge.p50, limit(r).latency.p50); });
      double p99x = a([&](auto& r) { return ratio(rate(r).edge.p99, limit(r).latency.p99); });
      double cpu = a([&](auto& r) { return rate(r).cpu_s_per_1000 * 1000; });
      double cpux = a([&](auto& r) { return ratio(rate(r).cpu_s_per_1000, limit(r).cpu_s_per_1000); });
      std::uint64_t lost = a.sum([&](auto&r) { return rate(r).lost; }),
                    dup = a.sum([&](auto&r) { return rate(r).duplicated; });
      fmt::print(
          "| {} | {} | {:.0f} | {:.0f} | {:.0f} ({:.2f}) | {:.0f} ({:.2f}) | {:.0f} | {:.0f} / {:.0f} | {} | {} | "
          "{:.1f} ({:.1f}) |\n",
          q, rate_name(hz), a([&](auto& r) { return rate(r).achieved_hz; }),
          a([&](auto& r) { return static_cast<double>(rate(r).sent); }), p50, p50x, p99, p99x,
          a([&](auto& r) { return rate(r).edge.max; }), a([&](auto& r) { return rate(r).send.p50; }),
          a([&](auto& r) { return rate(r).send.p99; }), lost, dup, cpu, cpux);
      if (hz > 0)
        target(p50x <= 1.5 && p99x <= 2.0,
               fmt::format("edge → subscriber at {}, QoS {}: p50 {:.2f} × limit (≤ 1.5), p99 {:.2f} × limit (≤ 2)",
                           rate_name(hz), q, p50x, p99x));
      if (hz == 5000)
        target(lost == 0 && dup == 0,
               fmt::format(
                   "5 kHz for {:g} s, QoS {}: {} lost, {} duplicated (0 and 0; the bare client lost {} at this pace)",
                   options.seconds, q, lost, dup, a.sum([&](auto& r) { return limit(r).lost; })));
    }
  }

  if (options.kernel) return;  // commands, cost and micro-benchmarks: the control-socket bench's

  fmt::print("\n### 3. Command → line: `set` published → the relay changes on the simulated chip\n\n");
  fmt::print(
      "{:g} commands/s, one at a time, ON/OFF alternating, round-robin over {} relays (the daemon takes 10 commands/s "
      "per line), from a client connection of their own. Each relay is wired to an input; the simulated chip "
      "propagates a wire synchronously, so that input's edge timestamp is the moment the relay changed "
      "(nothing to subtract). Ratios to the limit at the nearest pace ({}). Round trip: until the subscriber "
      "has that input's event.\n\n",
      options.command_rate_hz, kRelays,
      results.runs.empty() ? "" : rate_name(results.runs[0][0].limit_for(options.command_rate_hz).hz));
  fmt::print(
      "| QoS | commands | followed | p50 (× limit p50) | p99 (× limit p99) | max | round trip p50 / p99 "
      "|\n|---|---|---|---|---|---|---|\n");
  for (int q : {0, 1}) {
    Across a{results, q};
    double hz = options.command_rate_hz;
    double p50x = a([&](auto& r) { return ratio(r.commands.to_line.p50, r.limit_for(hz).latency.p50); });
    double p99x = a([&](auto& r) { return ratio(r.commands.to_line.p99, r.limit_for(hz).latency.p99); });
    std::uint64_t sent = a.sum([](auto&r) { return r.commands.sent; }),
                  followed = a.sum([](auto&r) { return r.commands.observed; });
    fmt::print("| {} | {} | {} | {:.0f} ({:.2f}) | {:.0f} ({:.2f}) | {:.0f} | {:.0f} / {:.0f} |\n", q, sent, followed,
               a([](auto& r) { return r.commands.to_line.p50; }), p50x,
               a([](auto& r) { return r.commands.to_line.p99; }), p99x,
               a([](auto& r) { return r.commands.to_line.max; }), a([](auto& r) { return r.commands.round_trip.p50; }),
               a([](auto& r) { return r.commands.round_trip.p99; }));
    target(p50x <= 1.5 && followed == sent,
           fmt::format("command → line, QoS {}: p50 {:.2f} × limit p50 (≤ 1.5), {} of {} commands followed", q, p50x,
                       followed, sent));
  }
}

// Section 4: CPU and memory of the latency runs, and idle.
void print_cost_report(const Options& options, const Results& results, Targets& targets) {
  auto target = [&](bool ok, const std::string& text) { targets.add(ok, text); };
  std::size_t rates = results.runs.empty() ? 0 : results.runs[0][0].rates.size();
  const IdleResult& idle = results.idle;
  bool idled = idle.seconds > 0, ran = !results.runs.empty();
  fmt::print("\n### 4. Cost\n\n");
  long hwm = 0;
  double anon = 0, file = 0, pss = 0;
  {
    std::vector<double> anons, files, psss;
    for (const auto& run : results.runs)
      for (const auto& r : run) {
        hwm = std::max(hwm, r.hwm_kb);
        anons.push_back(static_cast<double>(r.rss_anon_kb));
        files.push_back(static_cast<double>(r.rss_file_kb));
        psss.push_back(static_cast<double>(r.pss_kb));
      }
    anon = median(anons);
    file = median(files);
    pss = median(psss);
  }
  std::size_t five = rates;
  for (std::size_t i = 0; i < rates; ++i)
    if (results.runs[0][1].rates[i].target_hz == 5000) five = i;
  fmt::print("| figure | gpio2mqtt | bare paho client | ratio |\n|---|---|---|---|\n");
  if (five < rates) {
    Across a{results, 1};
    fmt::print(
        "| CPU ms per 1,000 edges at 5 kHz, QoS 1 (its threads' schedstat; each edge publishes state and event) "
        "| {:.1f} | {:.1f} per 1,000 messages at 5 kHz | {:.1f} |\n",
        a([&](auto& r) { return r.rates[five].cpu_s_per_1000 * 1000; }),
        a([](auto& r) { return r.limit_for(5000).cpu_s_per_1000 * 1000; }),
        a([&](auto& r) { return ratio(r.rates[five].cpu_s_per_1000, r.limit_for(5000).cpu_s_per_1000); }));
  }
  if (ran) {
    fmt::print(
        "| peak RSS (VmHWM, the highest of all runs, after the max-rate run) | {:.1f} MB | {:.1f} MB (idle) | {:.2f} "
        "|\n",
        hwm / 1024.0, idle.bare_hwm_kb / 1024.0,
        ratio(static_cast<double>(hwm), static_cast<double>(idle.bare_hwm_kb)));
    fmt::print(
        "| of which anonymous / file-backed: shared libraries (RssAnon / RssFile at the end, median) | {:.1f} / "
        "{:.1f} MB | | |\n",
        anon / 1024, file / 1024);
    fmt::print(
        "| proportional (Pss: shared pages divided among the processes mapping them, median) | {:.1f} MB | | |\n",
        pss / 1024);
    target(hwm > 0 && hwm < kRssTargetKb, fmt::format("peak RSS {:.1f} MB (< 6 MB)", hwm / 1024.0));
  }
  if (!idled) return;
  fmt::print("| idle CPU over {:g} s (no edges, keepalive {} s) | {:.2f} s | {:.2f} s | |\n", idle.seconds,
             options.keepalive_s, idle.daemon_cpu_s, idle.bare_cpu_s);
  fmt::print(
      "| idle wake-ups over {:g} s, the daemon's loop thread (voluntary context switches) | {} | (main thread) {} | "
      "|\n",
      idle.seconds, idle.daemon.main, idle.bare.main);
  fmt::print("| idle wake-ups over {:g} s, paho's threads | {} in {} threads | {} in {} threads | {:.2f} |\n",
             idle.seconds, idle.daemon.others, idle.daemon.other_threads, idle.bare.others, idle.bare.other_threads,
             ratio(static_cast<double>(idle.daemon.others), static_cast<double>(idle.bare.others)));
  double pings = idle.seconds / options.keepalive_s + 1;
  target(idle.daemon.main <= static_cast<std::uint64_t>(pings),
         fmt::format("idle: the daemon's own loop woke {} times in {:g} s (keepalive {} s: at most {:.0f})",
                     idle.daemon.main, idle.seconds, options.keepalive_s, pings));
  target(idle.daemon.others <= static_cast<std::uint64_t>(4 * pings),
         fmt::format("idle: paho's threads in the daemon woke {} times in {:g} s (keepalive only: at most {:.0f}; a "
                     "bare paho client: {})",
                     idle.daemon.others, idle.seconds, 4 * pings, idle.bare.others));
}

void print_micro_report(const Results& results) {
  fmt::print("\n### 5. Micro-benchmarks of the hot path (Google Benchmark, in-process)\n\n");
  double limit_p50 = Across{results, 1}([](auto& r) { return r.limit_for(1000).latency.p50; });
  fmt::print("| benchmark | ns per operation | share of the QoS 1 limit p50 at 1 kHz |\n|---|---|---|\n");
  for (const auto& m : results.micro)
    fmt::print("| {} | {:.0f} | {:.4f} |\n", m.name, m.ns_per_op, ratio(m.ns_per_op / 1000, limit_p50));
}

}  // namespace

bool print_report(const Options& options, const Results& results) {
  fmt::print("\n## gpio2mqtt benchmark{}\n\n{}\n", options.kernel ? " against gpio-sim, in the VM" : "",
             machine_description());
  fmt::print(
      "{} run(s); every figure is the median of the runs, every ratio the median of the ratios to the limit "
      "measured in the same run. Latencies in µs.{}\n",
      std::max({results.runs.size(), results.counter.size(), results.scale.size()}),
      options.smoke ? " SMOKE MODE: the figures mean nothing." : "");
  Targets targets;
  if (!results.runs.empty()) print_latency_report(options, results, targets);
  if (!options.kernel && (!results.runs.empty() || results.idle.seconds > 0))
    print_cost_report(options, results, targets);
  if (!results.micro.empty()) print_micro_report(results);
  print_counter_report(options, results.counter, targets);
  print_scale_report(options, results.scale, targets);
  targets.print();
  return targets.all();
}

}  // namespace gpio2mqtt::bench

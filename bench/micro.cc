#include "micro.h"

#include <benchmark/benchmark.h>

#include <algorithm>
#include <memory>

#include "gpio2mqtt/bridge/bridge.h"
#include "gpio2mqtt/bridge/command.h"
#include "gpio2mqtt/config/loader.h"

namespace gpio2mqtt::bench {
namespace {

class RecordingPublisher : public bridge::Publisher {
 public:
  bool publish(const Message& message) override {
    ++count;
    bytes += message.topic.size() + message.payload.size();
    return true;
  }
  std::size_t count = 0, bytes = 0;
};

class IdleLines : public bridge::LinePort {
 public:
  bool read(std::size_t) override { return false; }
  MonoTime write(std::size_t, bool active, MonoTime now) override {
    last = active;
    return now;
  }
  bool last = false;
};

// 16 inputs and 4 outputs: 24 command topics to look up among.
config::Config bench_config() {
  std::string names, lines;
  for (int i = 0; i < 20; ++i) {
    names += (i ? ", " : "") + std::string("L") + std::to_string(i);
    lines += "  " + std::string(i < 16 ? "in" : "out") + std::to_string(i) + ": {line: L" + std::to_string(i) +
             (i < 16 ? "}\n" : ", direction: output}\n");
  }
  return config::parse_config(
      "mqtt: {base_topic: bench}\nchips:\n  sim: {simulated: {lines: [" + names + "]}}\nlines:\n" + lines, "bench.yaml",
      "bench");
}

struct ConnectedBridge {
  config::Config config = bench_config();
  RecordingPublisher publisher;
  IdleLines lines;
  bridge::Bridge bridge{config, publisher, lines};
  ConnectedBridge() {
    bridge.start(MonoTime{}, bridge::plan_start(config));
    bridge.on_connected(MonoTime{});
  }
};

void ParseCommand(benchmark::State& state, const char* payload) {
  for (auto _ : state) benchmark::DoNotOptimize(bridge::parse_command(payload));
}
BENCHMARK_CAPTURE(ParseCommand, ON, "ON");
BENCHMARK_CAPTURE(ParseCommand, toggle, "toggle");
BENCHMARK_CAPTURE(ParseCommand, json_pulse, R"({"state":"ON","pulse_ms":500})");

void FormatEvent(benchmark::State& state) {
  std::uint64_t seq = 0;
  for (auto _ : state) benchmark::DoNotOptimize(bridge::format_event({true, 1234567890123456, ++seq}));
}
BENCHMARK(FormatEvent);

// Commands are timed 1 s apart: the daemon takes 10 per second and line, and a benchmark of
// the refusal would measure the wrong path.
MonoTime second(std::int64_t n) { return MonoTime(std::chrono::seconds(n)); }

// Topic lookup: a `get` (looked up among 24 topics, answered with one state publish).
void OnMessageGet(benchmark::State& state) {
  ConnectedBridge b;
  std::int64_t n = 0;
  std::size_t before = b.publisher.count;
  for (auto _ : state) b.bridge.on_message("bench/in7/get", "", false, second(++n));
  if (b.publisher.count - before != static_cast<std::size_t>(n)) state.SkipWithError("a get was not answered");
}
BENCHMARK(OnMessageGet);

// A whole command: lookup, parse, drive the line, publish its state.
void OnMessageSetToggle(benchmark::State& state) {
  ConnectedBridge b;
  std::int64_t n = 0;
  for (auto _ : state) b.bridge.on_message("bench/out17/set", "TOGGLE", false, second(++n));
  if (b.bridge.counters().commands_rejected) state.SkipWithError("a command was refused");
}
BENCHMARK(OnMessageSetToggle);

// A whole edge: debounce check, state and event formatted and handed to the publisher.
void OnEdge(benchmark::State& state) {
  ConnectedBridge b;
  gpio::EdgeEvent event{0, false, 1000, 0};
  for (auto _ : state) {
    event.rising = !event.rising;
    event.timestamp_ns += 1000;
    b.bridge.on_edge(3, event);
  }
  benchmark::DoNotOptimize(b.publisher.bytes);
}
BENCHMARK(OnEdge);

// A reload's plan with 500 lines, one of them changed: the service makes it on every SIGHUP, and
// matching each new line against the running ones was quadratic (issue 22).
config::Config many_lines_config(int count, const std::string& changed) {
  std::string names, lines;
  for (int i = 0; i < count; ++i) {
    names += (i ? ", " : "") + std::string("L") + std::to_string(i);
    bool output = i % 4 == 3;
    lines += "  line" + std::to_string(i) + ": {line: L" + std::to_string(i) + (output ? ", direction: output" : "") +
             (i == 7 ? changed : "") + "}\n";
  }
  return config::parse_config(
      "mqtt: {base_topic: bench}\nchips:\n  sim: {simulated: {lines: [" + names + "]}}\nlines:\n" + lines, "bench.yaml",
      "bench");
}

void PlanReload(benchmark::State& state) {
  const int count = static_cast<int>(state.range(0));
  config::Config running = many_lines_config(count, ""), next = many_lines_config(count, ", active_low: true");
  std::vector<bridge::RunningLine> lines(running.lines.size());
  bridge::KernelDebounce debounce(next.lines.size(), false);
  std::size_t kept = 0;
  for (auto _ : state) {
    auto plan = bridge::plan_reload(running, lines, next, debounce, MonoTime{});
    kept = static_cast<std::size_t>(
        std::count_if(plan.lines.begin(), plan.lines.end(), [](const auto& p) { return p.kept_from.has_value(); }));
    benchmark::DoNotOptimize(plan);
  }
  if (kept + 1 != next.lines.size()) state.SkipWithError("the plan did not keep every line but the changed one");
}
BENCHMARK(PlanReload)->Arg(50)->Arg(500)->Unit(benchmark::kMicrosecond);

// A run that failed (SkipWithError): Google Benchmark 1.7 (Debian 12) says so in error_occurred,
// 1.8 and later (Debian 13: 1.9) in skipped, which also marks runs skipped without an error. Its
// NotSkipped is 0, written as decltype(...){} for a name that 1.7 lacks must not be looked up there.
template <typename Run>
bool failed(const Run& run) {
  if constexpr (requires { run.error_occurred; }) return run.error_occurred;
  else return run.skipped != decltype(run.skipped){};
}

class Collector : public benchmark::ConsoleReporter {
 public:
  void ReportRuns(const std::vector<Run>& runs) override {
    for (const auto& run : runs) {
      if (failed(run) || run.run_type != Run::RT_Iteration) continue;
      double factor = run.time_unit == benchmark::kNanosecond    ? 1
                      : run.time_unit == benchmark::kMicrosecond ? 1e3
                      : run.time_unit == benchmark::kMillisecond ? 1e6
                                                                 : 1e9;
      results.push_back({run.benchmark_name(), run.GetAdjustedRealTime() * factor});
    }
    ConsoleReporter::ReportRuns(runs);
  }
  std::vector<MicroResult> results;
};

}  // namespace

std::vector<MicroResult> run_micro(int& argc, char** argv, bool smoke) {
  std::vector<char*> args(argv, argv + argc);
  std::string quick = "--benchmark_min_time=0.002";
  if (smoke) args.push_back(quick.data());
  int count = static_cast<int>(args.size());
  args.push_back(nullptr);
  benchmark::Initialize(&count, args.data());
  Collector collector;
  benchmark::RunSpecifiedBenchmarks(&collector);
  benchmark::Shutdown();
  return collector.results;
}

}  // namespace gpio2mqtt::bench

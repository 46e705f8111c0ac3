// gpio2mqtt_bench: how fast an edge reaches a subscriber and what it costs, against the limits
// measured in the same run. scripts/bench builds it in RelWithDebInfo and runs it.
#include <fmt/format.h>
#include <sys/prctl.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <iostream>
#include <sstream>

#include "binding.h"
#include "counter.h"
#include "fleet.h"
#include "floors.h"
#include "kernel.h"
#include "micro.h"
#include "probe.h"
#include "process.h"
#include "pwm.h"
#include "report.h"
#include "scale.h"
#include "scenario.h"
#include "sensors.h"

namespace {

using namespace gpio2mqtt::bench;

constexpr const char* kUsage = R"(Usage: gpio2mqtt_bench [OPTIONS] [--benchmark_... flags]
Starts a mosquitto on a free 127.0.0.1 port and measures, in one run, these scenarios:
  latency   the bare paho limit, edge -> subscriber latency of the gpio2mqtt binary at several
            rates (QoS 0 and 1), command -> line latency, CPU and memory
  idle      idle CPU and wake-ups beside a bare paho client
  micro     micro-benchmarks of the hot path
  counter   a counter (mode: counter) pulsed at 100 Hz, 1 kHz and 5 kHz: counted exactly? CPU per
            pulse beside a default-mode input pulsed alike, MQTT messages per second
  scale     100 inputs on 3 chips at 50 Hz each against 1 input at 5 kHz (lost, reordered, CPU per
            edge), start-up and reload to READY with 500 lines, memory per configured line
  sensors   edge and command latency (QoS 1) of a daemon without sensors and of one with 20
            sensors read every second, one of them blocking 750 ms per read (target: within 1.1x)
  fleet     (only when named; alone) a three-node RabbitMQ cluster on loopback and --boards
            daemons (default 50) at 5 edges/s each, QoS 1, persisted outbox: one node SIGKILLed
            (failover time), the whole cluster restarted with and without reconnect jitter (peak
            connects per second), events lost or out of order, CPU and memory per daemon at idle
  binding   a local binding's input edge -> output edge, 8 edges a second: on the host through a
            simulated chip whose output is wired to an input (target: p50 < 1 ms, p99 < 5 ms);
            with --kernel on gpio-sim, beside a uAPI v2 reader that writes a line on each edge
            (target: within 1.5x of it)
  pwm       CPU while a software PWM runs at a 100 ms and a 1 s period (beside its output off),
            and while a hardware PWM fades (only with --kernel: pwm-sim in the VM)

  --scenario LIST      only these scenarios (comma-separated names above; default: all)
  --smoke              a few seconds: checks that every part runs (CI); the figures mean nothing
  --kernel             in the gpio-sim VM (scripts/bench --vm): edge -> subscriber on a gpio-sim
                       chip, edges made through its sysfs pull, and the limit (default rates
                       20,100); next to the floors of the same VM boot: a kernel reader and a
                       minimal C bridge (bench/floor/c_bridge.c) and a seed-style Python bridge
                       (bench/floor/seed_bridge.py); a counter pulsed at --pulse-rates; no
                       commands, idle, micro-benchmarks or scale
  --runs N             runs to take medians of (default 3)
  --boards N           daemons of the fleet scenario (default 50)
  --seconds S          per rate, for the daemon and for the bare limit; per rate and input of
                       the counter, per phase of the scale scenario (default 10)
  --rates LIST         edge rates in Hz, 0 = as fast as it goes (default 100,1000,5000,0)
  --commands N         set commands per QoS and run (default 200, at 20/s over 8 relays)
  --command-rate HZ    their pace (default 20)
  --idle-seconds S     idle measurement (default 60)
  --keepalive S        the daemon's and the bare client's keepalive (default 60)
  --daemon PATH        the gpio2mqtt binary (default: the one built with this bench)
  --before-daemon PATH --kernel: also run the state-only line on this gpio2mqtt binary (say, one
                       built from an earlier commit), for a before/after in one VM boot
  --pulse-rates LIST   --kernel: a counter's pulses a second on gpio-sim (default 500,1000,2000;
                       empty: none)
  --broker-config LINE a mosquitto.conf line for the bench's broker, e.g. "set_tcp_nodelay true"
                       (repeatable; by default the broker runs with Debian's defaults, but
                       max_queued_messages 0: it must not drop what the bench's subscriber is sent)
  --keep               keep the work directory (configs, logs)
  --no-micro           skip the micro-benchmarks
  --micro-only         run only the micro-benchmarks (Google Benchmark's own output)
)";

std::vector<double> parse_list(const std::string& text) {
  std::vector<double> values;
  std::stringstream in(text);
  for (std::string item; std::getline(in, item, ',');) values.push_back(std::stod(item));
  return values;
}

std::string self_path() {
  std::error_code error;
  auto path = std::filesystem::read_symlink("/proc/self/exe", error);
  return error ? std::string("gpio2mqtt_bench") : path.string();
}

std::vector<std::string> parse_names(const std::string& text) {
  std::vector<std::string> names;
  std::stringstream in(text);
  for (std::string item; std::getline(in, item, ',');) {
    if (item != "fleet" && std::find(kScenarios.begin(), kScenarios.end(), item) == kScenarios.end())
      throw std::invalid_argument("unknown scenario '" + item + "'");
    names.push_back(item);
  }
  return names;
}

bool smoke_ok(const Options& options, const Results& results, const std::vector<BindingRun>& bindings, bool micro) {
  bool kernel = options.kernel, latency = options.wants("latency");
  bool ok = (!micro || !results.micro.empty()) && (!latency || !results.runs.empty()) &&
            (kernel || !options.wants("idle") || !results.idle.daemon_threads.empty()) &&
            (kernel || !options.wants("counter") || !results.counter.empty()) &&
            (kernel || !options.wants("scale") || !results.scale.empty());
  for (const auto& run : results.counter) {
    ok = ok && run.exit_code == 0 && run.rates.size() == kCounterRates.size();
    for (const auto& rate : run.rates) ok = ok && rate.exact && rate.messages > 0 && rate.level_edges > 0;
  }
  for (const auto& run : results.scale)
    for (const auto* lines : {&run.one, &run.many})
      ok = ok && run.exit_code == 0 && lines->unique > 0 &&
           lines->lost + lines->out_of_order + lines->wrong_edge == 0 && run.large.ready_ms > 0 &&
           !run.large.reload_ms.empty() && run.large.rss_kb > 0;
  for (const auto& run : bindings) ok = ok && run.exit_code == 0 && run.latency.n > 0;
  for (const auto& run : results.runs)
    for (const auto& r : run) {
      for (const auto& limit : r.limits) ok = ok && limit.latency.n > 0;
      ok = ok && (kernel || r.commands.observed == r.commands.sent) && r.exit_code == 0 && r.hwm_kb > 0;
      for (const auto& rate : r.rates) ok = ok && rate.unique > 0;
    }
  return ok;
}

}  // namespace

int main(int argc, char** argv) {
  std::vector<std::string> args(argv + 1, argv + argc);
  try {
    if (!args.empty() && args[0] == "--child-publish" && args.size() == 5)
      return child_publish(args[1], std::stoi(args[2]), std::stoul(args[3]), std::stod(args[4]));
    if (!args.empty() && args[0] == "--child-idle" && args.size() == 4)
      return child_idle(args[1], std::stoi(args[2]), std::stoi(args[3]));
  } catch (const std::exception& e) {
    std::cerr << "gpio2mqtt_bench child: " << e.what() << "\n";
    return 1;
  }

  Options options;
  options.daemon = GPIO2MQTT_BINARY;
  options.self = self_path();
  bool keep = false, micro = true, micro_only = false, rates_given = false, seconds_given = false;
  std::vector<char*> benchmark_args{argv[0]};
  for (std::size_t i = 0; i < args.size(); ++i) {
    const std::string& a = args[i];
    auto value = [&]() -> std::string {
      if (i + 1 >= args.size()) throw std::invalid_argument(a + " needs a value");
      return args[++i];
    };
    try {
      if (a == "--smoke") options.smoke = true;
      else if (a == "--scenario") options.scenarios = parse_names(value());
      else if (a == "--runs") options.runs = std::stoi(value());
      else if (a == "--boards") options.fleet_boards = std::stoul(value());
      else if (a == "--seconds") options.seconds = std::stod(value()), seconds_given = true;
      else if (a == "--rates") options.rates = parse_list(value()), rates_given = true;
      else if (a == "--kernel") options.kernel = true;
      else if (a == "--commands") options.commands = std::stoul(value());
      else if (a == "--command-rate") options.command_rate_hz = std::stod(value());
      else if (a == "--idle-seconds") options.idle_seconds = std::stod(value());
      else if (a == "--keepalive") options.keepalive_s = std::stoi(value());
      else if (a == "--daemon") options.daemon = value();
      else if (a == "--before-daemon") options.before_daemon = value();
      else if (a == "--pulse-rates") options.pulse_rates = parse_list(value());
      else if (a == "--keep") keep = true;
      else if (a == "--broker-config") options.broker_config += value() + "\n";
      else if (a == "--no-micro") micro = false;
      else if (a == "--micro-only") micro_only = true;
      else if (a == "--help" || a == "-h") return std::cout << kUsage, 0;
      else if (a.rfind("--benchmark_", 0) == 0) benchmark_args.push_back(argv[i + 1]);
      else throw std::invalid_argument("unknown option " + a);
    } catch (const std::exception& e) {
      std::cerr << "gpio2mqtt_bench: " << e.what() << "\n" << kUsage;
      return 64;
    }
  }
  if (micro_only) {
    int count = static_cast<int>(benchmark_args.size());
    return run_micro(count, benchmark_args.data(), options.smoke).empty() ? 1 : 0;
  }
  if (options.smoke) {  // every part, briefly
    options.runs = 1;
    options.seconds = 0.1;
    options.command_rate_hz = 200;  // 2 per relay: within the daemon's burst allowance
    options.commands = 16;
    options.idle_seconds = 0.3;
  }
  micro = micro && options.wants("micro");
  if (options.kernel) {  // TCG is slow: fewer, shorter rates; "as fast as it goes" only if asked
    if (auto why = why_no_kernel_bench(); !why.empty()) return std::cerr << "gpio2mqtt_bench: " << why << "\n", 1;
    if (!rates_given) options.rates = {20, 100};  // under TCG, 1 kHz saturates even the bare client
    if (!seconds_given && !options.smoke) options.seconds = 10;
    micro = false;
  }
  // Not under systemd's eyes, whatever started us.
  for (const char* name : {"NOTIFY_SOCKET", "WATCHDOG_USEC", "WATCHDOG_PID"}) unsetenv(name);
  prctl(PR_SET_TIMERSLACK, 1UL);  // pace the edges to the microsecond, not to 50 µs
  options.dir = gpio2mqtt::testing::make_temp_dir("gpio2mqtt-bench");

  if (options.scenarios == std::vector<std::string>{"fleet"}) {
    try {
      print_fleet(run_fleet(options));
    } catch (const std::exception& e) {
      std::cerr << "gpio2mqtt_bench: " << e.what() << "\n(work directory kept: " << options.dir << ")\n";
      return 1;
    }
    if (!keep) std::filesystem::remove_all(options.dir);
    return 0;
  }
  Results results;
  std::vector<FloorRun> floors;             // --kernel: the kernel reader and the C bridge of every run
  std::vector<CounterRun> kernel_counters;  // --kernel: the counter on gpio-sim of every run
  std::vector<SensorsRun> sensors;
  std::vector<PwmLoad> pwm_loads;
  std::vector<BindingRun> bindings;
  try {
    Scenario scenario(options);
    fmt::print(stderr, "broker {}; work directory {}\n", scenario.broker_url(), options.dir);
    for (int run = 0; run < options.runs && options.wants("latency"); ++run) {
      if (options.kernel && why_no_floors().empty()) {
        fmt::print(stderr, "run {}/{}: floors (kernel reader, C bridge) on gpio-sim...\n", run + 1, options.runs);
        floors.push_back(run_floors(scenario, options, run));
      }
      std::array<QosRun, 2> both;
      for (int qos : {0, 1}) {
        fmt::print(stderr, "run {}/{}, QoS {}: limit, edges{}...\n", run + 1, options.runs, qos,
                   options.kernel ? " on gpio-sim" : ", commands");
        both[qos] = options.kernel ? run_kernel(scenario, options, qos, run) : scenario.run(qos, run);
      }
      results.runs.push_back(both);
      if (options.kernel && !options.pulse_rates.empty()) {
        fmt::print(stderr, "run {}/{}: a counter on gpio-sim...\n", run + 1, options.runs);
        kernel_counters.push_back(run_kernel_counter(scenario, options, run));
      }
    }
    if (!options.kernel && options.wants("idle")) {
      fmt::print(stderr, "idle for {:g} s...\n", options.idle_seconds);
      results.idle = scenario.idle();
    }
    for (int run = 0; run < options.runs && !options.kernel && options.wants("counter"); ++run) {
      fmt::print(stderr, "run {}/{}: a counter and a default-mode input pulsed alike...\n", run + 1, options.runs);
      results.counter.push_back(run_counter(scenario, options, run));
    }
    for (int run = 0; run < options.runs && !options.kernel && options.wants("scale"); ++run) {
      fmt::print(stderr, "run {}/{}: 1 line, {} lines on {} chips, start-up and reload with {} lines...\n", run + 1,
                 options.runs, kScaleLines, kScaleChips, kLargeLines);
      results.scale.push_back(run_scale(scenario, options, run));
    }
    for (int run = 0; run < options.runs && !options.kernel && options.wants("sensors"); ++run) {
      fmt::print(stderr, "run {}/{}: lines without sensors, then with {} (one slow)...\n", run + 1, options.runs,
                 kBenchSensors);
      sensors.push_back(run_sensors(scenario, options, run));
    }
    for (int run = 0; run < options.runs && options.wants("binding"); ++run) {
      fmt::print(stderr, "run {}/{}: a binding's input edge -> output edge{}...\n", run + 1, options.runs,
                 options.kernel ? " on gpio-sim, and the reference" : "");
      bindings.push_back(run_binding(scenario, options, run));
    }
    if (options.wants("pwm") && (!options.kernel || !options.scenarios.empty())) {
      fmt::print(stderr, "PWM outputs: software at 100 ms and 1 s, a hardware fade...\n");
      pwm_loads = run_pwm(scenario, options);
    }
  } catch (const std::exception& e) {
    std::cerr << "gpio2mqtt_bench: " << e.what() << "\n(work directory kept: " << options.dir << ")\n";
    return 1;
  }
  if (micro) {
    int count = static_cast<int>(benchmark_args.size());
    results.micro = run_micro(count, benchmark_args.data(), options.smoke);
  }
  bool met = print_report(options, results);
  print_floors(options, floors, results.runs);
  print_sensors(sensors);
  met = print_binding(options, bindings) && met;
  print_kernel_counters(options, kernel_counters);
  if (!pwm_loads.empty()) print_pwm(pwm_loads);
  if (options.kernel && !why_no_floors().empty()) fmt::print("\nNo floors: {}\n", why_no_floors());
  if (!keep) std::filesystem::remove_all(options.dir);
  if (options.smoke) {
    bool ok = smoke_ok(options, results, bindings, micro);
    fmt::print("smoke: {}\n", ok ? "every part ran" : "SOMETHING DID NOT RUN (see above)");
    return ok ? 0 : 1;
  }
  fmt::print("{}\n", met ? "every target met" : "some targets missed (see above)");
  return 0;
}

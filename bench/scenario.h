// The measurements against a real mosquitto and the real gpio2mqtt binary.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "proc.h"
#include "stats.h"

namespace gpio2mqtt::testing {
class Mosquitto;
class NotifySocket;
class Process;
}  // namespace gpio2mqtt::testing

namespace gpio2mqtt::bench {

class Probe;

struct Options {
  bool smoke = false;
  int runs = 3;
  double seconds = 10;                            // per edge rate
  std::vector<double> rates{100, 1000, 5000, 0};  // Hz; 0 = as fast as it goes
  // Spread over kRelays relays (each takes 10 commands/s), and 50 ms apart: at shorter gaps the
  // broker's PUBACKs of the previous command's states, held by its Nagle algorithm until the
  // daemon's delayed ACK, hold back the next command too (mosquitto's default; a phone is slower).
  std::size_t commands = 200;
  double command_rate_hz = 20;
  double idle_seconds = 60;
  int keepalive_s = 60;
  std::string daemon;             // the gpio2mqtt binary
  std::string before_daemon;      // --kernel: another gpio2mqtt binary to run a state-only line beside it
  std::string self;               // this binary, for the bare-client child modes
  std::string dir;                // a fresh work directory
  std::string broker_config;      // more mosquitto.conf lines (Debian's defaults but max_queued_messages)
  std::size_t fleet_boards = 50;  // --boards: daemons of the fleet scenario
  bool kernel = false;            // --kernel: the edges come from gpio-sim (kernel.cc), not the control socket
  std::vector<double> pulse_rates{500, 1000, 2000};  // --kernel: a counter's pulses a second on gpio-sim
  // --scenario: which parts run; all of kScenarios by default.
  std::vector<std::string> scenarios;
  bool wants(const std::string& scenario) const;
};

// The parts that --scenario selects: the edge and command latencies against the limit, idle
// wake-ups, the micro-benchmarks, pulse counters (counter.h), many lines (scale.h), lines beside
// sensors (sensors.h), PWM outputs (pwm.h) and a local binding's edge -> edge (binding.h).
inline const std::vector<std::string> kScenarios{"latency", "idle",    "micro", "counter",
                                                 "scale",   "sensors", "pwm",   "binding"};

// Relays wired to feedback inputs: commands go round-robin, so that none exceeds the daemon's
// per-line command rate limit (10/s, bursts of 20).
inline constexpr int kRelays = 8;

// The limit at one pace: a bare paho client process publishing event-sized messages to the
// bench's subscriber through the same broker, for as long as the daemon gets at that rate.
struct LimitResult {
  double hz = 0;
  std::size_t sent = 0, lost = 0;  // lost: never received (by seq)
  Percentiles latency;             // publish() -> receipt
  double cpu_s_per_1000 = 0;       // the bare publisher process, per 1,000 messages
};

struct RateResult {
  double target_hz = 0;  // 0: as fast as it goes
  double achieved_hz = 0;
  std::uint64_t sent = 0, unique = 0, lost = 0, duplicated = 0;
  std::uint64_t last_seq = 0;  // the highest seq received
  Percentiles edge;            // the edge's timestamp_ns -> the subscriber's receipt
  Percentiles send;            // the bench's sendto() -> receipt (adds the daemon's wake-up)
  // The same for the line's state, the message before the event; paired n-th to n-th write, so
  // only when every state came (a burst can supersede a waiting state: then empty).
  Percentiles state_send;
  bool states_paired = false;  // state_send holds them
  double cpu_s_per_1000 = 0;
};

struct CommandResult {
  std::size_t sent = 0, observed = 0;
  Percentiles to_line;     // publish() -> the wired input's edge timestamp
  Percentiles round_trip;  // publish() -> that edge's event received
};

struct QosRun {
  int qos = 0;
  std::vector<LimitResult> limits;  // at every paced rate, in order
  std::vector<RateResult> rates;
  CommandResult commands;
  long hwm_kb = 0, rss_anon_kb = 0, rss_file_kb = 0, pss_kb = 0;
  int exit_code = -1;  // the daemon's, after SIGTERM
  // The limit to hold a figure at `hz` against: that pace's, or the nearest measured one.
  const LimitResult& limit_for(double hz) const;
};

struct IdleResult {
  double seconds = 0;
  double daemon_cpu_s = 0, bare_cpu_s = 0;
  Wakeups daemon, bare;
  long bare_hwm_kb = 0;
  std::vector<ThreadSwitches> daemon_threads;  // names, for the report
};

// A running daemon: started on a config, online once its status says On; SIGTERM at the end.
class RunningDaemon {
 public:
  // With `notify`, the daemon gets it as its NOTIFY_SOCKET, and its READY=1 is awaited first.
  RunningDaemon(const Options& options, Probe& probe, const std::string& config, const std::string& log,
                testing::NotifySocket* notify = nullptr);
  ~RunningDaemon();
  pid_t pid() const;
  // From just before the fork to the receipt of READY=1 on `notify`, in ms (0 without one).
  double ready_ms() const { return ready_ms_; }
  void signal(int signo) const;
  int stop();  // its exit status

 private:
  std::string log_;
  std::unique_ptr<testing::Process> process_;
  double ready_ms_ = 0;
};

// The start of a daemon's config: the mqtt section for the bench's broker (base topic `bench`)
// at `qos`, and D-Bus off.
std::string config_head(const Options& options, const std::string& broker_url, int qos);

// Makes one edge: the input goes to `high`.
using Toggle = std::function<void(bool high)>;

// Calls `act(i)` for i in [0, count), the i-th at start + i / hz (absolute: a late call does not
// delay the rest); `sent_at`, if given, gets the time of each call. Returns the time it finished.
std::uint64_t pace(double hz, std::size_t count, const std::function<void(std::size_t)>& act,
                   std::vector<std::uint64_t>* sent_at = nullptr);

class Scenario {
 public:
  explicit Scenario(const Options& options);
  ~Scenario();
  std::string broker_url() const;
  // The bare-client limit, then the daemon at every rate, then commands; one daemon per call, on
  // the config of lines with `extra_config` (top-level sections) added, its files named by `stem`.
  QosRun run(int qos, int index, const std::string& extra_config = "", const std::string& stem = "gpio2mqtt");
  IdleResult idle();

  // The parts, for other drivers of the edges (kernel.cc). The probe must be subscribed at `qos`.
  Probe& probe() { return *probe_; }
  LimitResult measure_limit(int qos, double hz);
  // `toggle` at `hz` for options.seconds; the button's events are expected with seq from seq_base + 1.
  RateResult measure_rate(pid_t daemon, const Toggle& toggle, double hz, std::uint64_t& seq_base, bool& level);

 private:
  std::string write_config(int qos, const std::string& name, const std::string& extra = "");
  CommandResult measure_commands(int qos);

  Options options_;
  std::unique_ptr<testing::Mosquitto> broker_;
  std::unique_ptr<Probe> probe_;
};

}  // namespace gpio2mqtt::bench

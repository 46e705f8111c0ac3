#include "scenario.h"

#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstring>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <thread>

#include "control_socket.h"
#include "mosquitto.h"
#include "notify_socket.h"
#include "probe.h"
#include "process.h"

namespace gpio2mqtt::bench {
namespace {

using namespace std::chrono_literals;

std::string read_file(const std::string& path) {
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

std::string tail(const std::string& text, std::size_t bytes = 2000) {
  return text.size() <= bytes ? text : "..." + text.substr(text.size() - bytes);
}

double us(std::uint64_t later, std::uint64_t earlier) {
  // Signed: a negative figure would mean clocks that disagree, and must show.
  return static_cast<double>(static_cast<std::int64_t>(later - earlier)) / 1000.0;
}

// Blocks while the daemon's socket queue is full: that is the flow control of "as fast as it goes".
void send_pull(testing::ControlSocket& control, bool high) {
  if (!control.pull("IN", high)) throw std::runtime_error(std::string("control socket: ") + std::strerror(errno));
}

}  // namespace

bool Options::wants(const std::string& scenario) const {
  return scenarios.empty() || std::find(scenarios.begin(), scenarios.end(), scenario) != scenarios.end();
}

std::uint64_t pace(double hz, std::size_t count, const std::function<void(std::size_t)>& act,
                   std::vector<std::uint64_t>* sent_at) {
  std::uint64_t start = now_ns();
  double period = 1e9 / hz;
  for (std::size_t i = 0; i < count; ++i) {
    sleep_until_ns(start + static_cast<std::uint64_t>(static_cast<double>(i) * period));
    if (sent_at) sent_at->push_back(now_ns());
    act(i);
  }
  return now_ns();
}

std::string config_head(const Options& options, const std::string& broker_url, int qos) {
  return "mqtt:\n  server: " + broker_url +
         "\n  client_id: gpio2mqtt-bench\n  base_topic: bench\n  keepalive: " + std::to_string(options.keepalive_s) +
         "s\n  qos: " + std::to_string(qos) + "\ndbus: off\n";
}

RunningDaemon::RunningDaemon(const Options& options, Probe& probe, const std::string& config, const std::string& log,
                             testing::NotifySocket* notify)
    : log_(log) {
  probe.set_offline();
  std::vector<std::string> env;
  if (notify) env.push_back(notify->env());
  std::size_t notified = notify ? notify->received().size() : 0;
  std::uint64_t forked = now_ns();
  process_ = std::make_unique<testing::Process>(std::vector<std::string>{options.daemon, "--config", config}, log,
                                                std::move(env));
  if (notify) {
    auto ready = notify->wait_for("READY=1", notified, 15s);
    if (!ready) throw std::runtime_error("gpio2mqtt sent no READY=1; its log:\n" + tail(read_file(log)));
    ready_ms_ = us(static_cast<std::uint64_t>(notify->received()[*ready].at.time_since_epoch().count()), forked) / 1000;
  }
  if (!probe.wait_online(15s))
    throw std::runtime_error("gpio2mqtt did not come online; its log:\n" + tail(read_file(log)));
  // It subscribes right after connecting; give the SUBACKs a moment before commands.
  std::this_thread::sleep_for(options.smoke ? 100ms : 300ms);
}

RunningDaemon::~RunningDaemon() = default;

pid_t RunningDaemon::pid() const { return process_->pid(); }

void RunningDaemon::signal(int signo) const { process_->signal(signo); }

int RunningDaemon::stop() {
  process_->signal(SIGTERM);
  auto code = process_->wait(10s);
  if (!code)
    throw std::runtime_error("gpio2mqtt did not stop within 10 s of SIGTERM; its log:\n" + tail(read_file(log_)));
  return *code;
}

// The bench's subscriber is its instrument: the broker must not drop what it was sent. Debian's
// mosquitto holds at most 1,000 QoS 1 messages per client beyond those in flight and drops the
// rest ("Outgoing messages are being dropped for client gpio2mqtt-bench-probe"): at QoS 1 and
// 1 kHz in the VM, with two messages an edge, the probe fell that far behind, and the broker's
// drops were counted as the daemon's losses though it had published every edge. --broker-config
// lines come after this one and can set it again.
constexpr const char* kInstrumentBrokerConfig = "max_queued_messages 0\n";

Scenario::Scenario(const Options& options) : options_(options) {
  broker_ = std::make_unique<testing::Mosquitto>(options_.dir, kInstrumentBrokerConfig + options_.broker_config);
  probe_ = std::make_unique<Probe>(broker_->url());
}

Scenario::~Scenario() = default;

std::string Scenario::broker_url() const { return broker_->url(); }

std::string Scenario::write_config(int qos, const std::string& name, const std::string& extra) {
  std::string path = options_.dir + "/" + name + ".yaml";
  // A button driven through the control socket, and relays wired to feedback inputs whose edge
  // timestamps mark the moment a relay changed.
  std::string names = "IN", wires, lines = "  button: {line: IN}\n";
  for (int i = 0; i < kRelays; ++i) {
    std::string n = std::to_string(i);
    names += ", FB" + n + ", OUT" + n;
    wires += std::string(i ? ", " : "") + "OUT" + n + ": FB" + n;
    lines += "  fb" + n + ": {line: FB" + n + "}\n  relay" + n + ": {line: OUT" + n + ", direction: output}\n";
  }
  testing::write_file(path, config_head(options_, broker_->url(), qos) +
                                "chips:\n"
                                "  sim:\n"
                                "    simulated:\n"
                                "      lines: [" +
                                names +
                                "]\n"
                                "      wires: {" +
                                wires +
                                "}\n"
                                "      control: " +
                                options_.dir + "/" + name +
                                ".sock\n"
                                "lines:\n" +
                                lines + extra);
  return path;
}

LimitResult Scenario::measure_limit(int qos, double hz) {
  LimitResult r;
  r.hz = hz;
  r.sent = static_cast<std::size_t>(hz * options_.seconds);
  probe_->take(Stream::kLimit);
  std::string log =
      options_.dir + "/bare-publisher-qos" + std::to_string(qos) + "-" + std::to_string(static_cast<int>(hz)) + ".log";
  ::unlink(log.c_str());
  testing::Process child({options_.self, "--child-publish", broker_->url(), std::to_string(qos), std::to_string(r.sent),
                          std::to_string(hz)},
                         log);
  auto code = child.wait(std::chrono::milliseconds(static_cast<long>(options_.seconds * 1000)) + 60s);
  if (code != 0) throw std::runtime_error("the bare publisher failed:\n" + tail(read_file(log)));
  probe_->wait_for(Stream::kLimit, r.sent, 6s, 120s);
  std::vector<double> latencies;
  std::vector<char> seen(r.sent + 1, 0);
  for (const auto& s : probe_->take(Stream::kLimit)) {
    latencies.push_back(us(s.received, s.stamp));
    if (s.seq >= 1 && s.seq <= r.sent) seen[s.seq] = 1;
  }
  r.lost = r.sent - static_cast<std::size_t>(std::count(seen.begin() + 1, seen.end(), 1));
  r.latency = percentiles(latencies);
  std::string text = read_file(log);
  auto at = text.find("cpu_ns=");
  if (at != std::string::npos && r.sent > 0)
    r.cpu_s_per_1000 = std::stod(text.substr(at + 7)) / 1e9 / static_cast<double>(r.sent) * 1000;
  return r;
}

RateResult Scenario::measure_rate(pid_t daemon, const Toggle& toggle, double hz, std::uint64_t& seq_base, bool& level) {
  RateResult r;
  r.target_hz = hz;
  probe_->take(Stream::kButton);
  probe_->take(Stream::kButtonState);
  std::vector<std::uint64_t> sent_at;
  sent_at.reserve(hz > 0 ? static_cast<std::size_t>(hz * options_.seconds) + 1 : 4'000'000);
  double cpu_before = cpu_seconds(daemon);
  std::uint64_t start = now_ns(), finished = 0;
  auto duration = static_cast<std::uint64_t>(options_.seconds * 1e9);
  std::vector<bool> levels;  // written by each write, to check the states against
  if (hz > 0) {
    finished = pace(
        hz, static_cast<std::size_t>(hz * options_.seconds),
        [&](std::size_t) {
          toggle(level = !level);
          levels.push_back(level);
        },
        &sent_at);
  } else {
    while (now_ns() - start < duration && sent_at.size() < sent_at.capacity()) {
      sent_at.push_back(now_ns());
      toggle(level = !level);
      levels.push_back(level);
    }
    finished = now_ns();
  }
  r.sent = sent_at.size();
  r.achieved_hz = static_cast<double>(r.sent) / (static_cast<double>(finished - start) / 1e9);
  // Quiet for longer than paho's 5 s retry loop before an edge counts as lost.
  probe_->wait_for(Stream::kButton, r.sent, 6s, 120s);
  r.cpu_s_per_1000 = (cpu_seconds(daemon) - cpu_before) / static_cast<double>(r.sent) * 1000;

  std::vector<char> seen(r.sent, 0);
  std::vector<double> edge, send;
  for (const auto& s : probe_->take(Stream::kButton)) {
    r.last_seq = std::max(r.last_seq, s.seq);
    if (s.seq <= seq_base || s.seq > seq_base + r.sent) {
      ++r.duplicated;  // a sequence number from no edge of this run
      continue;
    }
    std::size_t index = s.seq - seq_base - 1;
    if (seen[index]++) {
      ++r.duplicated;
      continue;
    }
    ++r.unique;
    edge.push_back(us(s.received, s.stamp));
    send.push_back(us(s.received, sent_at[index]));
  }
  r.lost = r.sent - r.unique;
  r.edge = percentiles(edge);
  r.send = percentiles(send);
  // Each state is published before its edge's event, so with every event here the states are too.
  // Paired by position, so only when each one says what its write made (no stale one before them).
  auto states = probe_->take(Stream::kButtonState);
  bool paired = states.size() == r.sent;
  for (std::size_t i = 0; paired && i < states.size(); ++i) paired = (states[i].seq == 1) == levels[i];
  r.states_paired = paired && r.sent > 0;
  if (r.states_paired) {
    std::vector<double> state_send;
    for (std::size_t i = 0; i < states.size(); ++i) state_send.push_back(us(states[i].received, sent_at[i]));
    r.state_send = percentiles(state_send);
  }
  seq_base += r.sent;
  return r;
}

CommandResult Scenario::measure_commands(int qos) {
  CommandResult r;
  probe_->take(Stream::kFeedback);
  // Warm-up, relay by relay: a first command may beat the daemon's subscription (repeat it), and
  // its event may queue behind what the edge runs left in flight (wait for it).
  std::size_t expected = 0;
  for (int relay = 0; relay < kRelays; ++relay) {
    bool followed = false;
    for (int attempt = 0; attempt < 4 && !followed; ++attempt) {
      probe_->publish(relay_set_topic(relay), "ON", qos);
      followed =
          probe_->wait_for(Stream::kFeedback, expected + 1, attempt < 3 ? 500ms : 60s, attempt < 3 ? 500ms : 120s);
    }
    probe_->publish(relay_set_topic(relay), "OFF", qos);
    if (!followed || !probe_->wait_for(Stream::kFeedback, expected + 2, 2s, 5s))
      throw std::runtime_error("relay " + std::to_string(relay) + " did not follow ON and OFF commands");
    expected += 2;
  }
  std::vector<std::uint64_t> seq_base(kRelays, 0);
  for (const auto& s : probe_->take(Stream::kFeedback)) seq_base.at(s.line) = std::max(seq_base.at(s.line), s.seq);

  // One command at a time, round-robin over the relays, paced below the per-line rate limit.
  std::vector<std::vector<std::uint64_t>> published_at(kRelays);
  std::vector<bool> level(kRelays, false);
  std::uint64_t start = now_ns();
  double period = 1e9 / options_.command_rate_hz;
  for (std::size_t i = 0; i < options_.commands; ++i) {
    sleep_until_ns(start + static_cast<std::uint64_t>(static_cast<double>(i) * period));
    int relay = static_cast<int>(i % kRelays);
    level[relay] = !level[relay];
    published_at[relay].push_back(now_ns());
    probe_->publish(relay_set_topic(relay), level[relay] ? "ON" : "OFF", qos);
    ++r.sent;
    // A lost command would leave its relay where the next one wants it: stop there.
    if (!probe_->wait_for(Stream::kFeedback, i + 1, 2s, 5s)) break;
  }
  std::vector<double> to_line, round_trip;
  for (const auto& s : probe_->take(Stream::kFeedback)) {
    if (s.line < 0 || s.line >= kRelays || s.seq <= seq_base[s.line]) continue;
    std::size_t index = s.seq - seq_base[s.line] - 1;
    if (index >= published_at[s.line].size()) continue;
    ++r.observed;
    to_line.push_back(us(s.stamp, published_at[s.line][index]));
    round_trip.push_back(us(s.received, published_at[s.line][index]));
  }
  r.to_line = percentiles(to_line);
  r.round_trip = percentiles(round_trip);
  return r;
}

QosRun Scenario::run(int qos, int index, const std::string& extra_config, const std::string& stem) {
  QosRun out;
  out.qos = qos;
  probe_->subscribe(qos);
  for (double hz : options_.rates)  // the smoke checks that it runs: one pace is enough
    if (hz > 0 && (!options_.smoke || out.limits.empty())) out.limits.push_back(measure_limit(qos, hz));

  std::string name = stem + "-qos" + std::to_string(qos) + "-run" + std::to_string(index);
  std::string config = write_config(qos, name, extra_config);
  RunningDaemon daemon(options_, *probe_, config, options_.dir + "/" + name + ".log");
  testing::ControlSocket control(options_.dir + "/" + name + ".sock");
  Toggle toggle = [&control](bool high) { send_pull(control, high); };
  std::uint64_t seq_base = 0;
  bool level = false;
  for (double hz : options_.rates) {
    out.rates.push_back(measure_rate(daemon.pid(), toggle, hz, seq_base, level));
    std::this_thread::sleep_for(options_.smoke ? 20ms : 300ms);
  }
  out.commands = measure_commands(qos);
  out.hwm_kb = status_kb(daemon.pid(), "VmHWM");
  out.rss_anon_kb = status_kb(daemon.pid(), "RssAnon");
  out.rss_file_kb = status_kb(daemon.pid(), "RssFile");
  out.pss_kb = smaps_kb(daemon.pid(), "Pss");
  out.exit_code = daemon.stop();
  return out;
}

IdleResult Scenario::idle() {
  IdleResult r;
  r.seconds = options_.idle_seconds;
  std::string name = "gpio2mqtt-idle";
  RunningDaemon daemon(options_, *probe_, write_config(1, name), options_.dir + "/" + name + ".log");
  testing::Process bare(
      {options_.self, "--child-idle", broker_->url(), std::to_string(static_cast<int>(options_.idle_seconds) + 5),
       std::to_string(options_.keepalive_s)},
      options_.dir + "/bare-idle.log");
  std::this_thread::sleep_for(options_.smoke ? 200ms : 2s);  // both connected and settled
  double daemon_cpu = cpu_seconds(daemon.pid()), bare_cpu = cpu_seconds(bare.pid());
  auto daemon_before = thread_switches(daemon.pid()), bare_before = thread_switches(bare.pid());
  std::this_thread::sleep_for(std::chrono::milliseconds(static_cast<long>(options_.idle_seconds * 1000)));
  r.daemon_cpu_s = cpu_seconds(daemon.pid()) - daemon_cpu;
  r.bare_cpu_s = cpu_seconds(bare.pid()) - bare_cpu;
  r.daemon_threads = thread_switches(daemon.pid());
  r.daemon = wakeups_between(daemon.pid(), daemon_before, r.daemon_threads);
  r.bare = wakeups_between(bare.pid(), bare_before, thread_switches(bare.pid()));
  r.bare_hwm_kb = status_kb(bare.pid(), "VmHWM");
  daemon.stop();
  return r;
}

const LimitResult& QosRun::limit_for(double hz) const {
  static const LimitResult kNone;
  const LimitResult* best = nullptr;
  for (const auto& limit : limits)  // "max" (0) takes the fastest measured pace
    if (!best || (hz > 0 ? std::abs(limit.hz - hz) < std::abs(best->hz - hz) : limit.hz > best->hz)) best = &limit;
  return best ? *best : kNone;
}

}  // namespace gpio2mqtt::bench

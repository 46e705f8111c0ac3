#include "floors.h"

#include <fmt/format.h>
#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <functional>
#include <thread>

#include "gpiosim.h"
#include "irq_cpu_share.h"
#include "probe.h"
#include "process.h"

namespace gpio2mqtt::bench {
namespace {

using namespace std::chrono_literals;

// The peers bench/CMakeLists.txt built, and the libgpiod of the C bridge (1.x on Debian 12, 2.x on
// 13). Without them no floor runs (why_no_floors()), but this file still compiles.
#ifdef GPIO2MQTT_C_BRIDGE
constexpr const char* kCBridgePath = GPIO2MQTT_C_BRIDGE;
constexpr const char* kPahoBridgePath = GPIO2MQTT_PAHO_BRIDGE;
constexpr const char* kSeedBridgePath = GPIO2MQTT_SEED_BRIDGE;
constexpr const char* kFloorGpiod = GPIO2MQTT_FLOOR_GPIOD;
#else
constexpr const char* kCBridgePath = "";
constexpr const char* kPahoBridgePath = "";
constexpr const char* kSeedBridgePath = "";
constexpr const char* kFloorGpiod = "";
#endif

constexpr std::size_t kWarmUpEdges = 3;

struct Received {
  bool rising = false;
  std::uint64_t at = 0;  // CLOCK_MONOTONIC ns
};

// The same pacing as gpio2mqtt's run: toggle at `hz` for `seconds`; when each write began.
std::vector<std::uint64_t> pace(const std::function<void(bool)>& toggle, double hz, double seconds, bool& level) {
  std::vector<std::uint64_t> sent_at;
  auto count = static_cast<std::size_t>(hz * seconds);
  sent_at.reserve(count);
  double period = 1e9 / hz;
  std::uint64_t start = now_ns();
  for (std::size_t i = 0; i < count; ++i) {
    sleep_until_ns(start + static_cast<std::uint64_t>(static_cast<double>(i) * period));
    sent_at.push_back(now_ns());
    toggle(level = !level);
  }
  return sent_at;
}

// Pairs the n-th receipt with the n-th write, as gpio2mqtt's `send →` figures do.
PeerRate figures(double hz, const std::vector<std::uint64_t>& sent_at, const std::vector<Received>& received,
                 double cpu_s) {
  PeerRate r;
  r.hz = hz;
  r.sent = sent_at.size();
  r.received = received.size();
  std::vector<double> us;
  for (std::size_t i = 0; i < std::min(received.size(), sent_at.size()); ++i)
    us.push_back(static_cast<double>(received[i].at - sent_at[i]) / 1e3);
  r.latency = percentiles(us);
  r.cpu_ms_per_edge = r.sent ? cpu_s * 1e3 / static_cast<double>(r.sent) : 0;
  return r;
}

std::vector<Received> read_record(const std::string& path) {
  std::vector<Received> out;
  std::ifstream in(path);
  int rising = 0;
  std::uint64_t read_ns = 0, kernel_ns = 0;
  while (in >> rising >> read_ns >> kernel_ns) out.push_back({rising != 0, read_ns});
  return out;
}

enum class Peer { kReader, kCBridge, kPaho311, kPaho5, kSeed, kLean, kLeanBefore };

// The consumer each peer requests its line as: its interrupt thread's name.
const char* consumer_of(Peer peer) {
  switch (peer) {
    case Peer::kReader:
    case Peer::kCBridge:
    case Peer::kPaho311:
    case Peer::kPaho5:
      return "c_bridge";
    case Peer::kSeed:
      return "seed_bridge";
    case Peer::kLean:
    case Peer::kLeanBefore:
      return "gpio2mqtt";
  }
  return "?";
}

const char* peer_name(Peer peer) {  // a chip label holds 31 characters
  switch (peer) {
    case Peer::kReader:
      return "kernel-reader";
    case Peer::kCBridge:
      return "c-bridge";
    case Peer::kPaho311:
      return "paho-311";
    case Peer::kPaho5:
      return "paho-5";
    case Peer::kSeed:
      return "seed";
    case Peer::kLean:
      return "lean";
    case Peer::kLeanBefore:
      return "lean-before";
  }
  return "?";
}

// One peer process on its own gpio-sim chip, toggled at every rate.
std::vector<PeerRate> run_floor(Scenario& scenario, const Options& options, int index, Peer peer) {
  std::string name = std::string(peer_name(peer)) + "-run" + std::to_string(index);
  auto chip = kernel_test::make_sim()
                  .label("g2m-floor-" + std::to_string(::getpid()) + "-" + name)
                  .lines(8)
                  .name(0, "IN")
                  .build();
  chip->set_pull(0, false);
  std::string record = options.dir + "/" + name + ".record";
  std::vector<std::string> argv{kCBridgePath, chip->dev_path(), "0", record};
  std::string url = scenario.broker_url();
  if (peer == Peer::kCBridge || peer == Peer::kPaho311 || peer == Peer::kPaho5 || peer == Peer::kSeed) {
    std::string host_port = url.substr(url.find("//") + 2);
    argv.insert(argv.end(),
                {host_port.substr(0, host_port.rfind(':')), host_port.substr(host_port.rfind(':') + 1), kFloorEvents});
    if (peer == Peer::kPaho311 || peer == Peer::kPaho5) {
      argv.front() = kPahoBridgePath;
      argv.push_back(peer == Peer::kPaho5 ? "5" : "4");
    }
    if (peer == Peer::kSeed) {  // Debian's python3, where python3-libgpiod and python3-paho-mqtt are
      argv.front() = kSeedBridgePath;
      argv.insert(argv.begin(), "/usr/bin/python3");
    }
  } else if (peer == Peer::kLean || peer == Peer::kLeanBefore) {
    std::string config = options.dir + "/" + name + ".yaml";
    testing::write_file(config, config_head(options, url, 0) + "chips:\n  sim:\n    label: " + chip->label() +
                                    "\nlines:\n  lean: {line: IN, edge: none}\n");
    argv = {peer == Peer::kLean ? options.daemon : options.before_daemon, "--config", config};
  }
  bool bridge = peer != Peer::kReader;
  if (bridge) {
    scenario.probe().subscribe(0);
    scenario.probe().set_offline();
  }
  testing::Process process(argv, options.dir + "/" + name + ".log");
  bool ready = bridge ? scenario.probe().wait_online(15s)
                      : testing::eventually([&] { return std::filesystem::exists(record + ".ready"); }, 15s);
  if (!ready) throw std::runtime_error(name + " did not start; its log:\n" + process.log());
  // gpio2mqtt publishes its state once connected, after its status, and maybe again right after:
  // those are no edge's. The first rate starts once a second passed without one.
  if (peer == Peer::kLean || peer == Peer::kLeanBefore) {
    if (!scenario.probe().wait_for(Stream::kFloor, 1, 5s, 5s))
      throw std::runtime_error(name + " published no state; its log:\n" + process.log());
    scenario.probe().wait_for(Stream::kFloor, SIZE_MAX, 1s, 5s);
  }

  // Every write an edge the kernel hands over (irq_cpu_share.h): under qemu, gpio-sim merges
  // pulses when its interrupt thread waits for the other vCPU, more the busier the peer keeps the
  // VM, which would count against a peer what gpio-sim did.
  kernel_test::IrqCpuShare share(consumer_of(peer), 0);
  if (!share.why_not().empty()) fmt::print(stderr, "{}: {}\n", name, share.why_not());

  struct Rate {
    double hz;
    std::vector<std::uint64_t> sent_at;
    std::vector<Received> received;
    double cpu_s;
  };
  std::vector<Rate> rates;
  // A few untimed edges first, for every peer alike: the first edge after a start costs what no
  // later one does (26–31 ms for the C bridges, against 4–10 after it; gpio2mqtt's also takes
  // three major page faults, its edge path's code read on first use, 86 ms in all under this VM's
  // 9p root). At 10 Hz a run's p99 was then its first edge. The rates measure the steady state.
  bool level = false;
  scenario.probe().take(Stream::kFloor);
  for (std::size_t i = 1; i <= kWarmUpEdges; ++i) {
    chip->set_pull(0, level = !level);
    if (bridge) scenario.probe().wait_for(Stream::kFloor, i, 2s, 5s);
    else std::this_thread::sleep_for(100ms);
  }
  std::this_thread::sleep_for(300ms);
  std::uint64_t measured_from = now_ns();
  for (double hz : options.rates) {
    if (hz <= 0) continue;  // a floor at "as fast as it goes" would measure the bench's writes
    scenario.probe().take(Stream::kFloor);
    double cpu_before = cpu_seconds(process.pid());
    Rate rate{hz, pace([&chip](bool high) { chip->set_pull(0, high); }, hz, options.seconds, level), {}, 0};
    if (bridge) {
      scenario.probe().wait_for(Stream::kFloor, rate.sent_at.size(), 2s, 60s);
      for (const auto& s : scenario.probe().take(Stream::kFloor)) rate.received.push_back({s.seq != 0, s.received});
    } else {
      std::this_thread::sleep_for(1s);  // its record comes at the end: give it the time the bridge gets
    }
    rate.cpu_s = cpu_seconds(process.pid()) - cpu_before;
    rates.push_back(std::move(rate));
    std::this_thread::sleep_for(300ms);
  }
  process.signal(SIGTERM);
  if (process.wait(10s) != 0) throw std::runtime_error(name + " failed; its log:\n" + process.log());
  if (!bridge) {  // its record by rate: what it read before the next rate's first write
    auto all = read_record(record);
    std::size_t next = 0;
    while (next < all.size() && all[next].at < measured_from) ++next;  // the warm-up's
    for (std::size_t i = 0; i < rates.size(); ++i) {
      std::uint64_t end =
          i + 1 < rates.size() && !rates[i + 1].sent_at.empty() ? rates[i + 1].sent_at.front() : UINT64_MAX;
      while (next < all.size() && all[next].at < end) rates[i].received.push_back(all[next++]);
    }
  }
  std::vector<PeerRate> out;
  for (const auto& rate : rates) out.push_back(figures(rate.hz, rate.sent_at, rate.received, rate.cpu_s));
  return out;
}

}  // namespace

std::string why_no_floors() {
#ifdef GPIO2MQTT_C_BRIDGE
  return {};
#else
  return "the C bridge of the floors needs libgpiod's C library and libmosquitto (libgpiod-dev, libmosquitto-dev)";
#endif
}

}  // namespace gpio2mqtt::bench

namespace gpio2mqtt::bench {

FloorRun run_floors(Scenario& scenario, const Options& options, int index) {
  FloorRun run;
  run.reader = run_floor(scenario, options, index, Peer::kReader);
  run.bridge = run_floor(scenario, options, index, Peer::kCBridge);
  run.paho311 = run_floor(scenario, options, index, Peer::kPaho311);
  run.paho5 = run_floor(scenario, options, index, Peer::kPaho5);
  run.seed = run_floor(scenario, options, index, Peer::kSeed);
  run.lean = run_floor(scenario, options, index, Peer::kLean);
  if (!options.before_daemon.empty()) run.lean_before = run_floor(scenario, options, index, Peer::kLeanBefore);
  return run;
}

namespace {

// One row of the table: the medians over the runs of one peer at one rate.
struct Row {
  const char* peer;
  double p50_us = 0, p99_us = 0, cpu_ms = 0, sent = 0, lost = 0;
};

std::string times(double value, double floor) {
  return floor > 0 ? fmt::format(" ({:.2f}×)", value / floor) : std::string();
}

}  // namespace

void print_floors(const Options& options, const std::vector<FloorRun>& floors,
                  const std::vector<std::array<QosRun, 2>>& runs) {
  if (floors.empty()) return;
  fmt::print(
      "\n### 3. Floors: gpio2mqtt next to a kernel reader and a minimal C bridge, in this VM boot\n\n"
      "Each peer on a gpio-sim line of its own, toggled {1:g} s per rate by the same paced sysfs writes, after "
      "three untimed edges (the first edge after a start costs more, for every peer). Latency: "
      "from just before the n-th write to the n-th event read (kernel reader: libgpiod {0}, no MQTT) or message "
      "received (C bridge: libgpiod {0} + libmosquitto, one thread, one poll loop, \"ON\"/\"OFF\" at QoS 0; "
      "paho C bridge: the same over paho.mqtt.c's MQTTAsync, the library under gpio2mqtt, which hands every "
      "publish to its send thread, at MQTT 3.1.1 and at MQTT 5 (gpio2mqtt's default); "
      "seed-style Python: python3-libgpiod's wait-and-read loop and python3-paho-mqtt's loop_start(), one "
      "QoS 0 publish of \"ON\"/\"OFF\" per edge; "
      "gpio2mqtt: its event, the `send →` figure above, and its state, the retained message published just before "
      "that event (up to 200 Hz, in runs where every state arrived; CPU and losses are the line's); gpio2mqtt state "
      "only: a line with edge: none, which "
      "publishes only its retained state, one message per edge as the C bridge does, at QoS 0; --before-daemon: the "
      "same line on another gpio2mqtt binary). CPU: the peer "
      "process's user+system time per edge made. "
      "Without an event: edges made minus events read or received (writes faster than gpio-sim's interrupt "
      "simulation merge into one edge: the kernel reader shows how many). Medians over {2} run(s); (×) to the C "
      "bridge of the same rate.\n\n"
      "| rate | peer | p50 ms | p99 ms | CPU ms/edge | edges without an event (of made) |\n"
      "|---|---|---|---|---|---|\n",
      kFloorGpiod, options.seconds, floors.size());
  for (std::size_t i = 0; i < floors.front().bridge.size(); ++i) {
    double hz = floors.front().bridge[i].hz;
    auto floor_row = [&](const char* peer, auto pick) {
      Row row{peer};
      std::vector<double> p50, p99, cpu, sent, lost;
      for (const auto& run : floors) {
        const PeerRate& r = pick(run)[i];
        p50.push_back(r.latency.p50), p99.push_back(r.latency.p99), cpu.push_back(r.cpu_ms_per_edge);
        sent.push_back(static_cast<double>(r.sent));
        lost.push_back(static_cast<double>(r.sent - std::min(r.sent, r.received)));
      }
      row.p50_us = median(p50), row.p99_us = median(p99), row.cpu_ms = median(cpu);
      row.sent = median(sent), row.lost = median(lost);
      return row;
    };
    std::vector<Row> rows{
        floor_row(
            "kernel reader", [](const FloorRun& r) -> const auto& { return r.reader; }),
        floor_row(
            "C bridge", [](const FloorRun& r) -> const auto& { return r.bridge; }),
        floor_row(
            "paho C bridge, MQTT 3.1.1", [](const FloorRun& r) -> const auto& { return r.paho311; }),
        floor_row(
            "paho C bridge, MQTT 5", [](const FloorRun& r) -> const auto& { return r.paho5; }),
        floor_row(
            "seed-style Python (paho-mqtt, python3-libgpiod)", [](const FloorRun& r) -> const auto& { return r.seed; }),
        floor_row(
            "gpio2mqtt QoS 0, state only (edge: none)", [](const FloorRun& r) -> const auto& { return r.lean; })};
    if (!floors.front().lean_before.empty())
      rows.push_back(floor_row(
          "the same, --before-daemon", [](const FloorRun& r) -> const auto& { return r.lean_before; }));
    for (int qos : {0, 1}) {
      Row row{qos == 0 ? "gpio2mqtt QoS 0" : "gpio2mqtt QoS 1"};
      std::vector<double> p50, p99, cpu, sent, lost;
      for (const auto& run : runs)
        for (const auto& r : run[qos].rates) {
          if (r.target_hz != hz) continue;
          p50.push_back(r.send.p50), p99.push_back(r.send.p99), cpu.push_back(r.cpu_s_per_1000);
          sent.push_back(static_cast<double>(r.sent)), lost.push_back(static_cast<double>(r.lost));
        }
      if (p50.empty()) continue;
      row.p50_us = median(p50), row.p99_us = median(p99), row.cpu_ms = median(cpu);  // s/1000 = ms/edge
      row.sent = median(sent), row.lost = median(lost);
      rows.push_back(row);
      if (qos != 0) continue;
      // Its state, the first of the edge's two messages: what a dashboard shows, and the C bridge's
      // one message. Only runs where every state came (states can be superseded in a burst).
      Row state{"gpio2mqtt QoS 0, its state (sent before the event above)"};
      std::vector<double> state_p50, state_p99;
      for (const auto& run : runs)
        for (const auto& r : run[qos].rates)
          if (r.target_hz == hz && r.states_paired)
            state_p50.push_back(r.state_send.p50), state_p99.push_back(r.state_send.p99);
      if (state_p50.empty()) continue;
      state.p50_us = median(state_p50), state.p99_us = median(state_p99);
      state.cpu_ms = row.cpu_ms, state.sent = row.sent, state.lost = row.lost;
      rows.push_back(state);
    }
    const Row& c = rows[1];
    for (const auto& row : rows)
      fmt::print("| {:g} Hz | {} | {:.2f}{} | {:.2f}{} | {:.3f}{} | {:.0f} of {:.0f} ({:+.0f} vs C) |\n", hz, row.peer,
                 row.p50_us / 1e3, times(row.p50_us, c.p50_us), row.p99_us / 1e3, times(row.p99_us, c.p99_us),
                 row.cpu_ms, times(row.cpu_ms, c.cpu_ms), row.lost, row.sent, row.lost - c.lost);
  }
}

}  // namespace gpio2mqtt::bench

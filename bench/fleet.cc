#include "fleet.h"

#include <fmt/format.h>
#include <mqtt/async_client.h>
#include <signal.h>

#include <algorithm>
#include <atomic>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <sstream>
#include <thread>

#include "control_socket.h"
#include "daemon.h"
#include "payloads.h"
#include "proc.h"
#include "process.h"
#include "rabbitmq_cluster.h"

namespace gpio2mqtt::bench {
namespace {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

constexpr double kEdgeHz = 5;

// Milliseconds since midnight, local time, of now and of a log line's "YYYY-MM-DD HH:MM:SS.mmm".
long now_ms_of_day() {
  auto now = std::chrono::system_clock::now();
  std::time_t t = std::chrono::system_clock::to_time_t(now);
  std::tm tm{};
  localtime_r(&t, &tm);
  auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(now.time_since_epoch()).count() % 1000;
  return ((tm.tm_hour * 60L + tm.tm_min) * 60 + tm.tm_sec) * 1000 + ms;
}
long log_ms_of_day(const std::string& line) {
  if (line.size() < 23) return -1;
  return ((std::stol(line.substr(11, 2)) * 60 + std::stol(line.substr(14, 2))) * 60 + std::stol(line.substr(17, 2))) *
             1000 +
         std::stol(line.substr(20, 3));
}
// The times of the log lines containing `needle` at or after `from` (ms of day).
std::vector<long> times_of(const std::string& log, const std::string& needle, long from) {
  std::vector<long> out;
  std::istringstream in(log);
  for (std::string line; std::getline(in, line);)
    if (line.find(needle) != std::string::npos)
      if (long at = log_ms_of_day(line); at >= from) out.push_back(at);
  return out;
}

// Every board's events, by a subscriber whose session the broker keeps (clean session off) on one
// node, so that it misses nothing while the cluster restarts.
class Subscriber {
 public:
  Subscriber(const std::string& url, std::size_t boards)
      : client_(url, "fleet-bench-subscriber", ::mqtt::create_options(MQTTVERSION_3_1_1)), seqs_(boards) {
    client_.set_message_callback([this](::mqtt::const_message_ptr message) {
      const auto& topic = message->get_topic();  // fleet/b<N>/button/event
      auto board = std::stoul(topic.substr(7, topic.find('/', 7) - 7));
      std::lock_guard lock(mutex_);
      if (board < seqs_.size()) seqs_[board].push_back(testing::seq_of(message->get_payload_str()).value_or(0));
    });
    client_.set_connected_handler([this](const std::string&) { client_.subscribe("fleet/+/button/event", 1); });
    auto options = ::mqtt::connect_options_builder()
                       .mqtt_version(MQTTVERSION_3_1_1)
                       .clean_session(false)
                       .automatic_reconnect(1s, 5s)
                       .keep_alive_interval(10s)
                       .finalize();
    client_.connect(options)->wait_for(30s);
  }
  ~Subscriber() {
    try {
      client_.disconnect()->wait_for(5s);
    } catch (const std::exception&) {
    }
  }
  std::vector<std::vector<int>> seqs() const {
    std::lock_guard lock(mutex_);
    return seqs_;
  }

 private:
  ::mqtt::async_client client_;
  mutable std::mutex mutex_;
  std::vector<std::vector<int>> seqs_;
};

// An edge on every board kEdgeHz times a second, spread over the period, until stopped.
class Edges {
 public:
  explicit Edges(const std::vector<std::string>& sockets) : sent_(sockets.size()) {
    thread_ = std::thread([this, sockets] {
      std::vector<std::unique_ptr<testing::ControlSocket>> controls;
      for (const auto& path : sockets) controls.push_back(std::make_unique<testing::ControlSocket>(path));
      std::vector<bool> level(sockets.size());
      auto step = std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(1 / kEdgeHz)) /
                  static_cast<long>(sockets.size());
      auto next = Clock::now();
      for (std::size_t i = 0; !stop_; i = (i + 1) % sockets.size()) {
        level[i] = !level[i];
        if (controls[i]->pull("BUTTON", level[i])) ++sent_[i];
        next += step;
        std::this_thread::sleep_until(next);
      }
    });
  }
  ~Edges() { stop(); }
  void stop() {
    stop_ = true;
    if (thread_.joinable()) thread_.join();
  }
  std::uint64_t sent(std::size_t board) const { return sent_[board]; }

 private:
  std::atomic<bool> stop_{false};
  std::vector<std::atomic<std::uint64_t>> sent_;
  std::thread thread_;
};

std::string board_config(const std::string& dir, std::size_t b, const testing::RabbitCluster& cluster, bool jitter) {
  std::string servers;
  for (const auto& url : cluster.mqtt_urls()) servers += (servers.empty() ? "" : ", ") + url;
  return fmt::format(
      "mqtt:\n  server: [{}]\n  server_order: shuffled\n  reconnect_jitter: {}\n  client_id: fleet-{}\n"
      "  version: 3.1.1\n  qos: 1\n  subscribe_qos: 0\n  keepalive: 10s\n  base_topic: fleet/b{}\n"
      "  persistence: {}/state\ndbus: off\nchips:\n  main:\n    simulated:\n      lines: [BUTTON]\n"
      "      control: {}/control.sock\nlines:\n  button: {{line: BUTTON}}\n",
      servers, jitter ? "true" : "false", b, b, dir, dir);
}

FleetRestart measure_restart(testing::RabbitCluster& cluster, std::vector<std::unique_ptr<testing::Daemon>>& boards,
                             bool jitter) {
  FleetRestart out;
  out.jitter = jitter;
  fmt::print(stderr, "fleet: restarting the whole cluster ({} jitter)...\n", jitter ? "with" : "without");
  cluster.stop_all();
  long down = now_ms_of_day();  // a connect from here on is to a node started again
  cluster.start_all();
  auto deadline = Clock::now() + 180s;
  std::vector<long> firsts(boards.size(), -1);
  std::map<long, int> attempts;
  while (Clock::now() < deadline) {
    out.boards_back = 0;
    for (std::size_t b = 0; b < boards.size(); ++b) {
      auto connected = times_of(boards[b]->log(), "info connected to ", down);
      if (!connected.empty()) firsts[b] = connected.front(), ++out.boards_back;
    }
    if (out.boards_back == boards.size()) break;
    std::this_thread::sleep_for(500ms);
  }
  // From the first board back: about when the first node served MQTT again.
  long first =
      *std::min_element(firsts.begin(), firsts.end(), [](long a, long b) { return b < 0 || (a >= 0 && a < b); });
  long last = first;
  for (std::size_t b = 0; b < boards.size(); ++b) {
    if (firsts[b] >= 0) ++out.connects[(firsts[b] - first) / 1000], last = std::max(last, firsts[b]);
    for (long at : times_of(boards[b]->log(), "info connecting to ", down)) ++attempts[at / 1000];
  }
  out.all_back_s = static_cast<double>(last - first) / 1000;
  for (const auto& [second, count] : out.connects) out.peak_connects_per_s = std::max(out.peak_connects_per_s, count);
  for (const auto& [second, count] : attempts) out.peak_attempts_per_s = std::max(out.peak_attempts_per_s, count);
  return out;
}

}  // namespace

FleetRun run_fleet(const Options& options) {
  FleetRun run;
  run.boards = options.fleet_boards;
  std::string dir = options.dir + "/fleet";
  std::filesystem::create_directories(dir + "/cluster");
  fmt::print(stderr, "fleet: starting a three-node RabbitMQ cluster...\n");
  auto started = Clock::now();
  testing::RabbitCluster cluster(dir + "/cluster", 3);
  run.cluster_start_s = std::chrono::duration<double>(Clock::now() - started).count();
  Subscriber subscriber(cluster.mqtt_url(0), run.boards);

  std::vector<std::unique_ptr<testing::Daemon>> boards;
  std::vector<std::string> sockets;
  for (std::size_t b = 0; b < run.boards; ++b) {
    std::string board_dir = dir + "/board" + std::to_string(b);
    std::filesystem::create_directories(board_dir);
    boards.push_back(std::make_unique<testing::Daemon>(board_dir, board_config(board_dir, b, cluster, true)));
    sockets.push_back(board_dir + "/control.sock");
  }
  fmt::print(stderr, "fleet: {} daemons started; waiting until each is connected...\n", run.boards);
  testing::eventually(
      [&] {
        return std::all_of(boards.begin(), boards.end(),
                           [](const auto& d) { return d->log().find("info connected to ") != std::string::npos; });
      },
      120s);
  Edges edges(sockets);
  std::this_thread::sleep_for(10s);

  // Node 3 dies: the boards on it go elsewhere.
  std::vector<bool> on_node(run.boards);
  std::string victim = "connected to " + cluster.mqtt_url(2);
  for (std::size_t b = 0; b < run.boards; ++b) {
    auto log = boards[b]->log();
    auto at = log.rfind("info connected to ");
    on_node[b] = at != std::string::npos && log.compare(at + 5, victim.size(), victim) == 0;
    run.on_stopped_node += on_node[b];
  }
  fmt::print(stderr, "fleet: SIGKILL of node 3, which {} boards use...\n", run.on_stopped_node);
  long killed = now_ms_of_day();
  cluster.stop(2, true);
  std::vector<double> failovers;
  testing::eventually(
      [&] {
        failovers.clear();
        for (std::size_t b = 0; b < run.boards; ++b) {
          if (!on_node[b]) continue;
          auto connected = times_of(boards[b]->log(), "info connected to ", killed);
          if (!connected.empty()) failovers.push_back(static_cast<double>(connected.front() - killed) / 1000);
        }
        return failovers.size() == run.on_stopped_node;
      },
      120s);
  run.failed_over = failovers.size();
  std::sort(failovers.begin(), failovers.end());
  if (!failovers.empty()) {
    run.failover_max_s = failovers.back();
    run.failover_median_s = failovers[failovers.size() / 2];
  }
  std::this_thread::sleep_for(10s);
  cluster.start(2);
  std::this_thread::sleep_for(5s);

  run.restarts.push_back(measure_restart(cluster, boards, true));
  std::this_thread::sleep_for(5s);
  for (std::size_t b = 0; b < run.boards; ++b) {  // the same fleet without jitter: a reload
    std::string board_dir = dir + "/board" + std::to_string(b);
    testing::write_file(boards[b]->config_path(), board_config(board_dir, b, cluster, false));
    boards[b]->process().signal(SIGHUP);
  }
  std::this_thread::sleep_for(15s);
  run.restarts.push_back(measure_restart(cluster, boards, false));
  std::this_thread::sleep_for(5s);

  edges.stop();
  fmt::print(stderr, "fleet: edges stopped; waiting for every event...\n");
  auto complete = [&] {
    auto seqs = subscriber.seqs();
    for (std::size_t b = 0; b < run.boards; ++b)
      if (seqs[b].empty() ||
          static_cast<std::uint64_t>(*std::max_element(seqs[b].begin(), seqs[b].end())) < edges.sent(b))
        return false;
    return true;
  };
  testing::eventually(complete, 120s);
  auto seqs = subscriber.seqs();
  for (std::size_t b = 0; b < run.boards; ++b) {
    run.edges += edges.sent(b);
    run.received += seqs[b].size();
    std::vector<bool> seen(edges.sent(b) + 1);
    int last = 0;
    for (int seq : seqs[b]) {  // a repeat is a duplicate (at least once); a new one after a later one is out of order
      bool known = seq > 0 && static_cast<std::size_t>(seq) < seen.size();
      if (known && seen[static_cast<std::size_t>(seq)]) ++run.duplicates;
      else if (seq < last) ++run.reordered;
      if (known) seen[static_cast<std::size_t>(seq)] = true;
      last = std::max(last, seq);
    }
    for (std::size_t s = 1; s < seen.size(); ++s) run.lost += !seen[s];
  }

  fmt::print(stderr, "fleet: idle for 20 s...\n");
  std::this_thread::sleep_for(5s);
  std::vector<double> before;
  for (auto& board : boards) before.push_back(cpu_seconds(board->process().pid()));
  std::this_thread::sleep_for(20s);
  double cpu = 0;
  for (std::size_t b = 0; b < run.boards; ++b) {
    pid_t pid = boards[b]->process().pid();
    cpu += cpu_seconds(pid) - before[b];
    run.rss_kb += status_kb(pid, "VmRSS");
    run.pss_kb += smaps_kb(pid, "Pss");
  }
  run.idle_cpu_percent = cpu / 20 / static_cast<double>(run.boards) * 100;
  run.rss_kb /= static_cast<long>(run.boards);
  run.pss_kb /= static_cast<long>(run.boards);
  for (auto& board : boards) board->process().signal(SIGTERM);
  for (auto& board : boards) board->process().wait(10s);
  return run;
}

void print_fleet(const FleetRun& run) {
  fmt::print(
      "\nFleet: {} daemons on a three-node RabbitMQ cluster (started in {:.0f} s), an edge 5 times a second "
      "each at QoS 1\n",
      run.boards, run.cluster_start_s);
  fmt::print("  node 3 SIGKILLed: {} boards on it, {} back on another node; failover median {:.1f} s, max {:.1f} s\n",
             run.on_stopped_node, run.failed_over, run.failover_median_s, run.failover_max_s);
  for (const auto& restart : run.restarts) {
    fmt::print(
        "  whole cluster restarted, {} jitter: {} of {} boards back, the last {:.1f} s after the first; "
        "peak {} connects/s, {} connect attempts/s (while the nodes were down too)\n",
        restart.jitter ? "with" : "without", restart.boards_back, run.boards, restart.all_back_s,
        restart.peak_connects_per_s, restart.peak_attempts_per_s);
    std::string per_second;
    for (const auto& [second, count] : restart.connects) per_second += fmt::format(" {}s:{}", second, count);
    fmt::print("    connects in each second from the first:{}\n", per_second);
  }
  fmt::print("  events: {} made, {} received, {} lost, {} duplicates, {} out of order\n", run.edges, run.received,
             run.lost, run.duplicates, run.reordered);
  fmt::print("  at idle, per daemon: {:.2f} % of a core, RSS {} kB, PSS {} kB\n", run.idle_cpu_percent, run.rss_kb,
             run.pss_kb);
}

}  // namespace gpio2mqtt::bench

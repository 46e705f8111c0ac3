#include "sensors.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <filesystem>
#include <stdexcept>
#include <thread>

#include "process.h"

namespace gpio2mqtt::bench {
namespace {

using namespace std::chrono_literals;

// A thermometer whose every read takes kSlowReadS: its `temperature` is a FIFO that this thread
// opens for writing once the daemon opened it for reading, then answers that much later.
class SlowThermometer {
 public:
  explicit SlowThermometer(std::string fifo) : fifo_(std::move(fifo)) {
    if (::mkfifo(fifo_.c_str(), 0600) != 0) throw std::runtime_error("mkfifo " + fifo_);
    thread_ = std::thread([this] { run(); });
  }
  ~SlowThermometer() {
    stop_ = true;
    thread_.join();
  }
  std::size_t answered() const { return answered_; }

 private:
  void run() {
    while (!stop_) {
      int fd = ::open(fifo_.c_str(), O_WRONLY | O_NONBLOCK | O_CLOEXEC);
      if (fd < 0) {  // ENXIO: no read waits yet
        std::this_thread::sleep_for(2ms);
        continue;
      }
      std::this_thread::sleep_for(std::chrono::duration<double>(kSlowReadS));
      bool sent = ::write(fd, "21500\n", 6) == 6;
      ::close(fd);
      answered_ += sent;
      // The reader sees the end of this answer before the next open can be taken for its own.
      std::this_thread::sleep_for(100ms);
    }
  }
  std::string fifo_;
  std::atomic<bool> stop_{false};
  std::atomic<std::size_t> answered_{0};
  std::thread thread_;
};

std::string sensors_config(const std::string& sys) {
  std::string out = "sysfs: " + sys + "\nsensors:\n";
  for (int i = 0; i < kBenchSensors; ++i) {
    std::string id = fmt::format("28-{:012x}", i + 1);
    out += fmt::format("  t{}: {{w1: {}, interval: 1s, timeout: {}}}\n", i, id, i == 0 ? "2s" : "500ms");
  }
  return out;
}

}  // namespace

SensorsRun run_sensors(Scenario& scenario, const Options& options, int index) {
  SensorsRun out;
  std::string sys = options.dir + "/sensors-sys" + std::to_string(index);
  for (int i = 0; i < kBenchSensors; ++i) {
    std::string dir = fmt::format("{}/bus/w1/devices/28-{:012x}", sys, i + 1);
    std::filesystem::create_directories(dir);
    if (i > 0) testing::write_file(dir + "/temperature", std::to_string(20000 + 125 * i) + "\n");
  }
  SlowThermometer slow(fmt::format("{}/bus/w1/devices/28-{:012x}/temperature", sys, 1));
  std::string extra = sensors_config(sys);
  // Alternating which goes first, so that a drift of the machine's load favours neither.
  if (index % 2 == 0) out.without = scenario.run(1, index, "", "gpio2mqtt-nosensors");
  std::size_t before = slow.answered();
  out.with = scenario.run(1, index, extra, "gpio2mqtt-sensors");
  out.slow_reads = slow.answered() - before;
  if (index % 2 == 1) out.without = scenario.run(1, index, "", "gpio2mqtt-nosensors");
  return out;
}

namespace {

// (max - min) / median of `values`: how far identical runs differ; 0 with fewer than two.
double spread(const std::vector<double>& values) {
  if (values.size() < 2 || median(values) <= 0) return 0;
  auto [low, high] = std::minmax_element(values.begin(), values.end());
  return (*high - *low) / median(values);
}

}  // namespace

void print_sensors(const std::vector<SensorsRun>& runs) {
  if (runs.empty()) return;
  fmt::print(
      "\nSensors: {} sensors read every second, one blocking {:g} ms per read, beside the lines (QoS 1,\n"
      "medians of {} runs, with and without interleaved; the slow sensor answered {} reads in the first run)\n",
      kBenchSensors, kSlowReadS * 1000, runs.size(), runs.front().slow_reads);
  fmt::print(
      "| latency | without sensors p50 / p99 µs | with sensors p50 / p99 µs | ratio p50 / p99 | spread between "
      "runs without / with, p50 | p99 |\n|---|---|---|---|---|---|\n");
  std::string per_run;
  double widest = 0;
  auto row = [&](const std::string& what, auto pick) {
    std::vector<double> a50, a99, b50, b99;
    for (std::size_t i = 0; i < runs.size(); ++i) {
      Percentiles a = pick(runs[i].without), b = pick(runs[i].with);
      a50.push_back(a.p50), a99.push_back(a.p99), b50.push_back(b.p50), b99.push_back(b.p99);
      per_run += fmt::format("| {} | {} | {:.0f} / {:.0f} | {:.0f} / {:.0f} | {:.2f} / {:.2f} |\n", what, i + 1, a.p50,
                             a.p99, b.p50, b.p99, a.p50 > 0 ? b.p50 / a.p50 : 0, a.p99 > 0 ? b.p99 / a.p99 : 0);
    }
    double m50 = median(a50), m99 = median(a99), n50 = median(b50), n99 = median(b99);
    widest = std::max({widest, spread(a50), spread(b50), spread(a99), spread(b99)});
    fmt::print(
        "| {} | {:.0f} / {:.0f} | {:.0f} / {:.0f} | {:.2f} / {:.2f} | {:.0f} % / {:.0f} % | {:.0f} % / {:.0f} % |\n",
        what, m50, m99, n50, n99, m50 > 0 ? n50 / m50 : 0, m99 > 0 ? n99 / m99 : 0, 100 * spread(a50),
        100 * spread(b50), 100 * spread(a99), 100 * spread(b99));
  };
  const QosRun& first = runs.front().with;
  for (std::size_t i = 0; i < first.rates.size(); ++i) {
    if (first.rates[i].target_hz <= 0) continue;  // as fast as it goes: a throughput, not a latency
    row(fmt::format("edge at {:g} Hz", first.rates[i].target_hz),
        [i](const QosRun& r) { return i < r.rates.size() ? r.rates[i].edge : Percentiles{}; });
  }
  row("command -> line", [](const QosRun& r) { return r.commands.to_line; });
  fmt::print(
      "\nEvery run:\n| latency | run | without p50 / p99 µs | with p50 / p99 µs | ratio p50 / p99 |\n"
      "|---|---|---|---|---|\n{}",
      per_run);
  // Spread: (max - min) / median over runs of one kind, which differ only by when they ran.
  if (runs.size() < 2)
    fmt::print("\nOne run: no spread between identical runs, the 1.1x target cannot be judged from it.\n");
  else if (widest > 0.10)
    fmt::print(
        "\nThe widest spread between identical runs is {:.0f} %, more than the 10 % the 1.1x target judges: the "
        "target cannot be judged on this machine now.\n",
        100 * widest);
  else
    fmt::print("\nThe widest spread between identical runs is {:.0f} %, within the 10 % being judged.\n", 100 * widest);
}

}  // namespace gpio2mqtt::bench

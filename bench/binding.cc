#include "binding.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <linux/gpio.h>
#include <poll.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <mutex>
#include <stdexcept>
#include <thread>

#include "control_socket.h"
#include "gpiosim.h"
#include "probe.h"
#include "process.h"
#include "util/unique_fd.h"

namespace gpio2mqtt::bench {
namespace {

using namespace std::chrono_literals;

double us(std::uint64_t later, std::uint64_t earlier) {
  return static_cast<double>(static_cast<std::int64_t>(later - earlier)) / 1000.0;  // signed: must show
}

std::size_t edge_count(const Options& options) {
  return std::max<std::size_t>(4, static_cast<std::size_t>(kBindingHz * options.seconds));
}

// The input `button` (line `in`), the output `relay` (line `out`) and the binding between them:
// every change of the input toggles the output.
std::string binding_config(const std::string& in, const std::string& out, const std::string& more_lines = "") {
  return "lines:\n  button: {line: " + in + "}\n  relay: {line: " + out + ", direction: output}\n" + more_lines +
         "bindings:\n  - {name: bench, trigger: button, on: change, target: relay, action: toggle}\n";
}

// Pulls the input `edges` times at kBindingHz, the first to high.
void make_edges(std::size_t edges, const Toggle& toggle) {
  pace(kBindingHz, edges, [&](std::size_t i) { toggle(i % 2 == 0); });
}

// The daemon's input events by seq (1, 2, ...): their timestamps.
std::map<std::uint64_t, std::uint64_t> stamps_by_seq(std::vector<Sample> samples) {
  std::map<std::uint64_t, std::uint64_t> out;
  for (const auto& s : samples) out.emplace(s.seq, s.stamp);
  return out;
}

BindingRun run_host(Scenario& scenario, const Options& options, int index) {
  BindingRun out;
  Probe& probe = scenario.probe();
  probe.subscribe(0);
  std::string name = "gpio2mqtt-binding-run" + std::to_string(index), socket = options.dir + "/" + name + ".sock";
  std::string config = options.dir + "/" + name + ".yaml";
  testing::write_file(config, config_head(options, scenario.broker_url(), 0) +
                                  "chips:\n  sim:\n    simulated:\n      lines: [IN, OUT, FB]\n      wires: {OUT: FB}\n"
                                  "      control: " +
                                  socket + "\n" + binding_config("IN", "OUT", "  fb0: {line: FB}\n"));
  RunningDaemon daemon(options, probe, config, options.dir + "/" + name + ".log");
  testing::ControlSocket control(socket);
  probe.take(Stream::kButton);
  probe.take(Stream::kFeedback);
  out.edges = edge_count(options);
  make_edges(out.edges, [&](bool high) {
    if (!control.pull("IN", high)) throw std::runtime_error(std::string("control socket: ") + std::strerror(errno));
  });
  probe.wait_for(Stream::kFeedback, out.edges, 3s, 60s);
  probe.wait_for(Stream::kButton, out.edges, 3s, 10s);
  auto inputs = stamps_by_seq(probe.take(Stream::kButton));
  std::vector<double> latencies;
  // Both lines start with their first edge: the output's n-th edge answers the input's n-th.
  for (const auto& s : probe.take(Stream::kFeedback))
    if (auto in = inputs.find(s.seq); s.line == 0 && in != inputs.end()) latencies.push_back(us(s.stamp, in->second));
  out.latency = percentiles(latencies);
  out.exit_code = daemon.stop();
  return out;
}

// The kernel's own record of each output write: gpiolib's gpio:gpio_value tracepoint, stamped
// with CLOCK_MONOTONIC (the clock of the edges' timestamps), read from tracefs. gpio-sim has no
// wires, and an observer polling the output's sysfs value would compete for the VM's two CPUs
// with the daemon's publishing right after the write: it timed the daemon's neighbours, not the
// daemon. One phase at a time (the reference, then the daemon, or the other way round), each
// with a cleared trace, so that every write seen belongs to the phase's one output.
class OutputTrace {
 public:
  OutputTrace() {
    if (!std::filesystem::exists(kTracefs + "/trace") && ::mount("nodev", kTracefs.c_str(), "tracefs", 0, nullptr) != 0)
      throw std::runtime_error("mounting tracefs on " + kTracefs + ": " + std::strerror(errno));
    put("trace_clock", "mono");
    put("events/gpio/gpio_value/enable", "1");
  }
  ~OutputTrace() {
    try {
      put("events/gpio/gpio_value/enable", "0");
    } catch (const std::exception&) {  // the VM goes anyway
    }
  }
  void start() {
    put("trace", "");  // cleared
    put("tracing_on", "1");
  }
  // The times (CLOCK_MONOTONIC ns) the phase's writes changed a line from `level`, in order.
  std::vector<std::uint64_t> changes(bool level) {
    put("tracing_on", "0");
    std::ifstream trace(kTracefs + "/trace");
    std::vector<std::uint64_t> out;
    std::string line;
    while (std::getline(trace, line)) {
      auto at = line.find(": gpio_value: ");
      auto set = line.find(" set ", at);
      if (at == std::string::npos || set == std::string::npos) continue;
      bool value = line.compare(set + 5, 1, "1") == 0;
      if (value == level) continue;
      level = value;
      auto stamp = line.rfind(' ', at);  // "... 12.087840: gpio_value: 1021 set 0"
      out.push_back(static_cast<std::uint64_t>(std::stod(line.substr(stamp + 1, at - stamp - 1)) * 1e9 + 0.5));
    }
    return out;
  }

 private:
  static inline const std::string kTracefs = "/sys/kernel/tracing";
  static void put(const std::string& file, const std::string& value) {
    std::ofstream out(kTracefs + "/" + file);
    if (!(out << value << std::flush)) throw std::runtime_error("writing " + kTracefs + "/" + file);
  }
};

// The reference: the least a bridge can do on this kernel to follow an edge with a line write.
// One thread, one uAPI v2 request (no libgpiod) of an input with both edges and an output; every
// edge read toggles the output at once.
class ReferenceBridge {
 public:
  ReferenceBridge(const std::string& dev_path, unsigned in, unsigned out) {
    UniqueFd chip(::open(dev_path.c_str(), O_RDWR | O_CLOEXEC));
    if (!chip.valid()) throw std::runtime_error("open " + dev_path + ": " + std::strerror(errno));
    gpio_v2_line_request request{};
    request.offsets[0] = in;
    request.offsets[1] = out;
    request.num_lines = 2;
    std::strncpy(request.consumer, "bench-reference", sizeof request.consumer - 1);
    request.config.flags = GPIO_V2_LINE_FLAG_INPUT | GPIO_V2_LINE_FLAG_EDGE_RISING | GPIO_V2_LINE_FLAG_EDGE_FALLING;
    request.config.num_attrs = 1;
    request.config.attrs[0].attr.id = GPIO_V2_LINE_ATTR_ID_FLAGS;
    request.config.attrs[0].attr.flags = GPIO_V2_LINE_FLAG_OUTPUT;
    request.config.attrs[0].mask = 1u << 1;  // the request's second line
    if (::ioctl(chip.get(), GPIO_V2_GET_LINE_IOCTL, &request) != 0)
      throw std::runtime_error("GPIO_V2_GET_LINE_IOCTL on " + dev_path + ": " + std::strerror(errno));
    request_.reset(request.fd);
    ::fcntl(request_.get(), F_SETFL, O_NONBLOCK);
    thread_ = std::thread([this] { run(); });
  }
  ~ReferenceBridge() {
    stop_ = true;
    thread_.join();
  }
  std::vector<std::uint64_t> stamps() {
    std::lock_guard lock(mutex_);
    return stamps_;
  }

 private:
  void run() {
    bool level = false;
    while (!stop_) {
      pollfd p{request_.get(), POLLIN, 0};
      if (::poll(&p, 1, 50) <= 0) continue;
      gpio_v2_line_event event{};
      while (::read(request_.get(), &event, sizeof event) == static_cast<ssize_t>(sizeof event)) {
        level = !level;
        gpio_v2_line_values values{};
        values.bits = level ? 1u << 1 : 0;
        values.mask = 1u << 1;
        ::ioctl(request_.get(), GPIO_V2_LINE_SET_VALUES_IOCTL, &values);
        std::lock_guard lock(mutex_);
        stamps_.push_back(event.timestamp_ns);
      }
    }
  }
  UniqueFd request_;
  std::atomic<bool> stop_{false};
  std::mutex mutex_;
  std::vector<std::uint64_t> stamps_;
  std::thread thread_;
};

// The n-th change seen answers the n-th input edge.
Percentiles matched(const std::vector<std::uint64_t>& inputs, const std::vector<std::uint64_t>& seen) {
  std::vector<double> latencies;
  for (std::size_t i = 0; i < std::min(inputs.size(), seen.size()); ++i) latencies.push_back(us(seen[i], inputs[i]));
  return percentiles(latencies);
}

constexpr unsigned kIn = 0, kOut = 1, kReferenceIn = 2, kReferenceOut = 3;
// Made and not timed, by the reference and the daemon alike: the first pass through code that has
// not run yet faults its pages in (over 9p from the host in the VM), once per start of a process.
constexpr std::size_t kWarmUpEdges = 2;

BindingRun run_vm(Scenario& scenario, const Options& options, int index) {
  BindingRun out;
  Probe& probe = scenario.probe();
  probe.subscribe(0);
  auto chip = kernel_test::make_sim()
                  .label("g2m-binding-" + std::to_string(::getpid()) + "-" + std::to_string(index))
                  .lines(4)
                  .name(kIn, "IN")
                  .name(kOut, "OUT")
                  .build();
  chip->set_pull(kIn, false);
  chip->set_pull(kReferenceIn, false);
  OutputTrace trace;
  const std::size_t edges = edge_count(options);
  auto reference = [&] {
    ReferenceBridge bridge(chip->dev_path(), kReferenceIn, kReferenceOut);
    make_edges(kWarmUpEdges, [&](bool high) { chip->set_pull(kReferenceIn, high); });
    testing::eventually([&] { return bridge.stamps().size() >= kWarmUpEdges; }, 10s);
    trace.start();
    make_edges(edges, [&](bool high) { chip->set_pull(kReferenceIn, high); });
    testing::eventually([&] { return bridge.stamps().size() >= kWarmUpEdges + edges; }, 10s);
    out.reference_edges = edges;
    auto stamps = bridge.stamps();
    stamps.erase(stamps.begin(), stamps.begin() + static_cast<std::ptrdiff_t>(std::min(kWarmUpEdges, stamps.size())));
    out.reference = matched(stamps, trace.changes(false));
  };
  auto daemon_run = [&] {
    std::string name = "gpio2mqtt-kernel-binding-run" + std::to_string(index);
    std::string config = options.dir + "/" + name + ".yaml";
    testing::write_file(config, config_head(options, scenario.broker_url(), 0) +
                                    "chips:\n  sim:\n    label: " + chip->label() + "\n" + binding_config("IN", "OUT"));
    RunningDaemon daemon(options, probe, config, options.dir + "/" + name + ".log");
    make_edges(kWarmUpEdges, [&](bool high) { chip->set_pull(kIn, high); });
    probe.wait_for(Stream::kButton, kWarmUpEdges, 3s, 10s);
    probe.take(Stream::kButton);
    out.edges = edges;
    trace.start();
    make_edges(edges, [&](bool high) { chip->set_pull(kIn, high); });
    probe.wait_for(Stream::kButton, edges, 3s, 10s);  // the writes come before the events
    std::vector<std::uint64_t> inputs;
    for (const auto& [seq, stamp] : stamps_by_seq(probe.take(Stream::kButton))) inputs.push_back(stamp);
    out.latency = matched(inputs, trace.changes(false));
    out.exit_code = daemon.stop();
  };
  // Alternating which goes first, so that a drift of the machine's load favours neither.
  if (index % 2 == 0) reference();
  daemon_run();
  if (index % 2 == 1) reference();
  return out;
}

}  // namespace

BindingRun run_binding(Scenario& scenario, const Options& options, int index) {
  return options.kernel ? run_vm(scenario, options, index) : run_host(scenario, options, index);
}

bool print_binding(const Options& options, const std::vector<BindingRun>& runs) {
  if (runs.empty()) return true;
  std::vector<double> p50, p99, r50, r99;
  for (const auto& run : runs) {
    p50.push_back(run.latency.p50), p99.push_back(run.latency.p99);
    r50.push_back(run.reference.p50), r99.push_back(run.reference.p99);
  }
  double m50 = median(p50), m99 = median(p99), n50 = median(r50), n99 = median(r99);
  if (!options.kernel) {
    fmt::print(
        "\n### A local binding: input edge -> output edge, on the host\n\n"
        "One daemon per run, QoS 0; a binding (`on: change`, `action: toggle`) from an input pulled {:g} times a "
        "second through the simulated chip's control socket to an output wired to a third line: the wired line's "
        "edge timestamp less the input's, both from the daemon's events. Every run listed.\n\n"
        "| run | input edges | output edges matched | p50 µs | p99 µs | max µs |\n|---|---|---|---|---|---|\n",
        kBindingHz);
    for (std::size_t i = 0; i < runs.size(); ++i)
      fmt::print("| {} | {} | {} | {:.0f} | {:.0f} | {:.0f} |\n", i + 1, runs[i].edges, runs[i].latency.n,
                 runs[i].latency.p50, runs[i].latency.p99, runs[i].latency.max);
    bool met = m50 < 1000 && m99 < 5000;
    fmt::print("| median | | | {:.0f} | {:.0f} | |\n\nTarget p50 < 1 ms and p99 < 5 ms: {}\n", m50, m99,
               met ? "met" : "MISSED");
    return met;
  }
  fmt::print(
      "\n### A local binding: input edge -> output edge, on gpio-sim\n\n"
      "Input edges {:g} a second through gpio-sim's sysfs pull; from the input's kernel timestamp to the output "
      "line's write as the kernel's gpio:gpio_value tracepoint records it (CLOCK_MONOTONIC; gpio-sim has no wires). "
      "The reference, on two other lines of the same chip and timed alike: one thread with a uAPI v2 request that "
      "writes its output line on each edge it reads (the kernel reader alone plus one line write). Each makes {} "
      "edges first that are not timed (a process's first pass faults its code in). Every run listed.\n\n"
      "| run | edges | reference p50 / p99 µs | gpio2mqtt p50 / p99 µs | ratio p50 / p99 |\n|---|---|---|---|---|\n",
      kBindingHz, kWarmUpEdges);
  auto ratio = [](double a, double b) { return b > 0 ? a / b : 0.0; };
  for (std::size_t i = 0; i < runs.size(); ++i) {
    const auto& r = runs[i];
    fmt::print("| {} | {} / {} | {:.0f} / {:.0f} | {:.0f} / {:.0f} | {:.2f} / {:.2f} |\n", i + 1, r.latency.n,
               r.reference.n, r.reference.p50, r.reference.p99, r.latency.p50, r.latency.p99,
               ratio(r.latency.p50, r.reference.p50), ratio(r.latency.p99, r.reference.p99));
  }
  bool met = n50 > 0 && m50 <= 1.5 * n50 && m99 <= 1.5 * n99;
  fmt::print("| median | | {:.0f} / {:.0f} | {:.0f} / {:.0f} | {:.2f} / {:.2f} |\n\nTarget within 1.5x: {}\n", n50, n99,
             m50, m99, ratio(m50, n50), ratio(m99, n99), met ? "met" : "MISSED");
  return met;
}

}  // namespace gpio2mqtt::bench

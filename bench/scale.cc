#include "scale.h"

#include <signal.h>

#include <cerrno>
#include <cstring>
#include <memory>
#include <stdexcept>
#include <thread>

#include "control_socket.h"
#include "notify_socket.h"
#include "probe.h"
#include "process.h"

namespace gpio2mqtt::bench {
namespace {

using namespace std::chrono_literals;

std::string chip_name(std::size_t chip) { return "c" + std::to_string(chip); }
std::string line_name(std::size_t line) { return "L" + std::to_string(line); }

std::string socket_path(const Options& options, const std::string& name, std::size_t chip) {
  return options.dir + "/" + name + "-" + chip_name(chip) + ".sock";
}

// `lines` inputs lN (chip line LN) on `chips` simulated chips, line i on chip i % chips.
std::string write_lines_config(const Options& options, const std::string& broker_url, const std::string& name,
                               std::size_t lines, std::size_t chips) {
  std::string text = config_head(options, broker_url, 0) + "chips:\n";
  for (std::size_t chip = 0; chip < chips; ++chip) {
    std::string names;
    for (std::size_t line = chip; line < lines; line += chips) names += (names.empty() ? "" : ", ") + line_name(line);
    text += "  " + chip_name(chip) + ":\n    simulated:\n      lines: [" + names +
            "]\n      control: " + socket_path(options, name, chip) + "\n";
  }
  text += "lines:\n";
  for (std::size_t line = 0; line < lines; ++line)
    text += "  l" + std::to_string(line) + ": {chip: " + chip_name(line % chips) + ", line: " + line_name(line) + "}\n";
  std::string path = options.dir + "/" + name + ".yaml";
  testing::write_file(path, text);
  return path;
}

// SIGHUP, then the READY=1 after its RELOADING=1, `times` times.
std::vector<double> time_reloads(RunningDaemon& daemon, testing::NotifySocket& notify, int times) {
  std::vector<double> out;
  for (int i = 0; i < times; ++i) {
    std::size_t from = notify.received().size();
    std::uint64_t sent = now_ns();
    daemon.signal(SIGHUP);
    auto reloading = notify.wait_for("RELOADING=1", from, 10s);
    auto ready = notify.wait_for("READY=1", reloading ? *reloading + 1 : from, 10s);
    if (!reloading || !ready) throw std::runtime_error("gpio2mqtt did not report RELOADING=1 and READY=1 after SIGHUP");
    auto at = static_cast<std::uint64_t>(notify.received()[*ready].at.time_since_epoch().count());
    out.push_back(static_cast<double>(at - sent) / 1e6);
    std::this_thread::sleep_for(100ms);  // its states published again, before the next one
  }
  return out;
}

StartResult measure_start(RunningDaemon& daemon, testing::NotifySocket& notify, std::size_t lines, int reloads) {
  StartResult r;
  r.lines = lines;
  r.ready_ms = daemon.ready_ms();
  r.rss_kb = status_kb(daemon.pid(), "VmRSS");
  r.pss_kb = smaps_kb(daemon.pid(), "Pss");
  r.reload_ms = time_reloads(daemon, notify, reloads);
  return r;
}

// Every line of the daemon toggled in turn, `hz` edges/s together, for `seconds`; then each
// line's events checked: every edge once, in order, in the right direction.
LinesResult toggle_lines(Probe& probe, std::vector<std::unique_ptr<testing::ControlSocket>>& controls, pid_t daemon,
                         std::size_t lines, double hz, double seconds) {
  LinesResult r;
  r.lines = lines;
  r.chips = controls.size();
  r.target_hz = hz;
  std::size_t per_line = std::max<std::size_t>(1, static_cast<std::size_t>(hz * seconds) / lines);
  r.sent = per_line * lines;
  std::vector<std::string> names;
  for (std::size_t line = 0; line < lines; ++line) names.push_back(line_name(line));
  std::vector<char> level(lines, 0);
  probe.take(Stream::kLines);
  double cpu_before = cpu_seconds(daemon);
  auto switches_before = thread_switches(daemon);
  std::uint64_t start = now_ns();
  std::uint64_t finished = pace(hz, r.sent, [&](std::size_t i) {
    std::size_t line = i % lines;
    level[line] = !level[line];
    if (!controls[line % controls.size()]->pull(names[line], level[line]))
      throw std::runtime_error(std::string("control socket: ") + std::strerror(errno));
  });
  r.achieved_hz = static_cast<double>(r.sent) / (static_cast<double>(finished - start) / 1e9);
  // Quiet for longer than paho's 5 s retry loop before an edge counts as lost.
  probe.wait_for(Stream::kLines, r.sent, 6s, 120s);
  r.cpu_us_per_edge = (cpu_seconds(daemon) - cpu_before) * 1e6 / static_cast<double>(r.sent);
  Wakeups wakeups = wakeups_between(daemon, switches_before, thread_switches(daemon));
  r.loop_wakeups_per_edge = static_cast<double>(wakeups.main) / static_cast<double>(r.sent);
  r.paho_wakeups_per_edge = static_cast<double>(wakeups.others) / static_cast<double>(r.sent);

  // The daemon numbers each line's events from 1; the k-th edge of a line that starts low rises
  // when k is odd.
  std::vector<std::uint64_t> newest(lines, 0);
  std::vector<std::vector<char>> seen(lines, std::vector<char>(per_line + 1, 0));
  std::vector<double> latencies;
  for (const auto& s : probe.take(Stream::kLines)) {
    auto line = static_cast<std::size_t>(s.line);
    if (line >= lines || s.seq == 0 || s.seq > per_line || seen[line][s.seq]++) {
      ++r.out_of_order;  // twice, or from no edge of this run
      continue;
    }
    ++r.unique;
    if (s.seq < newest[line]) ++r.out_of_order;
    newest[line] = std::max(newest[line], s.seq);
    if (s.rising != (s.seq % 2 == 1)) ++r.wrong_edge;
    latencies.push_back(static_cast<double>(static_cast<std::int64_t>(s.received - s.stamp)) / 1000.0);
  }
  r.lost = r.sent - r.unique;
  r.edge = percentiles(latencies);
  return r;
}

}  // namespace

ScaleRun run_scale(Scenario& scenario, const Options& options, int index) {
  ScaleRun out;
  Probe& probe = scenario.probe();
  probe.subscribe(0);
  testing::NotifySocket notify(options.dir + "/notify.sock");
  int reloads = options.smoke ? 1 : 5;
  const double total_hz = kScaleHzPerLine * static_cast<double>(kScaleLines);
  auto stopped = [&out](RunningDaemon& daemon) {
    int code = daemon.stop();
    if (out.exit_code == 0) out.exit_code = code;
  };
  auto controls_for = [&](const std::string& name, std::size_t chips) {
    std::vector<std::unique_ptr<testing::ControlSocket>> controls;
    for (std::size_t chip = 0; chip < chips; ++chip)
      controls.push_back(std::make_unique<testing::ControlSocket>(socket_path(options, name, chip)));
    return controls;
  };
  const std::string run = "-run" + std::to_string(index);
  {  // one line: the baseline of start-up, memory and CPU per edge
    std::string name = "gpio2mqtt-scale-1" + run;
    RunningDaemon daemon(options, probe, write_lines_config(options, scenario.broker_url(), name, 1, 1),
                         options.dir + "/" + name + ".log", &notify);
    out.small = measure_start(daemon, notify, 1, reloads);
    auto controls = controls_for(name, 1);
    out.one = toggle_lines(probe, controls, daemon.pid(), 1, total_hz, options.seconds);
    stopped(daemon);
  }
  {
    std::string name = "gpio2mqtt-scale-" + std::to_string(kScaleLines) + run;
    RunningDaemon daemon(options, probe,
                         write_lines_config(options, scenario.broker_url(), name, kScaleLines, kScaleChips),
                         options.dir + "/" + name + ".log");
    auto controls = controls_for(name, kScaleChips);
    out.many = toggle_lines(probe, controls, daemon.pid(), kScaleLines, total_hz, options.seconds);
    stopped(daemon);
  }
  {
    std::string name = "gpio2mqtt-scale-" + std::to_string(kLargeLines) + run;
    RunningDaemon daemon(options, probe,
                         write_lines_config(options, scenario.broker_url(), name, kLargeLines, kScaleChips),
                         options.dir + "/" + name + ".log", &notify);
    out.large = measure_start(daemon, notify, kLargeLines, reloads);
    stopped(daemon);
  }
  return out;
}

}  // namespace gpio2mqtt::bench

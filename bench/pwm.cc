#include "pwm.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <thread>

#include "probe.h"
#include "process.h"

namespace gpio2mqtt::bench {
namespace {

using namespace std::chrono_literals;

// The PWM chip of the test VM (tests/kernel/vm/pwm-sim.c), loaded if it is not yet; "" when
// there is none to use, else why not.
std::string why_no_pwm_sim() {
  if (std::filesystem::exists("/sys/devices/platform/pwm-sim")) return "";
  if (!std::getenv("VMRUN")) return "no PWM chip here (scripts/bench --vm --scenario pwm measures it on pwm-sim)";
  const char* cache = std::getenv("GPIO2MQTT_VM_CACHE");
  std::string module = std::string(cache && *cache ? cache : "/var/cache/gpio2mqtt-vm") + "/out/pwm-sim.ko";
  int fd = ::open(module.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return module + " is missing (tests/kernel/vm/build.sh)";
  long loaded = ::syscall(SYS_finit_module, fd, "npwm=1", 0);
  ::close(fd);
  return loaded == 0 ? "" : "cannot load " + module;
}

// CPU seconds of `daemon` over `seconds`, sending `commands` (payloads, in turn) every `every`.
double cpu_over(Probe& probe, pid_t daemon, double seconds, const std::string& topic,
                const std::vector<std::string>& commands, std::chrono::milliseconds every) {
  using Clock = std::chrono::steady_clock;
  double before = cpu_seconds(daemon);
  Clock::time_point end =
      Clock::now() + std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(seconds));
  for (std::size_t i = 0; Clock::now() < end; ++i) {
    if (!commands.empty()) probe.publish(topic, commands[i % commands.size()], 0);
    std::this_thread::sleep_until(std::min(Clock::now() + every, end));
  }
  return cpu_seconds(daemon) - before;
}

PwmLoad measure(Scenario& scenario, const Options& options, const std::string& name, const std::string& pwm,
                const std::string& what, const std::vector<std::string>& commands, std::chrono::milliseconds every) {
  std::string config = options.dir + "/" + name + ".yaml";
  testing::write_file(config, config_head(options, scenario.broker_url(), 0) +
                                  "chips:\n  sim:\n    simulated:\n      lines: [OUT]\nlines: {}\npwm:\n" + pwm);
  Probe& probe = scenario.probe();
  RunningDaemon daemon(options, probe, config, options.dir + "/" + name + ".log");
  double seconds = options.smoke ? 1 : options.seconds;
  PwmLoad load{what, seconds, cpu_over(probe, daemon.pid(), seconds, "bench/out/set", commands, every), true};
  daemon.stop();
  return load;
}

}  // namespace

std::vector<PwmLoad> run_pwm(Scenario& scenario, const Options& options) {
  std::vector<PwmLoad> loads;
  scenario.probe().subscribe(0);
  auto forever = std::chrono::milliseconds(3'600'000);
  loads.push_back(measure(scenario, options, "pwm-off", "  out: {line: OUT, period: 100ms}\n",
                          "software PWM output, off (the daemon idle)", {}, forever));
  for (const char* period : {"100ms", "1s"})
    loads.push_back(measure(scenario, options, std::string("pwm-") + period,
                            fmt::format("  out: {{line: OUT, period: {}}}\n", period),
                            fmt::format("software PWM, {} period, 50 %", period), {"50"}, forever));
  if (std::string why = why_no_pwm_sim(); !why.empty()) {
    loads.push_back({"hardware PWM fading: " + why, 0, 0, false});
  } else {
    // A 1 s fade up, then down, without a pause: a duty write every 20 ms throughout.
    loads.push_back(measure(scenario, options, "pwm-fade",
                            "  out: {pwm_chip: pwm-sim, channel: 0, frequency: 1kHz, transition: 1s}\n",
                            "hardware PWM (pwm-sim), fading 0-100 % in 1 s back and forth", {"100", "0"}, 1000ms));
  }
  return loads;
}

void print_pwm(const std::vector<PwmLoad>& loads) {
  fmt::print("\nPWM outputs: CPU of the daemon\n\n| load | seconds | CPU s | CPU % of one core |\n|---|---|---|---|\n");
  for (const auto& load : loads) {
    if (!load.measured) fmt::print("| {} | | | |\n", load.what);
    else
      fmt::print("| {} | {:.0f} | {:.3f} | {:.2f} |\n", load.what, load.seconds, load.cpu_s,
                 100 * load.cpu_s / load.seconds);
  }
}

}  // namespace gpio2mqtt::bench

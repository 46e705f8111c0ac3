#include "kernel.h"

#include <unistd.h>

#include <algorithm>
#include <thread>

#include "gpiosim.h"
#include "probe.h"
#include "process.h"

namespace gpio2mqtt::bench {

using namespace std::chrono_literals;

std::string why_no_kernel_bench() {
  if (kernel_test::why_no_gpiosim().empty()) return {};
  return "--kernel needs gpio-sim (/sys/kernel/config/gpio-sim), which this kernel lacks: scripts/bench --vm runs "
         "it in the tests/kernel/vm guest";
}

QosRun run_kernel(Scenario& scenario, const Options& options, int qos, int index) {
  QosRun out;
  out.qos = qos;
  scenario.probe().subscribe(qos);
  for (double hz : options.rates)
    if (hz > 0) out.limits.push_back(scenario.measure_limit(qos, hz));

  // One named input; the daemon finds the chip by its label, as a config for real hardware would.
  std::string name = "gpio2mqtt-kernel-qos" + std::to_string(qos) + "-run" + std::to_string(index);
  auto chip =
      kernel_test::make_sim()
          .label("g2m-bench-" + std::to_string(::getpid()) + "-" + std::to_string(qos) + "-" + std::to_string(index))
          .lines(8)
          .name(0, "IN")
          .build();
  chip->set_pull(0, false);  // the line starts low: the first toggle is a rising edge
  std::string config = options.dir + "/" + name + ".yaml";
  testing::write_file(config, "mqtt:\n  server: " + scenario.broker_url() +
                                  "\n  client_id: gpio2mqtt-bench\n  base_topic: bench\n  keepalive: " +
                                  std::to_string(options.keepalive_s) + "s\n  qos: " + std::to_string(qos) +
                                  "\ndbus: off\nchips:\n  sim:\n    label: " + chip->label() +
                                  "\nlines:\n  button: {line: IN, edge: both}\n");
  RunningDaemon daemon(options, scenario.probe(), config, options.dir + "/" + name + ".log");
  Toggle toggle = [&chip](bool high) { chip->set_pull(0, high); };
  std::uint64_t seq_base = 0;
  bool level = false;
  for (double hz : options.rates) {
    std::uint64_t before = seq_base;
    out.rates.push_back(scenario.measure_rate(daemon.pid(), toggle, hz, seq_base, level));
    // Writes that come faster than gpio-sim's interrupt simulation runs (irq_work; slow under TCG)
    // are most likely delivered as one edge, and the daemon numbers the edges it reads: the next
    // rate's seq follows the last one received, not the writes.
    seq_base = std::max(before, out.rates.back().last_seq);
    std::this_thread::sleep_for(300ms);
  }
  out.hwm_kb = status_kb(daemon.pid(), "VmHWM");
  out.exit_code = daemon.stop();
  return out;
}

}  // namespace gpio2mqtt::bench

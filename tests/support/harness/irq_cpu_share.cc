#include "irq_cpu_share.h"

#include <sys/types.h>

#include <cerrno>
#include <cstring>
#include <vector>

#include "gpiosim.h"

namespace gpio2mqtt::kernel_test {

IrqCpuShare::IrqCpuShare(const std::string& consumer, int cpu) {
  auto threads = sim_irq_threads(consumer);
  if (threads.empty()) {
    why_not_ = "no gpio-sim interrupt thread of '" + consumer + "' (no line of it requested with edges?)";
    return;
  }
  if (sched_getaffinity(0, sizeof before_, &before_) != 0) {
    why_not_ = std::string("sched_getaffinity: ") + std::strerror(errno);
    return;
  }
  cpu_set_t one;
  CPU_ZERO(&one);
  CPU_SET(cpu, &one);
  for (pid_t thread : threads) {
    if (sched_setaffinity(thread, sizeof one, &one) != 0) {
      why_not_ = "interrupt thread " + std::to_string(thread) + ": sched_setaffinity: " + std::strerror(errno);
      return;
    }
  }
  if (sched_setaffinity(0, sizeof one, &one) != 0) {
    why_not_ = std::string("sched_setaffinity: ") + std::strerror(errno);
    return;
  }
  pinned_ = true;
}

IrqCpuShare::~IrqCpuShare() {
  if (pinned_) sched_setaffinity(0, sizeof before_, &before_);
}

}  // namespace gpio2mqtt::kernel_test

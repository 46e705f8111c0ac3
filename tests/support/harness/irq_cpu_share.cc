#include "irq_cpu_share.h"

#include <pthread.h>
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
  // Below the interrupt threads (SCHED_FIFO 50), so each still runs before the next write.
  sched_param realtime{};
  realtime.sched_priority = 1;
  int error = pthread_getschedparam(pthread_self(), &policy_before_, &param_before_);
  if (error == 0) error = pthread_setschedparam(pthread_self(), SCHED_FIFO, &realtime);
  if (error != 0) {
    why_not_ = std::string("the writer stays an ordinary thread: pthread_setschedparam: ") + std::strerror(error);
    return;
  }
  realtime_ = true;
}

IrqCpuShare::~IrqCpuShare() {
  if (realtime_) pthread_setschedparam(pthread_self(), policy_before_, &param_before_);
  if (pinned_) sched_setaffinity(0, sizeof before_, &before_);
}

}  // namespace gpio2mqtt::kernel_test

#include "irq_cpu_share.h"

#include <sys/types.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <set>
#include <vector>

#include "gpiosim.h"

namespace gpio2mqtt::kernel_test {
namespace {

// The kernel threads named irq/N-..., for each N in `irqs`.
std::vector<pid_t> irq_threads(const std::vector<int>& irqs) {
  std::set<int> wanted(irqs.begin(), irqs.end());
  std::vector<pid_t> found;
  std::error_code error;
  for (const auto& entry : std::filesystem::directory_iterator("/proc", error)) {
    const std::string name = entry.path().filename();
    if (name.find_first_not_of("0123456789") != std::string::npos) continue;
    std::string comm;
    std::getline(std::ifstream(entry.path() / "comm"), comm);
    if (comm.rfind("irq/", 0) == 0 && wanted.count(std::atoi(comm.c_str() + 4)))
      found.push_back(static_cast<pid_t>(std::atoi(name.c_str())));
  }
  return found;
}

}  // namespace

IrqCpuShare::IrqCpuShare(const std::string& consumer, int cpu) {
  auto threads = irq_threads(sim_irqs(consumer));
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

#include "irq_thread_trace.h"

#include <fcntl.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>

namespace gpio2mqtt::kernel_test {
namespace {

// Not through an ofstream: its append mode seeks to the end first, which tracefs files refuse.
bool append(const std::string& path, const std::string& text) {
  int fd = ::open(path.c_str(), O_WRONLY | O_APPEND | O_CLOEXEC);
  if (fd < 0) return false;
  std::string line = text + "\n";
  bool written = ::write(fd, line.data(), line.size()) == static_cast<ssize_t>(line.size());
  ::close(fd);
  return written;
}

}  // namespace

IrqThreadTrace::IrqThreadTrace() : tracing_("/sys/kernel/tracing") {
  if (!std::filesystem::exists(tracing_ + "/kprobe_events") &&
      ::mount("tracefs", tracing_.c_str(), "tracefs", 0, nullptr) != 0) {
    why_not_ = "no tracefs at " + tracing_ + ": " + std::strerror(errno);
    return;
  }
  std::string stem = "g2m_" + std::to_string(::getpid());
  v1_probe_ = stem + "_v1";
  v2_probe_ = stem + "_v2";
  // Either may be missing from a kernel (inlined, or built without one uAPI): one is enough.
  if (!append(tracing_ + "/kprobe_events", "p:" + v1_probe_ + " lineevent_irq_thread")) v1_probe_.clear();
  if (!append(tracing_ + "/kprobe_events", "p:" + v2_probe_ + " edge_irq_thread")) v2_probe_.clear();
  if (v1_probe_.empty() && v2_probe_.empty()) {
    why_not_ = "cannot add kprobes on the GPIO interrupt threads (" + tracing_ + "/kprobe_events)";
    return;
  }
  instance_ = tracing_ + "/instances/" + stem;
  if (::mkdir(instance_.c_str(), 0700) != 0 && errno != EEXIST) {
    why_not_ = "cannot make the tracefs instance " + instance_ + ": " + std::strerror(errno);
    instance_.clear();
    return;
  }
  append(instance_ + "/buffer_size_kb", "8192");  // 10,000 events at 2 kHz fit
  for (const auto& probe : {v1_probe_, v2_probe_})
    if (!probe.empty() && !append(instance_ + "/events/kprobes/" + probe + "/enable", "1"))
      why_not_ = "cannot enable the kprobe " + probe;
}

IrqThreadTrace::~IrqThreadTrace() {
  if (!instance_.empty()) {
    for (const auto& probe : {v1_probe_, v2_probe_})
      if (!probe.empty()) append(instance_ + "/events/kprobes/" + probe + "/enable", "0");
    ::rmdir(instance_.c_str());
  }
  for (const auto& probe : {v1_probe_, v2_probe_})
    if (!probe.empty()) append(tracing_ + "/kprobe_events", "-:" + probe);
}

std::uint64_t IrqThreadTrace::events(const std::string& consumer) const {
  if (!why_not_.empty()) return 0;
  std::ifstream trace(instance_ + "/trace");
  std::string line;
  std::uint64_t count = 0;
  while (std::getline(trace, line)) {
    if (line.empty() || line.front() == '#') continue;
    // "  irq/31-gpio2mqt-321  [000] d..1.  123.456: g2m_42_v1: (lineevent_irq_thread+0x0/0xd0)"
    std::istringstream fields(line);
    std::string task;
    fields >> task;
    auto pid = task.rfind('-');
    if (task.rfind("irq/", 0) != 0 || pid == std::string::npos) continue;
    std::string comm = task.substr(0, pid);
    auto dash = comm.find('-');
    if (dash == std::string::npos) continue;
    std::string name = comm.substr(dash + 1);  // the consumer, maybe cut short
    if (name.empty() || consumer.rfind(name, 0) != 0) continue;
    for (const auto& probe : {v1_probe_, v2_probe_})
      if (!probe.empty() && line.find(" " + probe + ":") != std::string::npos) ++count;
  }
  return count;
}

}  // namespace gpio2mqtt::kernel_test

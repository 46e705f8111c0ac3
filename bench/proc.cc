#include "proc.h"

#include <dirent.h>
#include <unistd.h>

#include <fstream>
#include <sstream>

namespace gpio2mqtt::bench {
namespace {

std::string read_text(const std::string& path) {
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

std::uint64_t field_value(const std::string& status, const std::string& field) {
  auto at = status.find(field + ":");
  if (at == std::string::npos) return 0;
  return std::stoull(status.substr(at + field.size() + 1));
}

}  // namespace

double cpu_seconds(pid_t pid) {
  // The scheduler's own account, in ns, of each live thread: clock ticks are too coarse for the
  // tens of microseconds a pulse costs over a few thousand pulses.
  std::string base = "/proc/" + std::to_string(pid) + "/task";
  if (DIR* dir = opendir(base.c_str())) {
    std::uint64_t ns = 0;
    bool any = false;
    while (dirent* entry = readdir(dir)) {
      if (entry->d_name[0] == '.') continue;
      std::istringstream fields(read_text(base + "/" + entry->d_name + "/schedstat"));
      std::uint64_t on_cpu = 0;
      if (fields >> on_cpu) ns += on_cpu, any = true;
    }
    closedir(dir);
    if (any) return static_cast<double>(ns) / 1e9;
  }
  std::string stat = read_text("/proc/" + std::to_string(pid) + "/stat");
  auto close = stat.rfind(')');  // the command name may contain spaces
  if (close == std::string::npos) return 0;
  std::istringstream fields(stat.substr(close + 2));
  std::string skip;
  for (int i = 3; i < 14; ++i) fields >> skip;  // state .. cmajflt: fields 3..13
  unsigned long long utime = 0, stime = 0;
  fields >> utime >> stime;
  return static_cast<double>(utime + stime) / static_cast<double>(sysconf(_SC_CLK_TCK));
}

long status_kb(pid_t pid, const std::string& field) {
  std::string status = read_text("/proc/" + std::to_string(pid) + "/status");
  if (status.find(field + ":") == std::string::npos) return -1;
  return static_cast<long>(field_value(status, field));
}

long smaps_kb(pid_t pid, const std::string& field) {
  std::string rollup = read_text("/proc/" + std::to_string(pid) + "/smaps_rollup");
  auto at = rollup.find("\n" + field + ":");
  if (at == std::string::npos) return -1;
  return static_cast<long>(std::stoull(rollup.substr(at + field.size() + 2)));
}

std::vector<ThreadSwitches> thread_switches(pid_t pid) {
  std::vector<ThreadSwitches> threads;
  std::string base = "/proc/" + std::to_string(pid) + "/task";
  DIR* dir = opendir(base.c_str());
  if (!dir) return threads;
  while (dirent* entry = readdir(dir)) {
    if (entry->d_name[0] == '.') continue;
    ThreadSwitches t;
    t.tid = static_cast<pid_t>(std::stol(entry->d_name));
    std::string status = read_text(base + "/" + entry->d_name + "/status");
    t.voluntary = field_value(status, "voluntary_ctxt_switches");
    t.involuntary = field_value(status, "nonvoluntary_ctxt_switches");
    t.name = read_text(base + "/" + entry->d_name + "/comm");
    if (!t.name.empty() && t.name.back() == '\n') t.name.pop_back();
    threads.push_back(t);
  }
  closedir(dir);
  return threads;
}

Wakeups wakeups_between(pid_t pid, const std::vector<ThreadSwitches>& before,
                        const std::vector<ThreadSwitches>& after) {
  Wakeups w;
  for (const auto& now : after) {
    std::uint64_t then = 0;
    for (const auto& old : before)
      if (old.tid == now.tid) then = old.voluntary;
    std::uint64_t delta = now.voluntary - then;
    if (now.tid == pid) {
      w.main += delta;
    } else {
      w.others += delta;
      ++w.other_threads;
    }
  }
  return w;
}

}  // namespace gpio2mqtt::bench

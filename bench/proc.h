// What /proc says about a process: CPU time, memory, and per-thread context switches.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <string>
#include <vector>

namespace gpio2mqtt::bench {

// CPU time of the process's live threads, in seconds: the sum of their /proc/PID/task/TID/schedstat
// (ns); where that is missing, utime + stime of /proc/PID/stat (clock-tick resolution).
double cpu_seconds(pid_t pid);
// A "VmHWM"-style field of /proc/PID/status, in kB; -1 when absent.
long status_kb(pid_t pid, const std::string& field);
// The same from /proc/PID/smaps_rollup ("Pss": shared pages divided among their users).
long smaps_kb(pid_t pid, const std::string& field);

struct ThreadSwitches {
  pid_t tid = 0;
  std::string name;               // /proc/PID/task/TID/comm
  std::uint64_t voluntary = 0;    // it blocked and was woken again: a wake-up
  std::uint64_t involuntary = 0;  // it was preempted
};
std::vector<ThreadSwitches> thread_switches(pid_t pid);

// Wake-ups between two snapshots: (main thread, every other thread), voluntary switches.
struct Wakeups {
  std::uint64_t main = 0;
  std::uint64_t others = 0;
  std::size_t other_threads = 0;
};
Wakeups wakeups_between(pid_t pid, const std::vector<ThreadSwitches>& before, const std::vector<ThreadSwitches>& after);

}  // namespace gpio2mqtt::bench

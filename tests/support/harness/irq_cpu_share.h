// Makes the kernel turn every paced gpio-sim pulse into an edge event, under qemu's emulation too.
//
// gpio-sim raises a line's interrupt from inside the sysfs write, on the writer's CPU; the
// interrupt's thread (irq/N-<consumer>, SCHED_FIFO) then queues one event per run. When that
// thread is woken on the other vCPU and qemu does not run that vCPU for a while, a second pulse's
// interrupt finds the first run still pending and the kernel makes one event of two
// (IRQTF_RUNTHREAD, see irq_thread_trace.h). The merges were measured at 1 kHz and 2 kHz under
// TCG; that they come from the other vCPU is inferred, not traced: with both on one CPU, none
// happened in 18 bench runs and every kernel test run since. With the
// writer and the interrupt threads on one CPU, each thread runs before the writer's next write
// (a real-time thread before an ordinary one), so every pulse is an event and what a reader
// of the line counts can be held to the pulses. The writer runs real-time too (SCHED_FIFO 1, below
// the interrupt threads), so a busy reader on that CPU does not slow the pace it was asked for:
// a board's pin does not wait for a CPU either (at QoS 1 and 1 kHz an ordinary writer reached
// 760 writes a second). The reader (the daemon) runs wherever the scheduler puts it.
#pragma once

#include <sched.h>

#include <string>

namespace gpio2mqtt::kernel_test {

class IrqCpuShare {
 public:
  // Puts the interrupt threads of gpio-sim lines requested by `consumer`, then the calling thread,
  // on `cpu`, and makes the calling thread real-time. why_not() says why it could not; interrupt
  // threads moved before a failure stay on `cpu` (only timing depends on it), and the calling
  // thread keeps its CPUs (or, when only the real-time part failed, is pinned but ordinary). A line requested
  // again later has a new interrupt thread, which this does not move.
  IrqCpuShare(const std::string& consumer, int cpu);
  // The calling thread (which must be the one that made it) gets its CPUs and its scheduling
  // policy back; the interrupt threads end with their lines.
  ~IrqCpuShare();
  IrqCpuShare(const IrqCpuShare&) = delete;
  IrqCpuShare& operator=(const IrqCpuShare&) = delete;

  bool pinned() const { return pinned_; }  // the interrupt threads and the caller on `cpu`
  const std::string& why_not() const { return why_not_; }

 private:
  cpu_set_t before_{};
  bool pinned_ = false;
  int policy_before_ = SCHED_OTHER;
  sched_param param_before_{};
  bool realtime_ = false;
  std::string why_not_;
};

}  // namespace gpio2mqtt::kernel_test

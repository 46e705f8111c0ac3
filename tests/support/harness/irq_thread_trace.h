// The edge events the kernel made, counted where it makes them: each run of a GPIO line's
// interrupt thread (lineevent_irq_thread for uAPI v1, edge_irq_thread for v2) queues one event.
// /proc/interrupts counts interrupts, and two that come before the thread ran make one run
// (kernel/irq/manage.c: IRQTF_RUNTHREAD): under qemu's emulation that happens at 1 kHz. What a
// reader of the line can be held to is these runs, counted from kprobes in tracefs.
#pragma once

#include <cstdint>
#include <string>

namespace gpio2mqtt::kernel_test {

class IrqThreadTrace {
 public:
  // Starts counting in a tracefs instance of its own; why_not() says why it could not.
  IrqThreadTrace();
  ~IrqThreadTrace();  // removes the instance and the probes
  IrqThreadTrace(const IrqThreadTrace&) = delete;
  IrqThreadTrace& operator=(const IrqThreadTrace&) = delete;

  const std::string& why_not() const { return why_not_; }
  // The runs since construction of the interrupt threads of lines requested by `consumer` (their
  // task is irq/N-<consumer>, cut to the kernel's 15 characters).
  std::uint64_t events(const std::string& consumer) const;

 private:
  std::string tracing_, instance_, v1_probe_, v2_probe_, why_not_;
};

}  // namespace gpio2mqtt::kernel_test

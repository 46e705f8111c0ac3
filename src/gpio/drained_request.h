// A reader thread that keeps the kernel's event queues drained. uAPI v1 queues 16 events per line
// and drops the newest beyond them: at 1 kHz that is 16 ms, less than the event loop may be busy
// publishing (or off its CPU) on a small board. This decorator takes the events off the kernel as
// they come, on a thread of its own that does nothing else, into a bounded queue of ours; the
// loop watches one eventfd and takes whatever is queued in one batch.
//
// But only while the loop is busy: the loop watches the kernel's fds too (event_fds() lists them
// before the eventfd), with EPOLLEXCLUSIVE, and once it says so (watched()) the thread waits on
// them behind it, exclusive as well, so that the kernel wakes the loop while it waits and the
// thread only when it does not. An edge that finds the loop waiting then costs no thread hop
// (under qemu's emulation, where the gpio-sim tests run, the hop was 0.4 ms of a 1.9 ms path from
// an input edge to a bound output's write). Whoever reads the kernel holds one mutex, and the loop
// takes what the thread queued before what it reads itself: the events keep the kernel's order.
//
// The thread owns nothing but the reading: the wrapped request keeps its lines and fds, and
// get_value()/set_value() go to it from the caller's thread (they are ioctls on other state than
// the reading's). When our queue is full the newest events are dropped, as the kernel would, but
// each line's latest event is kept and delivered after the queue with the drops counted in its
// EdgeEvent::lost_before, so the line ends on its true level and the drops land in the same
// accounting as the kernel's (LineSet::kernel_dropped). The first drop and then every power of two
// is logged with its reason. A failed read (the chip went away) is handed over as a GpioError from
// read_events(), after the events read before it.
#pragma once

#include <cstddef>
#include <map>
#include <memory>
#include <string>

#include "gpio2mqtt/gpio/gpio.h"

namespace gpio2mqtt::gpio {

// Wraps `inner`, whose event fds must be non-blocking. `capacity`: the events our queue holds.
// `line_text`: how the log names each offset ("line 'IN' (offset 0) of gpiochip1 [...]").
// Throws GpioError when the thread or its eventfds cannot be made.
std::unique_ptr<LineRequest> drain_in_thread(std::unique_ptr<LineRequest> inner, std::size_t capacity,
                                             std::map<unsigned, std::string> line_text);

}  // namespace gpio2mqtt::gpio

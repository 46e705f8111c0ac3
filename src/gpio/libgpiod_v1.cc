// The kernel GPIO backend over libgpiod 1.6 (the kernel's uAPI v1). Every libgpiod v1 call lives in
// this file; libgpiod_v2.cc is the 2.x one, chosen at configure time (src/CMakeLists.txt), and
// kernel_chip.cc what the two share.
//
// What uAPI v1 and libgpiod 1.6 impose here:
// - Each line is requested on its own. A v1 request can only hold lines of one configuration, and
//   libgpiod 1.6's single-line get_value()/set_value() on a multi-line handle read the handle's first
//   line and clear all the others, so bulks would need their values tracked here. One request per
//   line gives every input its own event fd, as v1 does anyway for edge requests.
// - Inputs ask for both edges (the bridge filters). The kernel decides the edge's direction by
//   reading the logical level when its IRQ thread runs, so a pulse shorter than that latency can
//   show up as two events of the same direction. A counter of one direction asks for that one only
//   (LineSettings::edges): each interrupt is then a pulse, whatever the thread reads; EdgeOrder
//   and the level read after an overflow are for lines with both edges.
// - The kernel queues 16 events per line and drops the newest beyond them silently; v1 has no
//   sequence numbers. EdgeOrder infers the losses from the edges' directions, and after a read
//   that may have overflowed (a full one), the line's level is read to publish the true one
//   (EdgeEvent::lost_before). Not after two edges in the same direction alone: the reader thread
//   below reads as the events come, and a level read then, in the middle of a bounce whose later
//   edges the kernel has yet to queue, would make up edges that did not happen (a counter counted
//   22 of 20 bouncing pulses in the kernel test until this changed).
// - Reading an event fd blocks when its queue is empty: it is made non-blocking, so a wake-up
//   reads until the queue is empty without polling again in between.
// - No kernel debounce in v1: LineSettings::debounce is left to the bridge.
// - That queue lasts 16 ms at 1 kHz, less than the event loop can be busy publishing or off its
//   CPU: a request with inputs is read on a thread of its own (drained_request.h) into a queue of
//   1,024 events per line, as uAPI v2 lets the kernel queue.
#include <fcntl.h>
#include <poll.h>
#include <time.h>

#include <algorithm>
#include <array>
#include <bitset>
#include <cerrno>
#include <gpiod.hpp>
#include <map>
#include <system_error>
#include <utility>

#include "gpio/drained_request.h"
#include "gpio/edge_order.h"
#include "gpio/hardware.h"
#include "kernel_chip.h"

namespace gpio2mqtt::gpio {
namespace {

// Up to 16 events come per read (the kernel FIFO's size): a read that brings fewer emptied it.
// The cap keeps one chattering line from starving the event loop; whatever is left keeps the fd
// readable, so the loop comes back to it.
constexpr int kMaxReadsPerCall = 8;
constexpr unsigned kKernelQueueSize = 16;
// Our queue behind the kernel's, per input line: a second at 1 kHz.
constexpr std::size_t kReaderQueuePerLine = 1024;

using kernel::throw_gpio_error;

// Linux < 5.7 stamps v1 events with CLOCK_REALTIME, later kernels with CLOCK_MONOTONIC, and the
// bridge debounces on CLOCK_MONOTONIC. An uptime never reaches 1e18 ns (31.7 years) while any
// realtime stamp since 2001 is beyond it, so such a stamp is moved onto the monotonic clock.
std::uint64_t monotonic_now_ns() {
  timespec now{};
  clock_gettime(CLOCK_MONOTONIC, &now);
  return static_cast<std::uint64_t>(now.tv_sec) * 1'000'000'000ULL + static_cast<std::uint64_t>(now.tv_nsec);
}

std::uint64_t monotonic_timestamp(const timespec& kernel) {
  constexpr std::int64_t kRealtimeFloor = 1'000'000'000'000'000'000;
  std::int64_t ns = kernel.tv_sec * 1'000'000'000LL + kernel.tv_nsec;
  if (ns < kRealtimeFloor) return static_cast<std::uint64_t>(ns);
  timespec mono{}, real{};
  clock_gettime(CLOCK_MONOTONIC, &mono);
  clock_gettime(CLOCK_REALTIME, &real);
  std::int64_t offset = (real.tv_sec - mono.tv_sec) * 1'000'000'000LL + (real.tv_nsec - mono.tv_nsec);
  return static_cast<std::uint64_t>(std::max<std::int64_t>(ns - offset, 0));
}

int nonblocking(int fd, const std::string& text) {
  int flags = fcntl(fd, F_GETFL);
  if (flags < 0 || fcntl(fd, F_SETFL, flags | O_NONBLOCK) < 0)
    throw_gpio_error(std::system_error(errno, std::generic_category()),
                     "making the event fd of " + text + " non-blocking");
  return fd;
}

bool readable(int fd) {
  pollfd p{fd, POLLIN, 0};
  return poll(&p, 1, 0) > 0 && (p.revents & POLLIN);
}

int request_type(const LineSettings& s) {
  if (s.direction == Direction::kOutput) return gpiod::line_request::DIRECTION_OUTPUT;
  switch (s.edges) {
    case Edges::kRising:
      return gpiod::line_request::EVENT_RISING_EDGE;
    case Edges::kFalling:
      return gpiod::line_request::EVENT_FALLING_EDGE;
    case Edges::kBoth:
      break;
  }
  return gpiod::line_request::EVENT_BOTH_EDGES;
}

std::bitset<32> request_flags(const LineSettings& s) {
  std::bitset<32> flags;
  if (s.active_low) flags |= gpiod::line_request::FLAG_ACTIVE_LOW;
  switch (s.bias) {
    case Bias::kAsIs:
      break;
    case Bias::kDisable:
      flags |= gpiod::line_request::FLAG_BIAS_DISABLE;
      break;
    case Bias::kPullUp:
      flags |= gpiod::line_request::FLAG_BIAS_PULL_UP;
      break;
    case Bias::kPullDown:
      flags |= gpiod::line_request::FLAG_BIAS_PULL_DOWN;
      break;
  }
  // The kernel refuses drive flags on inputs; the config loader only allows them on outputs.
  if (s.direction == Direction::kOutput) {
    if (s.drive == Drive::kOpenDrain) flags |= gpiod::line_request::FLAG_OPEN_DRAIN;
    if (s.drive == Drive::kOpenSource) flags |= gpiod::line_request::FLAG_OPEN_SOURCE;
  }
  return flags;
}

class V1Request : public LineRequest {
 public:
  explicit V1Request(std::size_t expected) { held_.reserve(expected); }
  V1Request(const V1Request&) = delete;
  V1Request& operator=(const V1Request&) = delete;
  ~V1Request() override {
    for (auto& held : held_) {
      try {
        held.line.release();  // closes the line's fd; the kernel frees the line
      } catch (...) {         // a destructor must not throw; the fd goes with the chip at worst
      }
    }
  }

  // Requests one line; on failure the lines already held are released by the destructor.
  void add(const gpiod::chip& chip, const std::string& consumer, const LineSettings& s, std::string text) {
    gpiod::line line;
    try {
      line = chip.get_line(s.offset);  // fetches the line info: who holds the line right now
    } catch (const std::system_error& e) {
      throw_gpio_error(e, "reading the info of " + text);
    }
    std::string holder = line.consumer();
    try {
      line.request({consumer, request_type(s), request_flags(s)}, s.initial_active ? 1 : 0);
    } catch (const std::system_error& e) {
      if (e.code().value() != EBUSY) throw_gpio_error(e, "requesting " + text);
      if (holder.empty()) holder = refreshed_consumer(line);
      throw GpioError(text + " is busy: it is held by " +
                      (holder.empty() ? std::string("a program that gave no consumer name") : "'" + holder + "'"));
    }
    held_.push_back({line, s, std::move(text), -1});  // no reallocation: reserved
    if (s.direction == Direction::kInput) held_.back().fd = nonblocking(line.event_get_fd(), held_.back().text);
  }

  std::vector<int> event_fds() const override {
    std::vector<int> fds;
    for (const auto& held : held_)
      if (held.fd >= 0) fds.push_back(held.fd);
    return fds;
  }

  void read_events(int fd, std::vector<EdgeEvent>& out) override {
    auto it = std::find_if(held_.begin(), held_.end(), [fd](const OwnedLine& h) { return h.fd == fd; });
    if (it == held_.end()) throw GpioError("fd " + std::to_string(fd) + " is not an event fd of this request");
    // libgpiod's C call, not gpiod::line::event_read_multiple(): that one allocates a vector and
    // a line handle per event, and needs a poll() before each read.
    std::array<gpiod_line_event, kKernelQueueSize> events;
    bool may_have_overflowed = false, emptied = false;
    const bool both_edges = it->settings.edges == Edges::kBoth;
    for (int reads = 0; reads < kMaxReadsPerCall && !emptied; ++reads) {
      int n = gpiod_line_event_read_fd_multiple(fd, events.data(), kKernelQueueSize);
      if (n < 0) {
        if (errno == EAGAIN) {
          emptied = true;
          break;
        }
        throw_gpio_error(std::system_error(errno, std::generic_category()), "reading the events of " + it->text);
      }
      emptied = static_cast<unsigned>(n) < kKernelQueueSize;
      may_have_overflowed |= !emptied;
      for (int i = 0; i < n; ++i) {
        bool rising = events[i].event_type == GPIOD_LINE_EVENT_RISING_EDGE;
        // Edges of one direction tell nothing of what was lost between them.
        std::uint32_t lost = both_edges ? it->order.on_edge(rising) : 0;
        out.push_back({it->settings.offset, rising, monotonic_timestamp(events[i].ts), 0, 0, lost});
      }
    }
    // Only once the queue is empty: an event still queued would tell the level itself.
    if (both_edges && may_have_overflowed && (emptied || !readable(fd))) {
      try {
        settle(*it, out);
      } catch (const std::system_error& e) {
        throw_gpio_error(e, "reading " + it->text);
      }
    }
  }

  bool get_value(unsigned offset) override {
    OwnedLine& held = owned(offset);
    try {
      return held.line.get_value() != 0;
    } catch (const std::system_error& e) {
      throw_gpio_error(e, "reading " + held.text);
    }
  }

  void set_value(unsigned offset, bool active) override {
    OwnedLine& held = owned(offset);
    if (held.settings.direction != Direction::kOutput) throw GpioError(held.text + " is not an output");
    try {
      held.line.set_value(active ? 1 : 0);
    } catch (const std::system_error& e) {
      throw_gpio_error(e, "setting " + held.text);
    }
  }

 private:
  struct OwnedLine {
    gpiod::line line;  // keeps its chip open
    LineSettings settings;
    std::string text;  // "line 'GPIO17' (offset 17) of gpiochip0 [pinctrl-bcm2711]"
    int fd;            // the event fd of an input, -1 for an output
    EdgeOrder order = {};
  };

  // The queue of `held` may have overflowed, dropping its newest events: its last edge may not be
  // the line's level. If it is not, an event is made up to give the true level.
  static void settle(OwnedLine& held, std::vector<EdgeEvent>& out) {
    bool level = held.line.get_value() != 0;
    if (held.order.settle(level)) out.push_back({held.settings.offset, level, monotonic_now_ns(), 0, 0, 1});
  }

  static std::string refreshed_consumer(gpiod::line& line) {
    try {
      line.update();
      return line.consumer();
    } catch (const std::system_error&) {
      return {};
    }
  }

  OwnedLine* find(unsigned offset) {
    auto it =
        std::find_if(held_.begin(), held_.end(), [offset](const OwnedLine& h) { return h.settings.offset == offset; });
    return it == held_.end() ? nullptr : &*it;
  }

  OwnedLine& owned(unsigned offset) {
    if (OwnedLine* held = find(offset)) return *held;
    throw GpioError("offset " + std::to_string(offset) + " is not in this request");
  }

  std::vector<OwnedLine> held_;
};

class V1Chip : public kernel::NamedChip {
 public:
  explicit V1Chip(gpiod::chip chip) : NamedChip(chip.name(), chip.label()), chip_(std::move(chip)) {}

 protected:
  std::unique_ptr<LineRequest> request_group(const std::string& consumer,
                                             const std::vector<LineSettings>& lines) override {
    auto request = std::make_unique<V1Request>(lines.size());
    std::map<unsigned, std::string> inputs;
    for (const auto& s : lines) {
      request->add(chip_, consumer, s, describe_line(s.offset));
      if (s.direction == Direction::kInput) inputs.emplace(s.offset, describe_line(s.offset));
    }
    if (inputs.empty()) return request;
    std::size_t capacity = kReaderQueuePerLine * inputs.size();
    return drain_in_thread(std::move(request), capacity, std::move(inputs));
  }
  unsigned num_lines() const override { return chip_.num_lines(); }
  std::string read_line_name(unsigned offset) const override { return chip_.get_line(offset).name(); }

 private:
  gpiod::chip chip_;
};

}  // namespace

std::unique_ptr<Chip> kernel::open_backend_chip(const std::string& path) {
  return std::make_unique<V1Chip>(gpiod::chip(path, gpiod::chip::OPEN_BY_PATH));
}

int hardware_uapi_version() { return 1; }

}  // namespace gpio2mqtt::gpio

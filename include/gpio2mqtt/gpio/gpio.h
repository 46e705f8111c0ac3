// The GPIO seam: one interface, implemented by the simulated chip and by libgpiod.
//
// It is shaped after the kernel's uAPI v2 (libgpiod 2.x) and maps onto v1: a request holds
// several lines of one chip with per-line settings, exposes the file descriptors the event loop
// waits on, and yields edge events with a monotonic timestamp. Values are logical (active_low
// already applied), as in libgpiod.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

namespace gpio2mqtt::gpio {

enum class Direction { kInput, kOutput };
enum class Bias { kAsIs, kDisable, kPullUp, kPullDown };
enum class Drive { kPushPull, kOpenDrain, kOpenSource };
// Which edges of an input the kernel reports (logical: rising is the line becoming active).
enum class Edges { kBoth, kRising, kFalling };

struct LineSettings {
  unsigned offset = 0;
  Direction direction = Direction::kInput;
  Bias bias = Bias::kAsIs;
  Drive drive = Drive::kPushPull;
  bool active_low = false;
  // Outputs: the level set in the same request (no glitch at start).
  bool initial_active = false;
  // Inputs: both edges, the bridge filters what it reports, so the state topic never goes stale.
  // One direction only for a line whose every reported edge is a pulse (a counter the bridge does
  // not debounce): with both, the kernel types an edge by the level its IRQ thread reads, so a
  // pulse shorter than that thread's latency shows as two edges in one direction; with one, each
  // interrupt is an edge of that direction, and half as many come.
  Edges edges = Edges::kBoth;
  // Kernel debounce where the chip supports it (Chip::kernel_debounce()); zero = none.
  std::chrono::nanoseconds debounce{0};
};

struct EdgeEvent {
  unsigned offset = 0;
  bool rising = false;             // logical: the line became active
  std::uint64_t timestamp_ns = 0;  // CLOCK_MONOTONIC
  std::uint64_t line_seqno = 0;    // the kernel's per-line sequence number, 0 when unknown (uAPI v1)
  // The kernel's sequence number across its request (a group of at most 64 lines), 0 when unknown.
  std::uint64_t global_seqno = 0;
  // Events of this line dropped just before this one: uAPI v1, as the backend knows them (two edges in
  // the same direction in a row; an event made up to give the line's true level after the kernel's
  // queue overflowed has 1) or as its reader thread's queue dropped them; uAPI v2, the gap in the
  // kernel's line_seqno (filled in by service::LineSet).
  std::uint32_t lost_before = 0;
};

// A failure talking to a chip; `what()` names the chip and line.
class GpioError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

class LineRequest {
 public:
  virtual ~LineRequest() = default;
  // The descriptors that become readable when events are pending (in uAPI v2 one per kernel
  // request, which holds at most 64 lines; one per input line in v1).
  virtual std::vector<int> event_fds() const = 0;
  // Reads the pending events of `fd` without blocking and appends them to `out`.
  virtual void read_events(int fd, std::vector<EdgeEvent>& out) = 0;
  virtual bool get_value(unsigned offset) = 0;
  virtual void set_value(unsigned offset, bool active) = 0;
  // The caller now waits on every fd of event_fds() with EPOLLEXCLUSIVE (it is woken first while
  // it waits): a request that also reads on a thread of its own may now queue its thread behind.
  virtual void watched() {}
};

class Chip {
 public:
  virtual ~Chip() = default;
  virtual std::string name() const = 0;  // gpiochip0, or the config's name for a simulated chip
  virtual std::string label() const = 0;
  virtual std::vector<std::string> line_names() const = 0;  // index = offset; "" when unnamed
  virtual std::optional<unsigned> find_line(const std::string& name) const = 0;
  // Whether request() applies LineSettings::debounce in the kernel; when not, it is ignored there
  // and the caller debounces in software.
  virtual bool kernel_debounce() const { return false; }
  // Throws GpioError (naming the line and its consumer when it is busy).
  virtual std::unique_ptr<LineRequest> request(const std::string& consumer, const std::vector<LineSettings>& lines) = 0;
};

}  // namespace gpio2mqtt::gpio

namespace gpio2mqtt::gpio {

// Opens kernel chips; implemented over libgpiod, faked in tests.
class ChipProvider {
 public:
  virtual ~ChipProvider() = default;
  // Paths of every GPIO chip device on the system (/dev/gpiochipN), sorted.
  virtual std::vector<std::string> chip_paths() const = 0;
  virtual std::unique_ptr<Chip> open(const std::string& path) = 0;
};

}  // namespace gpio2mqtt::gpio

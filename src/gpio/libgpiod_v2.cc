// The kernel GPIO backend over libgpiod 2.x (the kernel's uAPI v2, Linux 5.10 or later). Every
// libgpiod v2 call lives in this file; src/CMakeLists.txt builds it instead of libgpiod_v1.cc when
// pkg-config finds libgpiodcxx 2.x (Debian 13, Raspberry Pi OS trixie).
//
// What uAPI v2 gives over v1, and how it is used here:
// - One kernel request holds up to 64 lines, each with its own settings (NamedChip splits a larger
//   Chip::request() into such groups), and has one fd: every input of the group is read through
//   it. It is all or nothing: a busy line fails the whole request, and nothing stays held.
// - Inputs ask for both edges (the bridge filters; a counter of one direction only for that one,
//   LineSettings::edges) on CLOCK_MONOTONIC, set explicitly:
//   the kernel's default is monotonic too, but HTE or realtime would break the bridge's timing.
// - Debounce is done by the kernel (debounce_period, in microseconds; emulated by gpiolib-cdev when
//   the chip has none in hardware), so V2Chip::kernel_debounce() is true and the bridge does not
//   debounce again. The kernel reports an edge once the line has been stable for the period.
// - Every event carries the kernel's per-line and per-request sequence numbers: a gap means the
//   kernel's queue (16 events per line of the request) overflowed and dropped events.
#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdint>
#include <gpiod.hpp>
#include <limits>
#include <system_error>
#include <utility>

#include "gpio/hardware.h"
#include "kernel_chip.h"

namespace gpio2mqtt::gpio {
namespace {

using namespace std::chrono_literals;
using kernel::throw_gpio_error;

// The kernel's queue for a request: by default 16 events per line, which a loop busy publishing
// can let overflow at 1 kHz. uAPI v2 lets the request size it (the kernel caps it at 1024).
constexpr std::size_t kKernelQueueSize = 1024;
// Events read per call: one read takes all the kernel queued, up to this many; the cap keeps one
// chattering request from starving the event loop, and whatever is left keeps the fd readable,
// so the loop comes back to it.
constexpr std::size_t kEventBufferSize = kKernelQueueSize;
constexpr int kMaxReadsPerCall = 2;

gpiod::line::bias bias_of(Bias bias) {
  switch (bias) {
    case Bias::kDisable:
      return gpiod::line::bias::DISABLED;
    case Bias::kPullUp:
      return gpiod::line::bias::PULL_UP;
    case Bias::kPullDown:
      return gpiod::line::bias::PULL_DOWN;
    case Bias::kAsIs:
      break;
  }
  return gpiod::line::bias::AS_IS;
}

gpiod::line::drive drive_of(Drive drive) {
  switch (drive) {
    case Drive::kOpenDrain:
      return gpiod::line::drive::OPEN_DRAIN;
    case Drive::kOpenSource:
      return gpiod::line::drive::OPEN_SOURCE;
    case Drive::kPushPull:
      break;
  }
  return gpiod::line::drive::PUSH_PULL;
}

// The kernel takes whole microseconds (a u32): a period that is not zero stays not zero.
std::chrono::microseconds debounce_period(std::chrono::nanoseconds debounce) {
  if (debounce <= 0ns) return 0us;
  auto us = std::chrono::ceil<std::chrono::microseconds>(debounce);
  return std::min(us, std::chrono::microseconds(std::numeric_limits<std::uint32_t>::max()));
}

gpiod::line::edge edge_of(Edges edges) {
  switch (edges) {
    case Edges::kRising:
      return gpiod::line::edge::RISING;
    case Edges::kFalling:
      return gpiod::line::edge::FALLING;
    case Edges::kBoth:
      break;
  }
  return gpiod::line::edge::BOTH;
}

gpiod::line_settings settings_of(const LineSettings& s) {
  gpiod::line_settings settings;
  settings.set_active_low(s.active_low).set_bias(bias_of(s.bias));
  if (s.direction == Direction::kOutput) {
    // The kernel refuses drive settings on inputs; the config loader only allows them on outputs.
    settings.set_direction(gpiod::line::direction::OUTPUT)
        .set_drive(drive_of(s.drive))
        .set_output_value(s.initial_active ? gpiod::line::value::ACTIVE : gpiod::line::value::INACTIVE);
  } else {
    settings.set_direction(gpiod::line::direction::INPUT)
        .set_edge_detection(edge_of(s.edges))
        .set_event_clock(gpiod::line::clock::MONOTONIC)
        .set_debounce_period(debounce_period(s.debounce));
  }
  return settings;
}

struct OwnedLine {
  LineSettings settings;
  std::string text;  // "line 'GPIO17' (offset 17) of gpiochip0 [pinctrl-bcm2711]"
};

class V2Request : public LineRequest {
 public:
  V2Request(gpiod::line_request request, std::vector<OwnedLine> held)
      : request_(std::move(request)), held_(std::move(held)) {
    for (const auto& h : held_) {
      if (h.settings.direction != Direction::kInput) continue;
      inputs_text_ += (inputs_text_.empty() ? "" : ", ") + h.text;
    }
  }
  V2Request(const V2Request&) = delete;
  V2Request& operator=(const V2Request&) = delete;
  ~V2Request() override {
    try {
      request_.release();  // closes the request's fd; the kernel frees its lines
    } catch (...) {        // a destructor must not throw; the fd goes with the object at worst
    }
  }

  std::vector<int> event_fds() const override {
    if (inputs_text_.empty()) return {};
    return {request_.fd()};
  }

  void read_events(int fd, std::vector<EdgeEvent>& out) override {
    if (inputs_text_.empty() || fd != request_.fd())
      throw GpioError("fd " + std::to_string(fd) + " is not an event fd of this request");
    try {
      for (int reads = 0; reads < kMaxReadsPerCall && request_.wait_edge_events(0ns); ++reads) {
        request_.read_edge_events(buffer_);
        for (const auto& event : buffer_)
          out.push_back({event.line_offset(), event.type() == gpiod::edge_event::event_type::RISING_EDGE,
                         event.timestamp_ns().ns(), event.line_seqno(), event.global_seqno()});
      }
    } catch (const std::system_error& e) {
      throw_gpio_error(e, "reading the events of " + inputs_text_);
    }
  }

  bool get_value(unsigned offset) override {
    const OwnedLine& held = owned(offset);
    try {
      return request_.get_value(offset) == gpiod::line::value::ACTIVE;
    } catch (const std::system_error& e) {
      throw_gpio_error(e, "reading " + held.text);
    }
  }

  void set_value(unsigned offset, bool active) override {
    const OwnedLine& held = owned(offset);
    if (held.settings.direction != Direction::kOutput) throw GpioError(held.text + " is not an output");
    try {
      request_.set_value(offset, active ? gpiod::line::value::ACTIVE : gpiod::line::value::INACTIVE);
    } catch (const std::system_error& e) {
      throw_gpio_error(e, "setting " + held.text);
    }
  }

 private:
  const OwnedLine& owned(unsigned offset) const {
    auto it =
        std::find_if(held_.begin(), held_.end(), [offset](const OwnedLine& h) { return h.settings.offset == offset; });
    if (it == held_.end()) throw GpioError("offset " + std::to_string(offset) + " is not in this request");
    return *it;
  }

  gpiod::line_request request_;
  std::vector<OwnedLine> held_;
  std::string inputs_text_;  // what the event fd serves, for messages; empty when no input
  gpiod::edge_event_buffer buffer_{kEventBufferSize};
};

class V2Chip : public kernel::NamedChip {
 public:
  V2Chip(gpiod::chip chip, const gpiod::chip_info& info)
      : NamedChip(info.name(), info.label()),
        chip_(std::move(chip)),
        num_lines_(static_cast<unsigned>(info.num_lines())) {}

  bool kernel_debounce() const override { return true; }

 protected:
  unsigned num_lines() const override { return num_lines_; }
  std::string read_line_name(unsigned offset) const override { return chip_.get_line_info(offset).name(); }

  std::unique_ptr<LineRequest> request_group(const std::string& consumer,
                                             const std::vector<LineSettings>& lines) override {
    std::vector<OwnedLine> held;
    held.reserve(lines.size());
    auto builder = chip_.prepare_request();
    builder.set_consumer(consumer).set_event_buffer_size(kKernelQueueSize);
    for (const auto& s : lines) {
      builder.add_line_settings(s.offset, settings_of(s));
      held.push_back({s, describe_line(s.offset)});
    }
    try {
      return std::make_unique<V2Request>(builder.do_request(), std::move(held));
    } catch (const std::system_error& e) {
      if (e.code().value() == EBUSY) throw_busy(held);
      std::string texts;
      for (const auto& h : held) texts += (texts.empty() ? "" : ", ") + h.text;
      throw_gpio_error(e, "requesting " + texts);
    }
  }

 private:
  // The kernel does not say which line of a request is busy: the first one in use is named.
  [[noreturn]] void throw_busy(const std::vector<OwnedLine>& held) const {
    for (const auto& h : held) {
      bool used = false;
      std::string holder;
      try {
        auto info = chip_.get_line_info(h.settings.offset);
        used = info.used();
        holder = info.consumer();
      } catch (const std::system_error&) {
      }
      if (!used) continue;
      throw GpioError(h.text + " is busy: it is held by " +
                      (holder.empty() ? std::string("a program that gave no consumer name") : "'" + holder + "'"));
    }
    throw GpioError((held.empty() ? describe() : held.front().text) + " is busy");
  }

  gpiod::chip chip_;
  unsigned num_lines_;
};

}  // namespace

std::unique_ptr<Chip> kernel::open_backend_chip(const std::string& path) {
  gpiod::chip chip(path);
  auto info = chip.get_info();
  return std::make_unique<V2Chip>(std::move(chip), info);
}

int hardware_uapi_version() { return 2; }

}  // namespace gpio2mqtt::gpio

// The daemon's one thread of control: epoll over every descriptor it waits on, and timers.
//
// Who owns what:
// - Every file descriptor has one owner: a UniqueFd, or the library handle that opened it (a
//   libgpiod request, the sd-bus connection). Everyone else borrows it as a plain int, for no
//   longer than the owner keeps it open.
// - A std::unique_ptr passes ownership; a reference or a raw pointer borrows, and the lender
//   outlives the borrower.
// - Being registered with the loop is an object: an FdWatch or a Timer is registered while it
//   lives and unregistered by its destructor; nothing else removes it. Declare it after the owner
//   of its fd, so that it goes first. A watch whose fd was closed first never fires again and may
//   still be destroyed later, even after the fd's number came back in another watch.
// - The loop outlives its registrations. Handlers run on the loop's thread, one at a time; an
//   exception from one is logged and counted, never propagated. A handler may destroy any
//   registration, its own included.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>

#include "gpio2mqtt/util/clock.h"
#include "util/unique_fd.h"

namespace gpio2mqtt::service {

class EventLoop;

// Registered with a loop until destroyed; moves, never copies. Empty when default-constructed.
class Registration {
 public:
  Registration() = default;
  Registration(Registration&& other) noexcept;
  Registration& operator=(Registration&& other) noexcept;
  Registration(const Registration&) = delete;
  Registration& operator=(const Registration&) = delete;
  ~Registration();

 protected:
  Registration(EventLoop* loop, std::uint64_t id) : loop_(loop), id_(id) {}
  EventLoop* loop_ = nullptr;
  std::uint64_t id_ = 0;

 private:
  void reset();
};

// Runs its handler whenever its fd is readable (or whatever set_events() asks for).
class FdWatch : public Registration {
 public:
  FdWatch() = default;
  // EPOLLIN, EPOLLOUT, ...: the handler runs on any of them.
  void set_events(std::uint32_t events);

 private:
  friend class EventLoop;
  using Registration::Registration;
};

// Runs its handler once the loop's clock reaches the deadline. A one-shot timer is disarmed
// before its handler runs (which may arm it again); a repeating one re-arms itself.
class Timer : public Registration {
 public:
  Timer() = default;
  // Replaces any earlier deadline.
  void arm_at(MonoTime when);
  void arm_after(Nanos delay);
  // Every `period` from now on, until disarmed.
  void repeat_every(Nanos period);
  void disarm();
  bool armed() const;

 private:
  friend class EventLoop;
  using Registration::Registration;
};

class EventLoop {
 public:
  using Handler = std::function<void()>;

  // Timers follow `clock`, which the loop borrows.
  explicit EventLoop(const Clock& clock = monotonic_clock());
  EventLoop(const EventLoop&) = delete;
  EventLoop& operator=(const EventLoop&) = delete;
  ~EventLoop();

  // `name` appears in error logs. Throws std::system_error when epoll refuses the fd.
  // kFirstWhenWaiting: EPOLLEXCLUSIVE. The kernel wakes this loop when it waits and others that
  // watch the fd the same way (after it) only when it does not: a reader thread that takes a
  // line's events over while the loop is busy (gpio/drained_request.h). Such a watch takes no
  // set_events().
  enum class Sharing { kAlone, kFirstWhenWaiting };
  [[nodiscard]] FdWatch watch(int fd, std::string name, Handler handler, Sharing sharing = Sharing::kAlone);
  // Disarmed until armed.
  [[nodiscard]] Timer timer(std::string name, Handler handler);
  MonoTime now() const { return clock_.now(); }

  // Waits until a descriptor is ready, a timer is due or `timeout_ms` passed (-1: no limit),
  // then runs the handlers of the ready descriptors and of the timers due. Returns how many ran.
  std::size_t run_once(int timeout_ms);
  // Exceptions handlers threw (each one is logged as it happens).
  std::uint64_t handler_errors() const { return handler_errors_; }

 private:
  friend class Registration;
  friend class FdWatch;
  friend class Timer;
  struct Entry {
    std::string name;
    Handler handler;
    int fd = -1;  // -1 for a timer
    std::uint32_t events = 0;
    std::optional<MonoTime> deadline{};
    Nanos period{0};  // a repeating timer's
  };

  void remove(std::uint64_t id);
  Entry& entry(std::uint64_t id);
  std::optional<MonoTime> next_deadline() const;
  int wait_ms(int timeout_ms) const;
  void run_timers(std::size_t& ran);
  void call(Entry& entry);

  const Clock& clock_;
  UniqueFd epoll_;
  std::map<std::uint64_t, std::shared_ptr<Entry>> entries_;
  std::uint64_t next_id_ = 1;
  std::uint64_t handler_errors_ = 0;
};

}  // namespace gpio2mqtt::service

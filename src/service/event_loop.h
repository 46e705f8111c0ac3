// The daemon's one thread of control: epoll over every descriptor it waits on, and timerfds.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <unordered_map>

#include "gpio2mqtt/util/clock.h"
#include "util/unique_fd.h"

namespace gpio2mqtt::service {

class EventLoop {
 public:
  using Handler = std::function<void()>;

  EventLoop();
  // Calls `handler` on the loop whenever `fd` is readable; `name` appears in error logs.
  void add(int fd, std::string name, Handler handler);
  void remove(int fd);
  // Changes what `fd` is waited for (EPOLLIN, EPOLLOUT, ...); the handler runs on any of them.
  void set_events(int fd, std::uint32_t events);
  // Waits up to `timeout_ms` (-1: no limit) and runs the handlers of ready descriptors.
  // A handler's exception is logged and counted; it never escapes.
  void run_once(int timeout_ms);
  std::uint64_t handler_errors() const { return handler_errors_; }

 private:
  struct Watch {
    std::string name;
    Handler handler;
    std::uint32_t events;
  };
  UniqueFd epoll_;
  std::unordered_map<int, std::shared_ptr<Watch>> watches_;
  std::uint64_t handler_errors_ = 0;
};

// A one-shot timer on CLOCK_MONOTONIC, armed at absolute times.
class Timer {
 public:
  Timer();
  int fd() const { return fd_.get(); }
  void arm_at(MonoTime when);
  void disarm();
  // Clears the expiration so the fd stops being readable.
  void acknowledge();

 private:
  UniqueFd fd_;
};

}  // namespace gpio2mqtt::service

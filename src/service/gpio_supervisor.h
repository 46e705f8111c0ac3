// Keeping the configured lines served: watching their event fds, noticing a chip that stops
// answering (an error on read, or its /dev node removed: Linux 6.1 does not wake an epoll waiter
// on a request fd when its chip goes away), and opening the lines again with backoff, or as soon
// as a GPIO chip node appears again or changes its owner or mode (udev gives a new node its group
// a moment after it appears: opening it before that is refused). The service hands it the lines
// and gets the edges.
#pragma once

#include <functional>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "gpio2mqtt/config/config.h"
#include "gpio2mqtt/gpio/gpio.h"
#include "service/backoff.h"
#include "service/event_loop.h"
#include "service/line_set.h"
#include "util/unique_fd.h"

namespace gpio2mqtt::service {

class GpioSupervisor {
 public:
  struct Hooks {
    std::function<void(std::size_t line, const gpio::EdgeEvent& event)> edge;
    std::function<bool(std::size_t line)> level;  // the level an output is given back when reopened
    std::function<void()> lines_back;             // reopened: the inputs' levels may have changed
    std::function<void()> problem_changed;        // for STATUS=
  };
  // `device_dir`: where chip nodes appear, /dev but in tests.
  GpioSupervisor(EventLoop& loop, LineSet& lines, std::string device_dir, Hooks hooks);

  // After the lines were (re)opened for `config` (start, reload): watches their event fds anew,
  // and /dev when a kernel chip is used. `config` must outlive the next call.
  void watch(const config::Config& config);
  // Why the lines are not being served; empty while they are.
  const std::string& problem() const { return problem_; }

 private:
  void watch_events();
  void watch_devices();
  void on_events(int fd);
  void on_failure(int fd, const std::string& why);
  void on_device_events();
  void reopen();

  EventLoop& loop_;
  LineSet& lines_;
  Hooks hooks_;
  std::string device_dir_;
  const config::Config* config_ = nullptr;
  UniqueFd device_watch_;
  Backoff backoff_;
  std::string problem_;
  std::vector<std::pair<std::size_t, gpio::EdgeEvent>> edges_;
  // Registrations, after the fds they watch: they go first.
  FdWatch device_events_;
  std::map<int, FdWatch> event_watches_;  // by fd: a failing chip's are dropped one by one
  Timer retry_timer_;
};

}  // namespace gpio2mqtt::service

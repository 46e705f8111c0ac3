#include "service/gpio_supervisor.h"

#include <spdlog/spdlog.h>
#include <sys/inotify.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

namespace gpio2mqtt::service {

GpioSupervisor::GpioSupervisor(EventLoop& loop, LineSet& lines, std::string device_dir, Hooks hooks)
    : loop_(loop),
      lines_(lines),
      hooks_(std::move(hooks)),
      device_dir_(std::move(device_dir)),
      retry_timer_(loop.timer("gpio retry", [this] { reopen(); })) {}

void GpioSupervisor::watch(const config::Config& config) {
  config_ = &config;
  watch_events();
  watch_devices();
}

void GpioSupervisor::watch_events() {
  // All anew: a number still listed may belong to a new request now, and epoll forgot the old one.
  event_watches_.clear();
  // The loop reads a line's events itself while it waits; a request's reader thread, if it has
  // one, takes over only while the loop is busy (one thread hop less on every edge).
  for (int fd : lines_.event_fds())
    event_watches_.emplace(
        fd, loop_.watch(
                fd, "gpio events", [this, fd] { on_events(fd); }, EventLoop::Sharing::kFirstWhenWaiting));
  lines_.watched();
}

void GpioSupervisor::watch_devices() {
  bool kernel_chips = std::any_of(config_->chips.begin(), config_->chips.end(),
                                  [](const auto& chip) { return chip.kind != config::ChipConfig::Kind::kSimulated; });
  if (!kernel_chips || device_watch_.valid()) return;
  device_watch_.reset(inotify_init1(IN_NONBLOCK | IN_CLOEXEC));
  if (!device_watch_.valid() ||
      inotify_add_watch(device_watch_.get(), device_dir_.c_str(), IN_CREATE | IN_DELETE | IN_ATTRIB) < 0) {
    spdlog::warn("cannot watch {} for GPIO chips coming and going: {}", device_dir_, std::strerror(errno));
    device_watch_.reset();
    return;
  }
  device_events_ = loop_.watch(device_watch_.get(), "/dev watch", [this] { on_device_events(); });
}

void GpioSupervisor::on_events(int fd) {
  edges_.clear();
  try {
    lines_.read_events(fd, edges_);
  } catch (const gpio::GpioError& e) {
    return on_failure(fd, e.what());
  }
  for (const auto& [line, event] : edges_) hooks_.edge(line, event);
}

void GpioSupervisor::on_failure(int fd, const std::string& why) {
  // The fd stays readable once its chip is gone: watching it further would spin the loop.
  if (fd >= 0) event_watches_.erase(fd);  // its own handler may be running: the loop allows it
  if (!problem_.empty()) return;          // a retry is already planned
  auto delay = backoff_.next();
  problem_ = why;
  spdlog::error("GPIO: {}; opening the lines again in {} s", why, delay.count());
  retry_timer_.arm_after(delay);
  hooks_.problem_changed();
}

void GpioSupervisor::on_device_events() {
  alignas(inotify_event) char buffer[4096];
  ssize_t length;
  while ((length = read(device_watch_.get(), buffer, sizeof buffer)) > 0) {
    for (char* at = buffer; at < buffer + length;) {
      auto* event = reinterpret_cast<inotify_event*>(at);
      at += sizeof(inotify_event) + event->len;
      std::string name = event->len ? event->name : "";
      if (name.rfind("gpiochip", 0) != 0) continue;
      if ((event->mask & IN_DELETE) && lines_.uses_device(name))
        on_failure(-1, device_dir_ + "/" + name + " was removed");
      else if ((event->mask & (IN_CREATE | IN_ATTRIB)) && !problem_.empty())
        reopen();  // maybe ours is back, or now ours to open: no need to wait for the backoff
    }
  }
}

void GpioSupervisor::reopen() {
  try {
    lines_.reopen(*config_, hooks_.level);
  } catch (const std::exception& e) {
    auto delay = backoff_.next();
    problem_ = e.what();
    spdlog::error("GPIO: cannot open the lines again: {}; retrying in {} s", e.what(), delay.count());
    retry_timer_.arm_after(delay);
    watch_events();  // whatever did open
    hooks_.problem_changed();
    return;
  }
  spdlog::info("GPIO: the lines are back");
  problem_.clear();
  backoff_.reset();
  watch_events();
  hooks_.lines_back();
  hooks_.problem_changed();
}

}  // namespace gpio2mqtt::service

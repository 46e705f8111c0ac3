#include "service/event_loop.h"

#include <spdlog/spdlog.h>
#include <sys/epoll.h>
#include <sys/timerfd.h>

#include <cerrno>
#include <cstring>
#include <stdexcept>
#include <system_error>

namespace gpio2mqtt::service {

namespace {
[[noreturn]] void throw_errno(const char* what) { throw std::system_error(errno, std::generic_category(), what); }
}  // namespace

EventLoop::EventLoop() : epoll_(epoll_create1(EPOLL_CLOEXEC)) {
  if (!epoll_.valid()) throw_errno("epoll_create1");
}

void EventLoop::add(int fd, std::string name, Handler handler) {
  epoll_event event{};
  event.events = EPOLLIN;
  event.data.fd = fd;
  if (epoll_ctl(epoll_.get(), EPOLL_CTL_ADD, fd, &event) != 0) throw_errno(("epoll_ctl add " + name).c_str());
  watches_[fd] = std::make_shared<Watch>(Watch{std::move(name), std::move(handler), EPOLLIN});
}

void EventLoop::set_events(int fd, std::uint32_t events) {
  auto it = watches_.find(fd);
  if (it == watches_.end() || it->second->events == events) return;
  epoll_event event{};
  event.events = events;
  event.data.fd = fd;
  if (epoll_ctl(epoll_.get(), EPOLL_CTL_MOD, fd, &event) != 0)
    throw_errno(("epoll_ctl mod " + it->second->name).c_str());
  it->second->events = events;
}

void EventLoop::remove(int fd) {
  epoll_ctl(epoll_.get(), EPOLL_CTL_DEL, fd, nullptr);
  watches_.erase(fd);
}

void EventLoop::run_once(int timeout_ms) {
  epoll_event events[16];
  int count = epoll_wait(epoll_.get(), events, 16, timeout_ms);
  if (count < 0) {
    if (errno == EINTR) return;
    throw_errno("epoll_wait");
  }
  for (int i = 0; i < count; ++i) {
    // A handler may remove other watches: look each one up afresh.
    auto it = watches_.find(events[i].data.fd);
    if (it == watches_.end()) continue;
    std::shared_ptr<Watch> watch = it->second;  // survives the handler removing itself
    try {
      watch->handler();
    } catch (const std::exception& e) {
      ++handler_errors_;
      spdlog::error("{}: {}", watch->name, e.what());
    } catch (...) {
      ++handler_errors_;
      spdlog::error("{}: unknown error", watch->name);
    }
  }
}

Timer::Timer() : fd_(timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC)) {
  if (!fd_.valid()) throw_errno("timerfd_create");
}

void Timer::arm_at(MonoTime when) {
  itimerspec spec{};
  auto ns = when.count() > 0 ? when.count() : 1;  // zero would disarm
  spec.it_value.tv_sec = ns / 1'000'000'000;
  spec.it_value.tv_nsec = ns % 1'000'000'000;
  if (timerfd_settime(fd_.get(), TFD_TIMER_ABSTIME, &spec, nullptr) != 0) throw_errno("timerfd_settime");
}

void Timer::disarm() {
  itimerspec spec{};
  timerfd_settime(fd_.get(), 0, &spec, nullptr);
}

void Timer::acknowledge() {
  std::uint64_t expirations;
  [[maybe_unused]] auto was_read = read(fd_.get(), &expirations, sizeof expirations);
}

}  // namespace gpio2mqtt::service

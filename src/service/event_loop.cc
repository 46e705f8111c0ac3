#include "service/event_loop.h"

#include <spdlog/spdlog.h>
#include <sys/epoll.h>

#include <algorithm>
#include <cerrno>
#include <climits>
#include <stdexcept>
#include <system_error>
#include <utility>
#include <vector>

namespace gpio2mqtt::service {

namespace {
[[noreturn]] void throw_errno(const std::string& what) {
  throw std::system_error(errno, std::generic_category(), what);
}
}  // namespace

Registration::Registration(Registration&& other) noexcept
    : loop_(std::exchange(other.loop_, nullptr)), id_(std::exchange(other.id_, 0)) {}

Registration& Registration::operator=(Registration&& other) noexcept {
  if (this != &other) {
    reset();
    loop_ = std::exchange(other.loop_, nullptr);
    id_ = std::exchange(other.id_, 0);
  }
  return *this;
}

Registration::~Registration() { reset(); }

void Registration::reset() {
  if (loop_) loop_->remove(id_);
  loop_ = nullptr;
}

void FdWatch::set_events(std::uint32_t events) {
  auto& entry = loop_->entry(id_);
  if (entry.events == events) return;
  epoll_event event{};
  event.events = events;
  event.data.u64 = id_;
  if (epoll_ctl(loop_->epoll_.get(), EPOLL_CTL_MOD, entry.fd, &event) != 0) throw_errno("epoll_ctl mod " + entry.name);
  entry.events = events;
}

void Timer::arm_at(MonoTime when) {
  auto& entry = loop_->entry(id_);
  entry.deadline = when;
  entry.period = Nanos(0);
}

void Timer::arm_after(Nanos delay) { arm_at(loop_->now() + delay); }

void Timer::repeat_every(Nanos period) {
  arm_after(period);
  loop_->entry(id_).period = period;
}

void Timer::disarm() { loop_->entry(id_).deadline.reset(); }

bool Timer::armed() const { return loop_->entry(id_).deadline.has_value(); }

EventLoop::EventLoop(const Clock& clock) : clock_(clock), epoll_(epoll_create1(EPOLL_CLOEXEC)) {
  if (!epoll_.valid()) throw_errno("epoll_create1");
}

EventLoop::~EventLoop() = default;

FdWatch EventLoop::watch(int fd, std::string name, Handler handler, Sharing sharing) {
  std::uint64_t id = next_id_++;
  epoll_event event{};
  event.events = EPOLLIN | (sharing == Sharing::kFirstWhenWaiting ? EPOLLEXCLUSIVE : 0u);
  event.data.u64 = id;
  if (epoll_ctl(epoll_.get(), EPOLL_CTL_ADD, fd, &event) != 0) throw_errno("epoll_ctl add " + name);
  entries_[id] = std::make_shared<Entry>(Entry{std::move(name), std::move(handler), fd, EPOLLIN});
  return FdWatch(this, id);
}

Timer EventLoop::timer(std::string name, Handler handler) {
  std::uint64_t id = next_id_++;
  entries_[id] = std::make_shared<Entry>(Entry{std::move(name), std::move(handler)});
  return Timer(this, id);
}

EventLoop::Entry& EventLoop::entry(std::uint64_t id) {
  auto it = entries_.find(id);
  if (it == entries_.end()) throw std::logic_error("event loop: no such registration");
  return *it->second;
}

void EventLoop::remove(std::uint64_t id) {
  auto it = entries_.find(id);
  if (it == entries_.end()) return;
  std::shared_ptr<Entry> gone = std::move(it->second);
  entries_.erase(it);
  gone->deadline.reset();  // a handler running now may still hold it: it must not fire again
  if (gone->fd < 0) return;
  // Another watch on the same number means ours was closed (epoll then forgot it by itself) and
  // the number reused: deleting it would unregister the other one.
  bool reused = std::any_of(entries_.begin(), entries_.end(), [&](const auto& e) { return e.second->fd == gone->fd; });
  if (!reused) epoll_ctl(epoll_.get(), EPOLL_CTL_DEL, gone->fd, nullptr);  // fails harmlessly once closed
}

std::optional<MonoTime> EventLoop::next_deadline() const {
  std::optional<MonoTime> next;
  for (const auto& [id, entry] : entries_)
    if (entry->deadline && (!next || *entry->deadline < *next)) next = entry->deadline;
  return next;
}

int EventLoop::wait_ms(int timeout_ms) const {
  auto next = next_deadline();
  if (!next) return timeout_ms;
  auto left = *next - now();
  // Rounded up: waking before the deadline would only mean waiting again.
  auto until = left.count() <= 0 ? 0 : std::chrono::ceil<std::chrono::milliseconds>(left).count();
  until = std::min<std::int64_t>(until, INT_MAX);
  return timeout_ms < 0 ? static_cast<int>(until) : std::min(timeout_ms, static_cast<int>(until));
}

std::size_t EventLoop::run_once(int timeout_ms) {
  epoll_event events[16];
  int count = epoll_wait(epoll_.get(), events, 16, wait_ms(timeout_ms));
  if (count < 0) {
    if (errno == EINTR) return 0;
    throw_errno("epoll_wait");
  }
  std::size_t ran = 0;
  for (int i = 0; i < count; ++i) {
    // A handler may remove other watches: look each one up afresh.
    auto it = entries_.find(events[i].data.u64);
    if (it == entries_.end()) continue;
    std::shared_ptr<Entry> entry = it->second;  // survives the handler removing it
    call(*entry);
    ++ran;
  }
  run_timers(ran);
  return ran;
}

void EventLoop::run_timers(std::size_t& ran) {
  // Each timer due now runs once: one its handler arms for now again waits for the next round.
  MonoTime now = this->now();
  std::vector<std::shared_ptr<Entry>> due;
  for (const auto& [id, entry] : entries_)
    if (entry->deadline && *entry->deadline <= now) due.push_back(entry);
  std::stable_sort(due.begin(), due.end(), [](const auto& a, const auto& b) { return *a->deadline < *b->deadline; });
  for (const auto& entry : due) {
    if (!entry->deadline || *entry->deadline > now) continue;  // an earlier handler moved or removed it
    if (entry->period.count() > 0) {
      *entry->deadline += entry->period;
      if (*entry->deadline <= now) entry->deadline = now + entry->period;  // behind: no burst to catch up
    } else {
      entry->deadline.reset();
    }
    call(*entry);
    ++ran;
  }
}

void EventLoop::call(Entry& entry) {
  try {
    entry.handler();
  } catch (const std::exception& e) {
    ++handler_errors_;
    spdlog::error("{}: {}", entry.name, e.what());
  } catch (...) {
    ++handler_errors_;
    spdlog::error("{}: unknown error", entry.name);
  }
}

}  // namespace gpio2mqtt::service

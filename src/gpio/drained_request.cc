#include "gpio/drained_request.h"

#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <spdlog/spdlog.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <algorithm>
#include <bit>
#include <cerrno>
#include <cstdint>
#include <cstring>
#include <mutex>
#include <set>
#include <system_error>
#include <thread>
#include <utility>
#include <vector>

#include "util/unique_fd.h"

namespace gpio2mqtt::gpio {
namespace {

constexpr int kRecheckMs = 1000;  // how often the reader looks again at fds that did not wake it

UniqueFd make_eventfd(const char* what) {
  UniqueFd fd(eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC));
  if (!fd.valid()) throw GpioError(std::string("making the eventfd ") + what + ": " + std::strerror(errno));
  return fd;
}

void signal_fd(int fd) {
  std::uint64_t one = 1;
  // Only EAGAIN can fail here (the counter at its maximum), and then the fd is readable anyway.
  [[maybe_unused]] ssize_t written = write(fd, &one, sizeof one);
}

class DrainedRequest : public LineRequest {
 public:
  DrainedRequest(std::unique_ptr<LineRequest> inner, std::size_t capacity, std::map<unsigned, std::string> line_text)
      : inner_(std::move(inner)),
        capacity_(capacity),
        line_text_(std::move(line_text)),
        kernel_fds_(inner_->event_fds()),
        ready_(make_eventfd("that wakes the event loop")),
        stop_(make_eventfd("that stops the reader thread")),
        epoll_(epoll_create1(EPOLL_CLOEXEC)) {
    if (!epoll_.valid()) throw GpioError(std::string("making the reader thread's epoll: ") + std::strerror(errno));
    queue_.reserve(capacity_);
    add(stop_.get(), EPOLLIN);
    // Until the caller watches the kernel fds itself (watched()), the thread is woken for them.
    for (int fd : kernel_fds_) add(fd, EPOLLIN);
    try {
      thread_ = std::thread([this] { run(); });
    } catch (const std::system_error& e) {
      throw GpioError(std::string("starting the thread that reads the line events: ") + e.what());
    }
  }
  DrainedRequest(const DrainedRequest&) = delete;
  DrainedRequest& operator=(const DrainedRequest&) = delete;
  ~DrainedRequest() override {
    signal_fd(stop_.get());
    thread_.join();  // before inner_ and the fds it polls go
  }

  // The kernel's fds, then ours that says the thread queued events.
  std::vector<int> event_fds() const override {
    std::vector<int> fds = kernel_fds_;
    fds.push_back(ready_.get());
    return fds;
  }

  // Behind the caller in each kernel fd's wait queue, as an exclusive waiter too: the kernel wakes
  // the thread only when the caller is not waiting (fs/eventpoll.c, ep_poll_callback).
  void watched() override {
    std::lock_guard lock(mutex_);
    for (int fd : kernel_fds_) {
      if (gone_.count(fd)) continue;
      epoll_ctl(epoll_.get(), EPOLL_CTL_DEL, fd, nullptr);
      add(fd, EPOLLIN | EPOLLEXCLUSIVE);
    }
  }

  void read_events(int fd, std::vector<EdgeEvent>& out) override {
    bool kernel_fd = std::find(kernel_fds_.begin(), kernel_fds_.end(), fd) != kernel_fds_.end();
    if (!kernel_fd && fd != ready_.get())
      throw GpioError("fd " + std::to_string(fd) + " is not an event fd of this request");
    std::string failure;
    std::uint64_t dropped_now = 0;
    std::vector<unsigned> dropping;  // lines that lost events in our queue
    {
      std::lock_guard lock(mutex_);
      if (signalled_ || fd == ready_.get()) {
        std::uint64_t count = 0;
        [[maybe_unused]] ssize_t got = read(ready_.get(), &count, sizeof count);  // EAGAIN: woken for nothing
        signalled_ = false;
      }
      // What the thread queued came off the kernel before anything read now: it goes first.
      taken_.swap(queue_);
      for (auto& [offset, tail] : tails_) {
        EdgeEvent latest = tail.latest;
        latest.lost_before += tail.dropped;
        taken_.push_back(latest);
        dropped_now += tail.dropped;
        dropping.push_back(offset);
      }
      tails_.clear();
      if (kernel_fd && !gone_.count(fd)) read_kernel(fd, taken_);
      failure = failure_;
      if (!failure.empty() && !taken_.empty()) {
        signalled_ = true;  // the events first; the failure on the next call
        signal_fd(ready_.get());
      }
    }
    if (!failure.empty() && taken_.empty()) throw GpioError(failure);
    out.insert(out.end(), taken_.begin(), taken_.end());
    if (dropped_now) log_drops(dropped_now, dropping);
    taken_.clear();
  }

  bool get_value(unsigned offset) override { return inner_->get_value(offset); }
  void set_value(unsigned offset, bool active) override { inner_->set_value(offset, active); }

 private:
  // A line's newest event while our queue was full, and how many of its events were dropped before it.
  struct Tail {
    EdgeEvent latest;
    std::uint32_t dropped = 0;
  };

  void add(int fd, std::uint32_t events) {
    epoll_event event{};
    event.events = events;
    event.data.fd = fd;
    if (epoll_ctl(epoll_.get(), EPOLL_CTL_ADD, fd, &event) != 0)
      throw GpioError("watching fd " + std::to_string(fd) + " for line events: " + std::strerror(errno));
  }

  // With mutex_ held: whoever reads the kernel (the loop or the thread) holds it, so the events
  // keep the kernel's order. A failed read (the chip went) is kept for the loop, and the fd is
  // read no more.
  void read_kernel(int fd, std::vector<EdgeEvent>& into) {
    try {
      inner_->read_events(fd, into);
    } catch (const std::exception& e) {
      if (failure_.empty()) failure_ = e.what();
      gone_.insert(fd);
      epoll_ctl(epoll_.get(), EPOLL_CTL_DEL, fd, nullptr);  // a gone chip's fd stays readable
    }
  }

  void run() noexcept {
    // The daemon blocks its signals for signalfd before it requests lines; this keeps any that
    // were not from landing here.
    sigset_t all;
    sigfillset(&all);
    pthread_sigmask(SIG_BLOCK, &all, nullptr);
    try {
      std::vector<int> ready;
      std::vector<epoll_event> events(kernel_fds_.size() + 1);
      for (;;) {
        // Not forever: Linux 6.1 does not wake a uAPI v1 event fd's waiters when its chip goes,
        // though a poll() made afterwards sees it hung up; so once a second it looks again.
        int n = epoll_wait(epoll_.get(), events.data(), static_cast<int>(events.size()), kRecheckMs);
        if (n < 0) {
          if (errno == EINTR) continue;
          return fail(std::string("waiting for line events: ") + std::strerror(errno));
        }
        ready.clear();
        for (int i = 0; i < n; ++i) {
          if (events[i].data.fd == stop_.get()) return;
          ready.push_back(events[i].data.fd);
        }
        if (n == 0) ready = hung_up();
        if (!ready.empty()) drain(ready);
      }
    } catch (const std::exception& e) {
      fail(std::string("the thread that reads the line events stopped: ") + e.what());
    } catch (...) {
      fail("the thread that reads the line events stopped");
    }
  }

  // The kernel fds a poll() made now finds readable or hung up (epoll would not look again).
  std::vector<int> hung_up() {
    std::vector<pollfd> polled;
    {
      std::lock_guard lock(mutex_);
      for (int fd : kernel_fds_)
        if (!gone_.count(fd)) polled.push_back({fd, POLLIN, 0});
    }
    std::vector<int> out;
    if (poll(polled.data(), polled.size(), 0) > 0)
      for (const auto& p : polled)
        if (p.revents) out.push_back(p.fd);
    return out;
  }

  void drain(const std::vector<int>& fds) {
    std::lock_guard lock(mutex_);
    batch_.clear();
    for (int fd : fds)
      if (!gone_.count(fd)) read_kernel(fd, batch_);
    for (const auto& event : batch_) {
      if (queue_.size() < capacity_) {
        queue_.push_back(event);
        continue;
      }
      auto [it, fresh] = tails_.try_emplace(event.offset, Tail{event, 0});
      if (!fresh) {
        it->second.dropped += 1 + it->second.latest.lost_before;
        it->second.latest = event;
      }
    }
    // Nothing read (the loop was first) wakes nobody.
    if ((batch_.empty() && failure_.empty()) || signalled_) return;
    signalled_ = true;
    signal_fd(ready_.get());
  }

  void fail(const std::string& why) {
    std::lock_guard lock(mutex_);
    if (failure_.empty()) failure_ = why;
    signalled_ = true;
    signal_fd(ready_.get());
  }

  void log_drops(std::uint64_t dropped_now, const std::vector<unsigned>& offsets) {
    // Like the kernel's drops (LineSet): the first, then each time the total passes a power of two.
    bool report = std::bit_width(dropped_) != std::bit_width(dropped_ + dropped_now);
    dropped_ += dropped_now;
    if (!report) return;
    std::string lines;
    for (unsigned offset : offsets) {
      auto text = line_text_.find(offset);
      lines +=
          (lines.empty() ? "" : ", ") + (text != line_text_.end() ? text->second : "offset " + std::to_string(offset));
    }
    spdlog::warn(
        "{}: dropped {} edge event{} ({} so far): the event loop fell more than {} events behind the kernel; each "
        "line's newest edge was kept",
        lines, dropped_now, dropped_now == 1 ? "" : "s", dropped_, capacity_);
  }

  std::unique_ptr<LineRequest> inner_;
  const std::size_t capacity_;
  const std::map<unsigned, std::string> line_text_;
  const std::vector<int> kernel_fds_;
  UniqueFd ready_;  // written by the thread when it queued events: the loop watches it
  UniqueFd stop_;   // written by the destructor
  UniqueFd epoll_;  // the thread's: stop_ and the kernel fds

  std::mutex mutex_;  // guards what follows, and every read of inner_'s events
  std::vector<EdgeEvent> queue_;
  std::map<unsigned, Tail> tails_;
  std::set<int> gone_;  // kernel fds whose read failed
  std::string failure_;
  bool signalled_ = false;        // ready_ was written since the loop last took the queue
  std::vector<EdgeEvent> batch_;  // the thread's read, under mutex_

  std::vector<EdgeEvent> taken_;  // the loop's: swapped with queue_ to keep both allocations
  std::uint64_t dropped_ = 0;     // the loop's
  std::thread thread_;            // last: started when everything it uses exists
};

}  // namespace

std::unique_ptr<LineRequest> drain_in_thread(std::unique_ptr<LineRequest> inner, std::size_t capacity,
                                             std::map<unsigned, std::string> line_text) {
  if (capacity == 0) throw GpioError("the reader's queue needs room for at least one event");
  return std::make_unique<DrainedRequest>(std::move(inner), capacity, std::move(line_text));
}

}  // namespace gpio2mqtt::gpio

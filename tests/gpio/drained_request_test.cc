// The reader thread of drained_request.h against a fake kernel request whose event fd is a real
// pipe: each byte written is one edge (offset = byte / 2, rising = byte % 2), and a "loop" that
// waits on the request's fds as the daemon's does (epoll, EPOLLEXCLUSIVE). In the integration
// tests, so that the ThreadSanitizer build runs it.
#include "gpio/drained_request.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <poll.h>
#include <sys/epoll.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <fstream>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "process.h"
#include "util/unique_fd.h"

namespace gpio2mqtt::gpio {
namespace {

using namespace std::chrono_literals;

// What the fake saw, shared with the test: the thread reads, the test looks.
struct Kernel {
  UniqueFd read_end, write_end;
  std::atomic<int> events_read{0};
  std::atomic<int> read_elsewhere{0};  // events read on a thread other than `loop`
  std::thread::id loop = std::this_thread::get_id();
  std::atomic<bool> fail_next_read{false};
  std::mutex calls_mutex;
  std::vector<std::string> calls;  // get and set, from the test's thread

  Kernel() {
    int fds[2];
    if (pipe2(fds, O_NONBLOCK | O_CLOEXEC) != 0) throw std::runtime_error("pipe2");
    read_end.reset(fds[0]);
    write_end.reset(fds[1]);
  }
  void edges(unsigned offset, bool first_rising, int count) {
    std::string bytes;
    for (int i = 0; i < count; ++i) bytes += static_cast<char>(offset * 2 + ((i % 2 == 0) == first_rising ? 1 : 0));
    ASSERT_EQ(write(write_end.get(), bytes.data(), bytes.size()), static_cast<ssize_t>(bytes.size()));
  }
};

class PipeRequest : public LineRequest {
 public:
  explicit PipeRequest(Kernel& kernel) : kernel_(kernel) {}
  std::vector<int> event_fds() const override { return {kernel_.read_end.get()}; }
  void read_events(int fd, std::vector<EdgeEvent>& out) override {
    if (kernel_.fail_next_read.exchange(false)) throw GpioError("reading the events of line 7: the chip is gone");
    unsigned char bytes[16];  // what uAPI v1 gives per read
    ssize_t n = read(fd, bytes, sizeof bytes);
    for (ssize_t i = 0; i < n; ++i) {
      std::uint64_t stamp = ++stamp_;
      out.push_back({bytes[i] / 2u, bytes[i] % 2 == 1, stamp, 0, 0, 0});
    }
    if (n > 0) kernel_.events_read += static_cast<int>(n);
    if (n > 0 && std::this_thread::get_id() != kernel_.loop) kernel_.read_elsewhere += static_cast<int>(n);
  }
  bool get_value(unsigned offset) override {
    std::lock_guard lock(kernel_.calls_mutex);
    kernel_.calls.push_back("get " + std::to_string(offset));
    return true;
  }
  void set_value(unsigned offset, bool active) override {
    std::lock_guard lock(kernel_.calls_mutex);
    kernel_.calls.push_back("set " + std::to_string(offset) + " " + std::to_string(active));
  }

 private:
  Kernel& kernel_;
  std::uint64_t stamp_ = 0;  // the thread's
};

bool readable_within(int fd, std::chrono::milliseconds timeout) {
  pollfd p{fd, POLLIN, 0};
  return poll(&p, 1, static_cast<int>(timeout.count())) == 1;
}

// glibc's epoll_wait() is the epoll_wait system call where there is one (x86-64), else epoll_pwait
// (arm64 has only that).
bool is_epoll_wait(long number) {
#ifdef SYS_epoll_wait
  if (number == SYS_epoll_wait) return true;
#endif
  return number == SYS_epoll_pwait;
}

// Whether thread `tid` of this process sleeps in epoll_wait(): its wait is queued then.
bool asleep_in_epoll_wait(pid_t tid) {
  std::string base = "/proc/self/task/" + std::to_string(tid);
  std::ifstream syscall_file(base + "/syscall"), stat_file(base + "/stat");
  long number = -1;
  syscall_file >> number;
  std::string stat((std::istreambuf_iterator<char>(stat_file)), std::istreambuf_iterator<char>());
  auto state = stat.rfind(") ");
  return is_epoll_wait(number) && state != std::string::npos && stat[state + 2] == 'S';
}

// The daemon's loop in small: one epoll over the request's fds, each EPOLLEXCLUSIVE.
class Loop {
 public:
  explicit Loop(LineRequest& request) : request_(request), epoll_(epoll_create1(EPOLL_CLOEXEC)) {
    for (int fd : request.event_fds()) {
      epoll_event event{};
      event.events = EPOLLIN | EPOLLEXCLUSIVE;
      event.data.fd = fd;
      if (epoll_ctl(epoll_.get(), EPOLL_CTL_ADD, fd, &event) != 0) throw std::runtime_error("epoll_ctl");
    }
    request.watched();
  }
  // Waits and reads, as the daemon does, until `count` events came or 5 s passed without any.
  std::vector<EdgeEvent> take(std::size_t count) {
    std::vector<EdgeEvent> out;
    epoll_event events[4];
    int n = 0;
    while (out.size() < count && (n = epoll_wait(epoll_.get(), events, 4, 5000)) > 0)
      for (int i = 0; i < n; ++i) request_.read_events(events[i].data.fd, out);
    return out;
  }

 private:
  LineRequest& request_;
  UniqueFd epoll_;
};

class ADrainedRequest : public ::testing::Test {
 protected:
  std::unique_ptr<LineRequest> drained(std::size_t capacity) {
    return drain_in_thread(std::make_unique<PipeRequest>(kernel_), capacity, {{0, "line 'IN'"}, {1, "line 'FLOW'"}});
  }
  std::vector<EdgeEvent> take(LineRequest& request, std::size_t count) { return Loop(request).take(count); }

  Kernel kernel_;
};

TEST_F(ADrainedRequest, HandsOverEveryEdgeInTheKernelsOrder) {
  auto request = drained(1024);
  EXPECT_EQ(request->event_fds().size(), 2u);  // the kernel's, and the one the thread signals
  EXPECT_EQ(request->event_fds().at(0), kernel_.read_end.get());
  Loop loop(*request);
  std::thread edges([this] {
    for (int burst = 0; burst < 30; ++burst) kernel_.edges(0, true, 10);  // even: each ends low
  });
  auto events = loop.take(300);
  edges.join();
  ASSERT_EQ(events.size(), 300u);
  for (std::size_t i = 0; i < events.size(); ++i) {
    EXPECT_EQ(events[i].timestamp_ns, i + 1);
    EXPECT_EQ(events[i].rising, i % 2 == 0);
    EXPECT_EQ(events[i].lost_before, 0u);
  }
}

TEST_F(ADrainedRequest, LetsTheLoopReadTheKernelItselfWhileItWaits) {
  auto request = drained(1024);
  Loop loop(*request);
  pid_t loop_tid = static_cast<pid_t>(::syscall(SYS_gettid));
  for (int edge = 0; edge < 20; ++edge) {
    std::thread edges([&] {
      if (testing::eventually([&] { return asleep_in_epoll_wait(loop_tid); }, 5s)) kernel_.edges(0, edge % 2 == 0, 1);
    });
    auto events = loop.take(1);
    edges.join();
    ASSERT_EQ(events.size(), 1u) << "edge " << edge;
  }
  EXPECT_EQ(kernel_.events_read, 20);
  EXPECT_EQ(kernel_.read_elsewhere, 0) << "the reader thread was woken while the loop waited";
}

TEST_F(ADrainedRequest, EmptiesTheKernelsQueueWhileTheLoopReadsNothing) {
  auto request = drained(1024);
  Loop busy(*request);                        // watching, but not waiting
  for (int burst = 0; burst < 10; ++burst) {  // 16 events at a time, as a v1 queue holds
    kernel_.edges(0, burst % 2 == 0, 16);
    ASSERT_TRUE(testing::eventually([&] { return kernel_.events_read == 16 * (burst + 1); }, 5s))
        << "the thread read " << kernel_.events_read << " of " << 16 * (burst + 1);
  }
  EXPECT_EQ(kernel_.read_elsewhere, 160);
  EXPECT_EQ(busy.take(160).size(), 160u);
}

TEST_F(ADrainedRequest, WhenItsQueueIsFullDropsTheNewestButEachLinesLastAndCountsThem) {
  auto request = drained(10);
  kernel_.edges(0, true, 14);  // 10 fit; of the 4 more, the last is kept
  kernel_.edges(1, true, 3);   // all 3 beyond: the last kept
  ASSERT_TRUE(testing::eventually([&] { return kernel_.events_read == 17; }, 5s));
  auto events = take(*request, 12);
  ASSERT_EQ(events.size(), 12u);
  for (std::size_t i = 0; i < 10; ++i) EXPECT_EQ(events[i].timestamp_ns, i + 1);
  EXPECT_EQ(events[10].offset, 0u);
  EXPECT_EQ(events[10].timestamp_ns, 14u);
  EXPECT_FALSE(events[10].rising);  // the 14th edge of a line that began rising: its true level
  EXPECT_EQ(events[10].lost_before, 3u);
  EXPECT_EQ(events[11].offset, 1u);
  EXPECT_EQ(events[11].timestamp_ns, 17u);
  EXPECT_EQ(events[11].lost_before, 2u);

  kernel_.edges(0, true, 2);  // room again
  auto after = take(*request, 2);
  ASSERT_EQ(after.size(), 2u);
  EXPECT_EQ(after[0].lost_before, 0u);
}

TEST_F(ADrainedRequest, GivesTheEventsReadBeforeAFailedReadThenTheFailure) {
  auto request = drained(1024);
  kernel_.edges(0, true, 5);
  ASSERT_TRUE(testing::eventually([&] { return kernel_.events_read == 5; }, 5s));
  kernel_.fail_next_read = true;
  kernel_.edges(0, true, 1);
  int fd = request->event_fds().back();  // the thread's: it read them
  std::vector<EdgeEvent> out;
  ASSERT_TRUE(testing::eventually([&] { return !kernel_.fail_next_read; }, 5s));
  ASSERT_TRUE(readable_within(fd, 5s));
  request->read_events(fd, out);
  EXPECT_EQ(out.size(), 5u);
  ASSERT_TRUE(readable_within(fd, 5s));
  EXPECT_THROW(
      {
        try {
          request->read_events(fd, out);
        } catch (const GpioError& e) {
          EXPECT_NE(std::string(e.what()).find("the chip is gone"), std::string::npos) << e.what();
          throw;
        }
      },
      GpioError);
}

TEST_F(ADrainedRequest, PassesReadsAndWritesOfLevelsToTheRequestItWraps) {
  auto request = drained(16);
  EXPECT_TRUE(request->get_value(1));
  request->set_value(2, true);
  std::lock_guard lock(kernel_.calls_mutex);
  EXPECT_EQ(kernel_.calls, (std::vector<std::string>{"get 1", "set 2 1"}));
}

TEST_F(ADrainedRequest, RefusesAnFdThatIsNotItsOwn) {
  auto request = drained(16);
  std::vector<EdgeEvent> out;
  EXPECT_THROW(request->read_events(kernel_.write_end.get(), out), GpioError);
}

TEST_F(ADrainedRequest, StopsItsThreadWhenDestroyedWithEventsStillQueued) {
  auto request = drained(1024);
  kernel_.edges(0, true, 40);
  ASSERT_TRUE(testing::eventually([&] { return kernel_.events_read == 40; }, 5s));
  request.reset();  // joins the thread; a hang here is the test's timeout
  kernel_.edges(0, true, 1);
  EXPECT_EQ(kernel_.events_read, 40);
}

}  // namespace
}  // namespace gpio2mqtt::gpio

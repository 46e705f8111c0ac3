// The event loop's promises: registrations that unregister themselves, timers on the loop's
// clock that need no acknowledging, handlers that may throw or destroy their own registration.
#include "service/event_loop.h"

#include <gtest/gtest.h>
#include <sys/eventfd.h>

#include "manual_clock.h"

namespace gpio2mqtt::service {
namespace {

using namespace std::chrono_literals;

// Makes the eventfd `fd` readable; false when the write failed.
bool wake(int fd) {
  std::uint64_t one = 1;
  return write(fd, &one, sizeof one) == static_cast<ssize_t>(sizeof one);
}

class AnEventLoop : public ::testing::Test {
 protected:
  testing::ManualClock clock_;
  EventLoop loop_{clock_};
  int runs_ = 0;
  EventLoop::Handler count() {
    return [this] { ++runs_; };
  }
};

TEST_F(AnEventLoop, RunsAWatchWhileItLives) {
  UniqueFd fd(eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC));
  ASSERT_TRUE(wake(fd.get()));
  {
    FdWatch watch = loop_.watch(fd.get(), "test", count());
    EXPECT_EQ(loop_.run_once(0), 1u);
    FdWatch moved = std::move(watch);
    EXPECT_EQ(loop_.run_once(0), 1u);  // still readable: level-triggered
  }
  EXPECT_EQ(loop_.run_once(0), 0u);
  EXPECT_EQ(runs_, 2);
}

TEST_F(AnEventLoop, KeepsANewWatchWhenAnOlderOneOnTheSameFdNumberGoesLater) {
  auto first = std::make_unique<UniqueFd>(eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC));
  int number = first->get();
  FdWatch old_watch = loop_.watch(number, "old", [] {});
  first.reset();  // closed before its watch went: allowed
  UniqueFd second(eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC));
  if (second.get() != number) GTEST_SKIP() << "the kernel did not reuse the fd number";
  FdWatch new_watch = loop_.watch(second.get(), "new", count());
  old_watch = {};
  ASSERT_TRUE(wake(second.get()));
  EXPECT_EQ(loop_.run_once(0), 1u);
  EXPECT_EQ(runs_, 1);
}

TEST_F(AnEventLoop, RunsATimerOnceWhenItsClockReachesTheDeadline) {
  Timer timer = loop_.timer("test", count());
  EXPECT_FALSE(timer.armed());
  timer.arm_after(1s);
  EXPECT_EQ(loop_.run_once(0), 0u);
  clock_.advance(999ms);
  EXPECT_EQ(loop_.run_once(0), 0u);
  clock_.advance(1ms);
  EXPECT_EQ(loop_.run_once(0), 1u);
  EXPECT_FALSE(timer.armed());
  clock_.advance(10s);
  EXPECT_EQ(loop_.run_once(0), 0u);
  EXPECT_EQ(runs_, 1);
}

TEST_F(AnEventLoop, RepeatsATimerWithoutABurstToCatchUp) {
  Timer timer = loop_.timer("test", count());
  timer.repeat_every(1s);
  clock_.advance(1s);
  EXPECT_EQ(loop_.run_once(0), 1u);
  clock_.advance(3500ms);  // three periods late: one run, then a period from now
  EXPECT_EQ(loop_.run_once(0), 1u);
  clock_.advance(999ms);
  EXPECT_EQ(loop_.run_once(0), 0u);
  clock_.advance(1ms);
  EXPECT_EQ(loop_.run_once(0), 1u);
  timer.disarm();
  clock_.advance(5s);
  EXPECT_EQ(loop_.run_once(0), 0u);
  EXPECT_EQ(runs_, 3);
}

TEST_F(AnEventLoop, ForgetsATimerOnceItIsDestroyed) {
  auto timer = std::make_unique<Timer>(loop_.timer("test", count()));
  timer->arm_after(1s);
  timer.reset();
  clock_.advance(2s);
  EXPECT_EQ(loop_.run_once(0), 0u);
  EXPECT_EQ(runs_, 0);
}

TEST_F(AnEventLoop, LetsAHandlerDestroyItsOwnRegistrationAndOthers) {
  Timer first, second;
  first = loop_.timer("first", [&] {
    ++runs_;
    first = {};
    second = {};  // due as well: it must not run now
  });
  second = loop_.timer("second", count());
  first.arm_after(1s);
  second.arm_after(1s);
  clock_.advance(1s);
  loop_.run_once(0);
  EXPECT_EQ(runs_, 1);
}

TEST_F(AnEventLoop, CountsAHandlerThatThrewAndCarriesOn) {
  Timer failing = loop_.timer("failing", [] { throw std::runtime_error("broken"); });
  Timer fine = loop_.timer("fine", count());
  failing.arm_after(1s);
  fine.arm_after(1s);
  clock_.advance(1s);
  EXPECT_EQ(loop_.run_once(0), 2u);
  EXPECT_EQ(loop_.handler_errors(), 1u);
  EXPECT_EQ(runs_, 1);
}

TEST(AnEventLoopOnTheRealClock, WakesForTheNextTimerWhenToldToWaitForever) {
  EventLoop loop;
  bool ran = false;
  Timer timer = loop.timer("test", [&] { ran = true; });
  timer.arm_after(20ms);
  while (!ran) loop.run_once(-1);  // would hang if the wait ignored the timer
  EXPECT_FALSE(timer.armed());
}

}  // namespace
}  // namespace gpio2mqtt::service

#include "service/takeover_guard.h"

#include <gtest/gtest.h>

namespace gpio2mqtt::service {
namespace {

using namespace std::chrono_literals;

TEST(ATakeoverGuard, BacksOffAtOnceWhenTheBrokerSaysTheSessionWasTakenOver) {
  TakeoverGuard guard;
  guard.on_connected(MonoTime(100s));
  EXPECT_EQ(guard.on_lost(MonoTime(200s), true), TakeoverGuard::kFirstWait);
  EXPECT_FALSE(guard.inferred());
}

TEST(ATakeoverGuard, TreatsAnOrdinaryLossAsOrdinary) {
  TakeoverGuard guard;
  guard.on_connected(MonoTime(0s));
  EXPECT_EQ(guard.on_lost(MonoTime(60s), false), std::nullopt);
}

TEST(ATakeoverGuard, InfersATakeoverFromConnectionsDroppedRightAfterTheyWereMade) {
  TakeoverGuard guard;
  MonoTime t(0s);
  for (int i = 1; i < TakeoverGuard::kShortLivedInARow; ++i) {
    guard.on_connected(t);
    EXPECT_EQ(guard.on_lost(t + 1s, false), std::nullopt) << i;
    t += 3s;
  }
  guard.on_connected(t);
  EXPECT_EQ(guard.on_lost(t + 1s, false), TakeoverGuard::kFirstWait);
  EXPECT_TRUE(guard.inferred());
}

TEST(ATakeoverGuard, TakesShortConnectionsToARestartingBrokerForNoTakeover) {
  TakeoverGuard guard;
  MonoTime t(0s);
  for (int i = 0; i < 3 * TakeoverGuard::kShortLivedInARow; ++i) {
    guard.on_connected(t);
    EXPECT_EQ(guard.on_lost(t + 1s, false), std::nullopt) << i;
    guard.on_connect_failed();  // the broker was not back yet
    t += 3s;
  }
}

TEST(ATakeoverGuard, ForgetsShortConnectionsOnceOneLastedLonger) {
  TakeoverGuard guard;
  guard.on_connected(MonoTime(0s));
  guard.on_lost(MonoTime(1s), false);
  guard.on_connected(MonoTime(2s));
  guard.on_lost(MonoTime(3s), false);
  guard.on_connected(MonoTime(4s));
  guard.on_lost(MonoTime(100s), false);  // a real outage after a good connection
  guard.on_connected(MonoTime(101s));
  EXPECT_EQ(guard.on_lost(MonoTime(102s), false), std::nullopt);
}

TEST(ATakeoverGuard, WaitsLongerAtEachTakeoverUpToALimitAndStartsOverOnceSettled) {
  TakeoverGuard guard;
  std::chrono::seconds last{0};
  MonoTime t(0s);
  for (int i = 0; i < 10; ++i) {
    guard.on_connected(t);
    last = *guard.on_lost(t + 10s, true);
    t += 20s;
  }
  EXPECT_EQ(last, TakeoverGuard::kLongestWait);
  guard.on_connected(t);
  EXPECT_EQ(guard.on_lost(t + TakeoverGuard::kSettled, true), TakeoverGuard::kFirstWait);
}

}  // namespace
}  // namespace gpio2mqtt::service

#include "gpio2mqtt/bridge/debounce.h"

#include <gtest/gtest.h>

namespace gpio2mqtt::bridge {
namespace {

using namespace std::chrono_literals;

TEST(ADebouncer, ReportsTheFirstChangeAtOnce) {
  Debouncer d(10ms, false);
  auto report = d.on_edge(true, MonoTime(100ms));
  ASSERT_TRUE(report);
  EXPECT_TRUE(report->active);
  EXPECT_EQ(report->timestamp, MonoTime(100ms));
  EXPECT_EQ(d.deadline(), MonoTime(110ms));
}

TEST(ADebouncer, SwallowsBounceThatSettlesWhereItStarted) {
  Debouncer d(10ms, false);
  ASSERT_TRUE(d.on_edge(true, MonoTime(100ms)));
  EXPECT_FALSE(d.on_edge(false, MonoTime(101ms)));
  EXPECT_FALSE(d.on_edge(true, MonoTime(102ms)));
  EXPECT_FALSE(d.on_time(MonoTime(109ms)));  // not over yet
  EXPECT_FALSE(d.on_time(MonoTime(110ms)));  // settled ON, as reported
  EXPECT_FALSE(d.deadline());
}

TEST(ADebouncer, ReportsALevelThatChangedDuringThePeriodWhenItEnds) {
  Debouncer d(10ms, false);
  ASSERT_TRUE(d.on_edge(true, MonoTime(100ms)));
  EXPECT_FALSE(d.on_edge(false, MonoTime(104ms)));
  auto report = d.on_time(MonoTime(110ms));
  ASSERT_TRUE(report);
  EXPECT_FALSE(report->active);
  EXPECT_EQ(report->timestamp, MonoTime(104ms));  // when the line really went low
  EXPECT_EQ(d.deadline(), MonoTime(120ms));       // and that report opens a new period
}

TEST(ADebouncer, IgnoresAnEdgeToTheReportedLevel) {
  Debouncer d(10ms, true);
  EXPECT_FALSE(d.on_edge(true, MonoTime(5ms)));
  EXPECT_FALSE(d.deadline());
}

TEST(ADebouncer, WithoutAPeriodReportsEveryChange) {
  Debouncer d(0ms, false);
  EXPECT_TRUE(d.on_edge(true, MonoTime(1ns)));
  EXPECT_TRUE(d.on_edge(false, MonoTime(2ns)));
  EXPECT_TRUE(d.on_edge(true, MonoTime(3ns)));
  EXPECT_FALSE(d.deadline());
}

TEST(ADebouncer, AcceptsAnEdgeRightAtTheEndOfThePeriod) {
  Debouncer d(10ms, false);
  ASSERT_TRUE(d.on_edge(true, MonoTime(100ms)));
  auto report = d.on_edge(false, MonoTime(110ms));
  ASSERT_TRUE(report);
  EXPECT_FALSE(report->active);
}

}  // namespace
}  // namespace gpio2mqtt::bridge

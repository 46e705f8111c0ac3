// The counter's state machine: debounce as "the level must hold", the rate, publish and store pacing.
#include "gpio2mqtt/bridge/counter.h"

#include <gtest/gtest.h>

namespace gpio2mqtt::bridge {
namespace {

using namespace std::chrono_literals;

CounterSettings s0(Nanos debounce = 10ms) {
  CounterSettings settings;
  settings.debounce = debounce;
  settings.pulses_per_unit = 1000;  // 1000 imp/kWh
  settings.rate_timeout = 5min;
  settings.publish_interval = 1s;
  settings.persist_every = 60s;
  return settings;
}

// A falling edge at `at` and the rising one `width` later (an S0 pulls the line low).
void pulse(Counter& counter, MonoTime at, Nanos width = 30ms) {
  counter.on_edge(false, at);
  counter.on_edge(true, at + width);
}

TEST(ACounter, CountsAPulseWhoseLevelHeldExactlyTheDebounce) {
  Counter counter(s0(10ms), 0, true);
  pulse(counter, MonoTime(1s), 10ms);
  EXPECT_EQ(counter.count(), 1u);
}

TEST(ACounter, IgnoresAPulseOneNanosecondShorterThanTheDebounce) {
  Counter counter(s0(10ms), 0, true);
  pulse(counter, MonoTime(1s), 10ms - 1ns);
  EXPECT_EQ(counter.count(), 0u);
}

TEST(ACounter, CountsALevelStillHeldOnceTheDebounceEnds) {
  Counter counter(s0(10ms), 0, true);
  counter.on_edge(false, MonoTime(1s));
  counter.on_time(MonoTime(1s + 10ms - 1ns));
  EXPECT_EQ(counter.count(), 0u);
  EXPECT_EQ(counter.deadline(), MonoTime(1s + 10ms));
  counter.on_time(MonoTime(1s + 10ms));
  EXPECT_EQ(counter.count(), 1u);
}

TEST(ACounter, CountsEveryEdgeWhenTheKernelReportsOnlyTheCountedOnes) {
  CounterSettings settings = s0(0ns);
  settings.counted_edges_only = true;
  Counter counter(settings, 0, true);
  // Falling edges only: no rise between them, each one a pulse.
  for (int i = 0; i < 5; ++i) counter.on_edge(false, MonoTime(1s + i * 1ms));
  EXPECT_EQ(counter.count(), 5u);
  // A rising edge would be no pulse (the kernel does not send one; made-up edges are not counted).
  counter.on_edge(true, MonoTime(2s));
  EXPECT_EQ(counter.count(), 5u);
}

TEST(ACounter, CountsThePulsesAQueueDroppedWhenTheKernelReportsOnlyTheCountedEdges) {
  CounterSettings settings = s0(0ns);
  settings.counted_edges_only = true;
  Counter counter(settings, 0, true);
  counter.on_edge(false, MonoTime(1s));
  // Four falls dropped (the kernel's queue or the reader's was full), then the fifth arrives.
  counter.on_edge(false, MonoTime(1s + 5 * 3600ms), 4);
  EXPECT_EQ(counter.count(), 6u);
  // 1000 pulses a unit, one pulse every 3.6 s: 1 unit an hour, not the 5 the last gap alone says.
  EXPECT_NEAR(counter.reading().rate, 1.0, 1e-9);
}

TEST(ACounter, CountsNoDroppedEdgeWhenBothEdgesAreReported) {
  // Their directions are unknown: none of them is a pulse for sure.
  Counter counter(s0(0ns), 0, true);
  counter.on_edge(false, MonoTime(1s), 3);
  EXPECT_EQ(counter.count(), 1u);
}

TEST(ACounter, CountsTwoFallsInARowOnceWhenBothEdgesAreReported) {
  // With both edges, two falls in a row mean the rise between was missed or mistyped: no guess.
  Counter counter(s0(0ns), 0, true);
  counter.on_edge(false, MonoTime(1s));
  counter.on_edge(false, MonoTime(1s + 1ms));
  EXPECT_EQ(counter.count(), 1u);
}

TEST(ACounter, CountsABouncingContactOnce) {
  Counter counter(s0(10ms), 0, true);
  // Bounces of 1 ms on the press, then held; bounces on the release too.
  for (int i = 0; i < 3; ++i) {
    counter.on_edge(false, MonoTime(1s + i * 2ms));
    counter.on_edge(true, MonoTime(1s + i * 2ms + 1ms));
  }
  counter.on_edge(false, MonoTime(1s + 6ms));
  counter.on_edge(true, MonoTime(1s + 40ms));
  counter.on_edge(false, MonoTime(1s + 41ms));
  counter.on_edge(true, MonoTime(1s + 42ms));
  counter.on_time(MonoTime(2s));
  EXPECT_EQ(counter.count(), 1u);
}

TEST(ACounter, DoesNotCountAGlitchOfTheIdleLevelInsideAPulse) {
  Counter counter(s0(10ms), 0, true);
  counter.on_edge(false, MonoTime(1s));
  counter.on_edge(true, MonoTime(1s + 20ms));  // 1 ms up in the middle of a long pulse
  counter.on_edge(false, MonoTime(1s + 21ms));
  counter.on_edge(true, MonoTime(1s + 60ms));
  counter.on_time(MonoTime(2s));
  EXPECT_EQ(counter.count(), 1u);
}

TEST(ACounter, CountsTheConfiguredEdgeOnly) {
  CounterSettings rising = s0(0ns);
  rising.count_rising = true;
  rising.count_falling = false;
  Counter counter(rising, 0, false);
  counter.on_edge(true, MonoTime(1s));
  counter.on_edge(false, MonoTime(2s));
  EXPECT_EQ(counter.count(), 1u);
}

TEST(ACounter, WithoutDebounceCountsEveryChangeAtOnce) {
  Counter counter(s0(0ns), 0, true);
  for (int i = 0; i < 1000; ++i) pulse(counter, MonoTime(1s + i * 1ms), 500us);
  EXPECT_EQ(counter.count(), 1000u);
}

TEST(ACounter, StartsFromTheStoredCount) {
  Counter counter(s0(), 41, true);
  pulse(counter, MonoTime(1s));
  EXPECT_EQ(counter.reading().count, 42u);
  EXPECT_DOUBLE_EQ(counter.reading().total, 0.042);
}

TEST(ACounter, RateIsUnitsPerHourFromTheIntervalBetweenTheLastPulses) {
  Counter counter(s0(), 0, true);
  EXPECT_EQ(counter.reading().rate, 0);
  pulse(counter, MonoTime(10s));
  EXPECT_EQ(counter.reading().rate, 0) << "one pulse has no interval";
  pulse(counter, MonoTime(13600ms));  // 3.6 s per Wh: 1 kW
  EXPECT_NEAR(counter.reading().rate, 1.0, 1e-9);
  pulse(counter, MonoTime(13960ms));  // 0.36 s: 10 kW
  EXPECT_NEAR(counter.reading().rate, 10.0, 1e-9);
}

TEST(ACounter, RateTakesTheTimeTheLevelChangedNotWhenTheDebounceEnded) {
  Counter counter(s0(50ms), 0, true);
  counter.on_edge(false, MonoTime(10s));
  counter.on_time(MonoTime(11s));
  counter.on_edge(true, MonoTime(11s));
  counter.on_edge(false, MonoTime(13600ms));
  counter.on_time(MonoTime(20s));
  EXPECT_NEAR(counter.reading().rate, 1.0, 1e-9);
}

TEST(ACounter, RateFallsToZeroOnceTheTimeoutPassesWithoutPulses) {
  Counter counter(s0(), 0, true);
  pulse(counter, MonoTime(10s));
  pulse(counter, MonoTime(13600ms));
  counter.on_time(MonoTime(14s));  // the release held
  ASSERT_EQ(counter.deadline(), MonoTime(13600ms + 5min));
  counter.on_time(MonoTime(13600ms + 5min - 1ns));
  EXPECT_GT(counter.reading().rate, 0);
  counter.on_time(MonoTime(13600ms + 5min));
  EXPECT_EQ(counter.reading().rate, 0);
  EXPECT_EQ(counter.deadline(), std::nullopt);
}

TEST(ACounter, PublishesAChangeAtMostOncePerInterval) {
  Counter counter(s0(0ns), 0, true);
  EXPECT_TRUE(counter.take_reading(MonoTime(1s)));  // the first reading at once
  pulse(counter, MonoTime(1100ms));
  EXPECT_EQ(counter.publish_deadline(), MonoTime(2s));
  EXPECT_FALSE(counter.take_reading(MonoTime(1500ms)));
  pulse(counter, MonoTime(1600ms));
  auto reading = counter.take_reading(MonoTime(2s));
  ASSERT_TRUE(reading);
  EXPECT_EQ(reading->count, 2u);
  EXPECT_FALSE(counter.take_reading(MonoTime(5s))) << "nothing changed";
  EXPECT_EQ(counter.publish_deadline(), std::nullopt);
}

TEST(ACounter, StoresAChangeAtMostOncePerPersistEvery) {
  Counter counter(s0(0ns), 7, true);
  EXPECT_FALSE(counter.take_persist(MonoTime(1s))) << "the stored count is the start count";
  pulse(counter, MonoTime(1s));
  EXPECT_EQ(counter.take_persist(MonoTime(1s)), 8u);
  pulse(counter, MonoTime(2s));
  EXPECT_EQ(counter.persist_deadline(), MonoTime(61s));
  EXPECT_FALSE(counter.take_persist(MonoTime(60s)));
  EXPECT_EQ(counter.take_persist(MonoTime(61s)), 9u);
  pulse(counter, MonoTime(62s));
  EXPECT_EQ(counter.take_unpersisted(), 10u) << "a clean stop does not wait";
  EXPECT_FALSE(counter.take_unpersisted());
}

TEST(ACounter, SetsTheTotalInUnitsRoundedToWholePulses) {
  Counter counter(s0(), 5, true);
  counter.set_total(12345.6786);
  EXPECT_EQ(counter.count(), 12345679u);
  EXPECT_EQ(counter.take_unpersisted(), 12345679u);
  counter.set_count(0);
  EXPECT_EQ(counter.reading(), (CounterReading{0, 0, 0}));
}

TEST(ACounter, ForgetsTheRateWhenSet) {
  Counter counter(s0(), 0, true);
  pulse(counter, MonoTime(10s));
  pulse(counter, MonoTime(13600ms));
  counter.set_total(100);
  EXPECT_EQ(counter.reading().rate, 0);
}

TEST(ACounterCommand, IsANumberOrReset) {
  auto total = parse_counter_command("12345.6\n");
  ASSERT_TRUE(std::holds_alternative<CounterCommand>(total));
  EXPECT_DOUBLE_EQ(std::get<CounterCommand>(total).total, 12345.6);
  auto reset = parse_counter_command("reset");
  ASSERT_TRUE(std::holds_alternative<CounterCommand>(reset));
  EXPECT_TRUE(std::get<CounterCommand>(reset).reset);
  for (const char* bad : {"", "ON", "-1", "nan", "inf", "1e999", "12 kWh", "0x10"})
    EXPECT_TRUE(std::holds_alternative<std::string>(parse_counter_command(bad))) << bad;
}

TEST(ANumberOnATopic, IsPlain) {
  EXPECT_EQ(format_number(0), "0");
  EXPECT_EQ(format_number(12.5), "12.5");
  EXPECT_EQ(format_number(0.001), "0.001");
  EXPECT_EQ(format_number(1234567), "1234567");
}

}  // namespace
}  // namespace gpio2mqtt::bridge

#include "service/reconnect_backoff.h"

#include <gtest/gtest.h>

#include <vector>

namespace gpio2mqtt::service {
namespace {

using namespace std::chrono_literals;

TEST(AReconnectBackoff, WithoutJitterWaitsOneSecondDoublingToAMinute) {
  std::mt19937_64 random(1);
  ReconnectBackoff backoff(random, false);
  for (auto expected : {1s, 2s, 4s, 8s, 16s, 32s, 60s, 60s}) EXPECT_EQ(backoff.next(), expected);
  backoff.reset();
  EXPECT_EQ(backoff.next(), 1s);
}

TEST(AReconnectBackoff, WithJitterDrawsEachDelayBetweenZeroAndTheDoublingCeiling) {
  std::mt19937_64 random(7);
  ReconnectBackoff backoff(random, true);
  for (auto ceiling : {1s, 2s, 4s, 8s, 16s, 32s, 60s, 60s}) {
    auto delay = backoff.next();
    EXPECT_GE(delay, 0ms);
    EXPECT_LE(delay, ceiling);
  }
}

TEST(AReconnectBackoff, SpreadsTheFirstRetryOfManyBoardsOverTheWholeSecond) {
  // 1000 boards that lost one broker together: their first retries land in every tenth of the
  // second, none of which holds more than twice its share.
  std::vector<int> per_tenth(10);
  for (std::uint64_t board = 0; board < 1000; ++board) {
    std::mt19937_64 random(board);
    auto delay = ReconnectBackoff(random, true).next();
    ++per_tenth.at(std::min<std::size_t>(9, static_cast<std::size_t>(delay.count() / 100)));
  }
  for (int count : per_tenth) {
    EXPECT_GT(count, 50);
    EXPECT_LT(count, 200);
  }
}

TEST(AReconnectBackoff, GivesTheSameDelaysForTheSameSeed) {
  std::mt19937_64 one(42), two(42);
  ReconnectBackoff a(one, true), b(two, true);
  for (int i = 0; i < 10; ++i) EXPECT_EQ(a.next(), b.next());
}

}  // namespace
}  // namespace gpio2mqtt::service

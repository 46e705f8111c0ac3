#include "service/server_list.h"

#include <gtest/gtest.h>

#include <set>

namespace gpio2mqtt::service {
namespace {

const std::vector<std::string> kNodes{"mqtt://a:1883", "mqtt://b:1883", "mqtt://c:1883"};

TEST(AServerList, StartsAtTheFirstListedNodeAndMovesOnInTheListedOrder) {
  std::mt19937_64 random(1);
  ServerList list(kNodes, config::ServerOrder::kListed, random);
  EXPECT_EQ(list.current(), "mqtt://a:1883");
  list.advance();
  EXPECT_EQ(list.current(), "mqtt://b:1883");
  list.advance();
  EXPECT_EQ(list.current(), "mqtt://c:1883");
  list.advance();
  EXPECT_EQ(list.current(), "mqtt://a:1883");
}

TEST(AServerList, SaysARoundFailedOnlyOnceEveryNodeWasTriedSinceTheRoundBegan) {
  std::mt19937_64 random(1);
  ServerList list(kNodes, config::ServerOrder::kListed, random);
  list.advance();  // lost a: the round starts at b
  list.begin_round();
  EXPECT_FALSE(list.advance());  // b failed, c next
  EXPECT_FALSE(list.advance());  // c failed, a next
  EXPECT_TRUE(list.advance());   // a failed: back at b, every node tried
  EXPECT_EQ(list.current(), "mqtt://b:1883");
}

TEST(AServerList, WithOneNodeFailsARoundAtEveryFailure) {
  std::mt19937_64 random(1);
  ServerList list({"mqtt://a:1883"}, config::ServerOrder::kListed, random);
  EXPECT_TRUE(list.advance());
  EXPECT_TRUE(list.advance());
  EXPECT_EQ(list.current(), "mqtt://a:1883");
}

TEST(AServerList, ShuffledKeepsEveryNodeAndDependsOnlyOnTheSeed) {
  std::set<std::string> firsts;
  for (std::uint64_t seed = 0; seed < 30; ++seed) {
    std::mt19937_64 random(seed), again(seed);
    ServerList list(kNodes, config::ServerOrder::kShuffled, random);
    ServerList same(kNodes, config::ServerOrder::kShuffled, again);
    std::set<std::string> seen;
    for (std::size_t i = 0; i < kNodes.size(); ++i, list.advance(), same.advance()) {
      EXPECT_EQ(list.current(), same.current());
      seen.insert(list.current());
    }
    EXPECT_EQ(seen.size(), kNodes.size());
    firsts.insert(list.current());
  }
  EXPECT_EQ(firsts.size(), kNodes.size());  // boards with one config start on different nodes
}

}  // namespace
}  // namespace gpio2mqtt::service

#include "gpio/edge_order.h"

#include <gtest/gtest.h>

namespace gpio2mqtt::gpio {
namespace {

TEST(AnEdgeOrder, CountsNothingWhileTheEdgesAlternate) {
  EdgeOrder order;
  EXPECT_EQ(order.on_edge(true), 0u);
  EXPECT_EQ(order.on_edge(false), 0u);
  EXPECT_EQ(order.on_edge(true), 0u);
}

TEST(AnEdgeOrder, CountsOneLostEdgeBetweenTwoInTheSameDirection) {
  EdgeOrder order;
  order.on_edge(true);
  EXPECT_EQ(order.on_edge(true), 1u);  // a falling edge went missing between them
  EXPECT_EQ(order.on_edge(true), 1u);
  EXPECT_EQ(order.on_edge(false), 0u);
  EXPECT_EQ(order.on_edge(false), 1u);
}

TEST(AnEdgeOrder, CannotJudgeTheFirstEdge) {
  EdgeOrder order;
  EXPECT_EQ(order.on_edge(false), 0u);
  EdgeOrder unsettled;
  EXPECT_FALSE(unsettled.settle(true));  // no edge yet: the level was published at start
}

TEST(AnEdgeOrder, AsksForTheTrueLevelWhenTheLineEndsOtherThanItsLastEdge) {
  EdgeOrder order;
  order.on_edge(true);
  EXPECT_FALSE(order.settle(true));
  EXPECT_TRUE(order.settle(false));  // the falling edge was dropped at the queue's tail
  EXPECT_FALSE(order.settle(false));
  EXPECT_EQ(order.on_edge(true), 0u);  // follows the made-up level
}

TEST(AnEdgeOrder, DoesNotCountTheLateEventOfTheLevelItMadeUpAsALoss) {
  EdgeOrder order;
  order.on_edge(true);
  ASSERT_TRUE(order.settle(false));
  EXPECT_EQ(order.on_edge(false), 0u);  // the kernel queued it after the level was read
  EXPECT_EQ(order.on_edge(false), 1u);  // but a second one is a loss again
}

}  // namespace
}  // namespace gpio2mqtt::gpio

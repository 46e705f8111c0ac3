// The paho client's queue of messages waiting for room in its window.
#include "mqtt/held_queue.h"

#include <gtest/gtest.h>

namespace gpio2mqtt::mqtt {
namespace {

Message event(int n) { return {"pi/button/event", "{\"seq\":" + std::to_string(n) + "}", 1, false}; }
Message state(const std::string& line, const std::string& word) { return {"pi/" + line + "/state", word, 1, true}; }

std::vector<Message> drain(HeldQueue& queue) {
  std::vector<Message> out;
  while (!queue.empty()) {
    out.push_back(queue.front());
    queue.pop();
  }
  return out;
}

TEST(AHeldQueue, GivesMessagesBackInOrder) {
  HeldQueue queue(10);
  queue.push(state("button", "ON"));
  queue.push(event(1));
  queue.push(state("relay", "OFF"));
  EXPECT_EQ(drain(queue), (std::vector<Message>{state("button", "ON"), event(1), state("relay", "OFF")}));
}

TEST(AHeldQueue, SendsOnlyTheNewestWaitingStateOfALineButEveryEvent) {
  HeldQueue queue(10);
  queue.push(state("button", "ON"));
  queue.push(event(1));
  queue.push(state("button", "OFF"));
  queue.push(event(2));
  queue.push(state("relay", "ON"));
  EXPECT_EQ(queue.size(), 4u);
  EXPECT_EQ(drain(queue), (std::vector<Message>{event(1), state("button", "OFF"), event(2), state("relay", "ON")}));
}

TEST(AHeldQueue, KeepsAStateThatFollowsOneAlreadyGone) {
  HeldQueue queue(10);
  queue.push(state("button", "ON"));
  EXPECT_EQ(queue.front(), state("button", "ON"));
  queue.pop();
  queue.push(state("button", "OFF"));
  EXPECT_EQ(drain(queue), (std::vector<Message>{state("button", "OFF")}));
}

TEST(AHeldQueue, DropsTheOldestEventWhenFullButNeverTheNewestStateOfALine) {
  HeldQueue queue(3);
  EXPECT_FALSE(queue.push(state("button", "ON")));
  EXPECT_FALSE(queue.push(event(1)));
  EXPECT_FALSE(queue.push(state("button", "OFF")));  // supersedes the first: still 2 to go
  EXPECT_FALSE(queue.push(event(2)));
  EXPECT_TRUE(queue.push(event(3)));              // event 1 goes
  EXPECT_TRUE(queue.push(state("relay", "ON")));  // event 2 goes, not the button's state
  EXPECT_EQ(drain(queue), (std::vector<Message>{state("button", "OFF"), event(3), state("relay", "ON")}));
}

TEST(AHeldQueue, HandsEverythingStillMeantToGoOverAtOnce) {
  HeldQueue queue(10);
  queue.push(state("button", "ON"));
  queue.push(event(1));
  queue.push(state("button", "OFF"));
  EXPECT_EQ(queue.take_all(), (std::vector<Message>{event(1), state("button", "OFF")}));
  EXPECT_TRUE(queue.empty());
  queue.push(state("button", "ON"));
  EXPECT_EQ(drain(queue), (std::vector<Message>{state("button", "ON")}));
}

}  // namespace
}  // namespace gpio2mqtt::mqtt

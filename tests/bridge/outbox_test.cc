// The outbox and what it tells its store (mqtt.persistence), through a recording fake store.
#include "gpio2mqtt/bridge/outbox.h"

#include <gtest/gtest.h>

namespace gpio2mqtt::bridge {
namespace {

// Keeps what a file would hold, and counts the calls.
class RecordingStore : public OutboxStore {
 public:
  std::vector<Message> load() override { return stored; }
  void append(const Message& message) override {
    stored.push_back(message);
    ++appends;
  }
  void replace(const std::deque<Message>& queue) override {
    stored.assign(queue.begin(), queue.end());
    ++replaces;
  }
  std::vector<Message> stored;
  int appends = 0;
  int replaces = 0;
};

Message event(int n) { return {"pi/button/event", "{\"seq\":" + std::to_string(n) + "}", 1, false}; }

std::vector<Message> drain(Outbox& outbox) {
  std::vector<Message> out;
  while (!outbox.empty()) {
    out.push_back(outbox.front());
    outbox.pop();
  }
  return out;
}

TEST(AnOutbox, KeepsTheNewestInOrderAndCountsTheDropped) {
  Outbox outbox(3);
  for (int n = 1; n <= 5; ++n) outbox.push(event(n));
  EXPECT_EQ(outbox.dropped(), 2u);
  EXPECT_EQ(drain(outbox), (std::vector<Message>{event(3), event(4), event(5)}));
}

TEST(AnOutbox, AppendsEachQueuedMessageToItsStore) {
  RecordingStore store;
  Outbox outbox(10, &store);
  outbox.push(event(1));
  outbox.push(event(2));
  EXPECT_EQ(store.stored, (std::vector<Message>{event(1), event(2)}));
  EXPECT_EQ(store.replaces, 0);
}

TEST(AnOutbox, StartsWithWhatThePreviousRunLeftInItsStore) {
  RecordingStore store;
  store.stored = {event(1), event(2)};
  Outbox outbox(10, &store);
  EXPECT_EQ(outbox.restored(), 2u);
  outbox.push(event(3));
  EXPECT_EQ(drain(outbox), (std::vector<Message>{event(1), event(2), event(3)}));
}

TEST(AnOutbox, KeepsOnlyTheNewestOfALargerStoreAndRewritesIt) {
  RecordingStore store;
  store.stored = {event(1), event(2), event(3)};
  Outbox outbox(2, &store);
  EXPECT_EQ(outbox.dropped(), 1u);
  EXPECT_EQ(store.stored, (std::vector<Message>{event(2), event(3)}));
}

TEST(AnOutbox, EmptiesItsStoreOnceEverythingIsSentButNotBefore) {
  RecordingStore store;
  Outbox outbox(10, &store);
  outbox.push(event(1));
  outbox.push(event(2));
  outbox.pop();
  EXPECT_EQ(store.stored.size(), 2u);  // a run dying now sends event 1 again: allowed at QoS 1
  outbox.pop();
  EXPECT_TRUE(store.stored.empty());
}

TEST(AnOutbox, StoresWhatWentBackInFrontBeforeTheQueue) {
  RecordingStore store;
  Outbox outbox(10, &store);
  outbox.push(event(3));
  outbox.push_front({event(1), event(2)});
  EXPECT_EQ(store.stored, (std::vector<Message>{event(1), event(2), event(3)}));
}

TEST(AnOutbox, RewritesItsStoreWhenDroppedOnesMakeItTwiceTheLimit) {
  RecordingStore store;
  Outbox outbox(3, &store);
  for (int n = 1; n <= 6; ++n) outbox.push(event(n));
  EXPECT_EQ(store.replaces, 1);
  EXPECT_EQ(store.stored, (std::vector<Message>{event(4), event(5), event(6)}));
  outbox.push(event(7));
  EXPECT_EQ(store.stored.size(), 4u);  // event 4, dropped, waits there for the next rewrite
  EXPECT_EQ(drain(outbox), (std::vector<Message>{event(5), event(6), event(7)}));
}

}  // namespace
}  // namespace gpio2mqtt::bridge

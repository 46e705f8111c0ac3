// Flow control between the loop and paho: at most a window handed over, the rest held in order,
// what the broker never acknowledged given back, and every drop counted.
#include "mqtt/send_window.h"

#include <gtest/gtest.h>

#include "fake_paho.h"

namespace gpio2mqtt::mqtt {
namespace {

using testing::FakePaho;

Message event(int n, int qos = 1) { return {"pi/button/event", "{\"seq\":" + std::to_string(n) + "}", qos, false}; }

std::vector<Message> events(int from, int to, int qos = 1) {
  std::vector<Message> out;
  for (int n = from; n < to; ++n) out.push_back(event(n, qos));
  return out;
}

class ASendWindow : public ::testing::Test {
 protected:
  explicit ASendWindow(std::size_t buffer = 10'000) {
    config_.buffer = buffer;
    paho_ = std::make_unique<FakePaho>(
        5, PahoHandlers{.connected = [](const ConnectAttempt&, const std::string&) {},
                        .connect_failed = [](const ConnectAttempt&, int) {},
                        .connection_lost = [](const std::string&) {},
                        .disconnected = [](int) {},
                        .message = [](const std::string&, const std::string&, bool) {},
                        .delivered = [this](bool ok, bool acked) { window_->on_delivered(ok, acked); }});
    window_ = std::make_unique<SendWindow>(
        config_, paho_, version_, [this] { ++wakes_; }, [this](Event event) { reported_.push_back(event); });
    paho().accept_connect();
  }
  FakePaho& paho() { return static_cast<FakePaho&>(*paho_); }
  void publish_all(const std::vector<Message>& messages) {
    for (const auto& message : messages) ASSERT_TRUE(window_->publish(message));
  }

  config::MqttConfig config_;
  std::unique_ptr<PahoApi> paho_;
  std::atomic<int> version_{5};
  int wakes_ = 0;
  std::vector<Event> reported_;
  std::unique_ptr<SendWindow> window_;
};

class ASendWindowWithABufferOfTwo : public ASendWindow {
 protected:
  ASendWindowWithABufferOfTwo() : ASendWindow(2) {}
};

TEST_F(ASendWindow, HandsAWindowToPahoAndTheRestAsAcknowledgementsMakeRoom) {
  publish_all(events(0, 40));
  EXPECT_EQ(paho().published.size(), SendWindow::kWindow);
  paho().acknowledge(8);
  window_->catch_up();
  EXPECT_EQ(paho().messages(), events(0, 40));
  EXPECT_EQ(paho().incomplete(), SendWindow::kWindow);
}

TEST_F(ASendWindow, WakesTheLoopForAcknowledgementsOnlyWhileItHoldsMessagesBack) {
  publish_all(events(0, 1));
  paho().acknowledge();
  EXPECT_EQ(wakes_, 0);
  publish_all(events(1, 1 + SendWindow::kWindow + 1));
  paho().acknowledge(SendWindow::kWindow - SendWindow::kRefillAt);
  EXPECT_EQ(wakes_, 1);
}

TEST_F(ASendWindow, WakesTheLoopOnceHalfTheWindowIsAcknowledgedAndHandsOverTheRestTogether) {
  publish_all(events(0, 100));
  paho().acknowledge(SendWindow::kWindow - SendWindow::kRefillAt - 1);
  EXPECT_EQ(wakes_, 0);
  paho().acknowledge(1);
  EXPECT_EQ(wakes_, 1);
  window_->catch_up();
  EXPECT_EQ(paho().published.size(), 2 * SendWindow::kWindow - SendWindow::kRefillAt);
  EXPECT_EQ(paho().incomplete(), SendWindow::kWindow);
}

TEST_F(ASendWindow, HandsOverEverythingHeldAfterABurstWhenWokenAlone) {
  publish_all(events(0, 200));
  int handled = 0;
  while (paho().incomplete() > 0) {
    paho().acknowledge(1);   // the broker's PUBACKs, one at a time
    if (wakes_ > handled) {  // the loop runs only when woken: no edge comes to pump for it
      handled = wakes_;
      window_->catch_up();
    }
  }
  EXPECT_EQ(paho().messages(), events(0, 200));
  EXPECT_LE(wakes_, 2 * 200 / static_cast<int>(SendWindow::kWindow - SendWindow::kRefillAt));
}

TEST_F(ASendWindow, WakesTheLoopForEachQos0WriteEvenWhenPahoLostSomeCompletions) {
  publish_all(events(0, SendWindow::kWindow + 5, 0));
  for (std::size_t i = 0; i < SendWindow::kRefillAt + 4; ++i)
    paho().published[i].token->finish();  // paho.mqtt.c #1667: no completion reported for these
  paho().acknowledge();                   // the rest are written and say so
  EXPECT_GE(wakes_, 1);
  window_->catch_up();
  EXPECT_EQ(paho().messages(), events(0, SendWindow::kWindow + 5, 0));
}

TEST_F(ASendWindow, CountsWhatIsInFlightAgainFromTheTokensWhenItHandsOverMore) {
  publish_all(events(0, 100));
  for (std::size_t i = 0; i < SendWindow::kWindow - SendWindow::kRefillAt; ++i)
    paho().published[i].token->finish();  // acknowledged, but paho never said so
  EXPECT_EQ(wakes_, 0);
  publish_all(events(100, 101));  // the next edge finds the room and hands over
  paho().acknowledge(SendWindow::kWindow - SendWindow::kRefillAt);
  EXPECT_EQ(wakes_, 1);  // counted from the tokens: not kRefillAt acknowledgements late
}

TEST_F(ASendWindow, CountsOnlyTheNewConnectionsMessagesAfterAReconnect) {
  publish_all(events(0, 40));
  paho().lose_connection();  // the 32 in flight never complete on this connection
  auto again = window_->take_unacknowledged();
  paho().accept_connect();
  publish_all(again);
  paho().acknowledge(SendWindow::kWindow - SendWindow::kRefillAt);
  EXPECT_EQ(wakes_, 1);
}

TEST_F(ASendWindow, GivesBackWhatTheBrokerDidNotAcknowledgeThenWhatItHeldOldestFirst) {
  publish_all(events(0, 40));
  paho().acknowledge(5);
  paho().lose_connection();
  EXPECT_EQ(window_->take_unacknowledged(), events(5, 40));
  EXPECT_EQ(window_->dropped(), 0u);
}

TEST_F(ASendWindow, HoldsWhatComesAfterALossTheLoopHasNotHeardOfAndGivesItBackInOrder) {
  publish_all(events(0, 40));
  paho().acknowledge(5);
  paho().lose_connection();
  publish_all(events(40, 42));
  EXPECT_EQ(paho().published.size(), SendWindow::kWindow);  // nothing handed to a lost connection
  EXPECT_EQ(window_->take_unacknowledged(), events(5, 42));
}

TEST_F(ASendWindow, RefusesAMessageWhenPahoDoes) {
  paho().lose_connection();
  EXPECT_FALSE(window_->publish(event(1)));
}

TEST_F(ASendWindow, DropsQos0MessagesNotWrittenWhenTheConnectionWentAndCountsThem) {
  publish_all(events(0, 3, 0));
  paho().acknowledge(1);
  paho().lose_connection();
  EXPECT_TRUE(window_->take_unacknowledged().empty());  // at most once: never sent again
  EXPECT_EQ(window_->dropped(), 2u);
}

TEST_F(ASendWindow, TakesALaterQos0WriteForTheEarlierOnesWhoseCompletionPahoLost) {
  publish_all(events(0, 3, 0));
  paho().published[2].token->finish();  // paho.mqtt.c #1667: the first two never complete
  paho().lose_connection();
  window_->take_unacknowledged();
  EXPECT_EQ(window_->dropped(), 0u);
}

TEST_F(ASendWindowWithABufferOfTwo, DropsTheOldestHeldEventBeyondMqttBufferAndCountsIt) {
  publish_all(events(0, SendWindow::kWindow + 3));
  EXPECT_EQ(window_->dropped(), 1u);
  paho().acknowledge();
  window_->catch_up();
  auto expected = events(0, SendWindow::kWindow);
  expected.push_back(event(SendWindow::kWindow + 1));
  expected.push_back(event(SendWindow::kWindow + 2));
  EXPECT_EQ(paho().messages(), expected);
}

TEST_F(ASendWindow, ReportsAPublishTheBrokerRefusedAndNeverSendsItAgain) {
  publish_all(events(0, 2));
  paho().refuse_publish(0, 135);
  window_->catch_up();
  ASSERT_EQ(reported_.size(), 1u);
  EXPECT_EQ(reported_[0].kind, Event::Kind::kPublishRefused);
  EXPECT_EQ(reported_[0].topic, "pi/button/event");
  EXPECT_NE(reported_[0].text.find("not authorised"), std::string::npos) << reported_[0].text;
  paho().lose_connection();
  EXPECT_EQ(window_->take_unacknowledged(), events(1, 2));
}

TEST_F(ASendWindow, DrainsWhatItHeldAsTheBrokerAcknowledges) {
  paho().acknowledges_while_waited_for = true;
  publish_all(events(0, 40));
  window_->drain(std::chrono::steady_clock::now() + std::chrono::seconds(1));
  EXPECT_EQ(paho().messages(), events(0, 40));
}

TEST_F(ASendWindow, StopsDrainingWhenNothingIsAcknowledgedInTime) {
  publish_all(events(0, 40));
  window_->drain(std::chrono::steady_clock::now() + std::chrono::milliseconds(10));
  EXPECT_EQ(paho().published.size(), SendWindow::kWindow);
  paho().lose_connection();
  EXPECT_EQ(window_->take_unacknowledged(), events(0, 40));
}

}  // namespace
}  // namespace gpio2mqtt::mqtt

// The MQTT client over a fake paho: connection events for the loop, why a connect failed, the
// fall back to 3.1.1, what it reads, and a clean stop.
#include "mqtt/paho_client.h"

#include <gtest/gtest.h>

#include "fake_paho.h"
#include "mqtt/send_window.h"
#include "process.h"

namespace gpio2mqtt::mqtt {
namespace {

const std::string kServer = "mqtt://127.0.0.1:1883";  // the fake connects nowhere

using testing::FakePaho;
using testing::FakePahoFactory;

constexpr std::size_t kPayloadCap = 256;

Message event(int n) { return {"pi/button/event", "{\"seq\":" + std::to_string(n) + "}", 1, false}; }

class APahoClient : public ::testing::Test {
 protected:
  void make(config::MqttConfig config = {}) {
    config.client_id = "gpio2mqtt-test";
    client_ = make_paho_client(config, kPayloadCap, pahos_.factory());
  }
  void connect() {
    client_->connect(kServer);
    paho().accept_connect();
    ASSERT_EQ(kinds(), std::vector<Event::Kind>{Event::Kind::kConnected});
  }
  FakePaho& paho() { return pahos_.last(); }
  std::vector<Event::Kind> kinds() {
    std::vector<Event::Kind> out;
    for (const auto& event : client_->take_events()) out.push_back(event.kind);
    return out;
  }
  std::string only_text() {
    auto events = client_->take_events();
    if (events.size() != 1) return "events: " + std::to_string(events.size());
    return events[0].text;
  }

  FakePahoFactory pahos_;
  std::unique_ptr<Client> client_;
};

TEST_F(APahoClient, ReportsTheEndOfAConnectionOnceWhoeverEndsIt) {
  make();
  connect();
  paho().send_disconnect(0x8E);  // session taken over; paho 1.3.14 adds no connection lost
  paho().lose_connection();
  auto events = client_->take_events();
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].kind, Event::Kind::kConnectionLost);
  EXPECT_TRUE(events[0].taken_over);
  EXPECT_NE(events[0].text.find("gpio2mqtt-test"), std::string::npos) << events[0].text;
  paho().accept_connect("automatic reconnect");
  paho().lose_connection();
  EXPECT_EQ(kinds(), (std::vector<Event::Kind>{Event::Kind::kConnected, Event::Kind::kConnectionLost}));
}

TEST_F(APahoClient, NamesTheBrokersRefusalAndHowToFixIt) {
  config::MqttConfig config;
  config.version = 4;
  make(config);
  client_->connect(kServer);
  paho().refuse_connect(5);
  EXPECT_EQ(only_text(),
            "the broker refused the connection: not authorised (CONNACK code 5); the broker wants a login: set "
            "mqtt.username and mqtt.password_file (or allow anonymous clients)");
}

TEST_F(APahoClient, FallsBackToMqtt311WhenAutoAndTheBrokerRefuses5) {
  config::MqttConfig config;
  config.version = config::kAutoVersion;
  make(config);
  EXPECT_EQ(paho().version, 5);
  client_->connect(kServer);
  paho().refuse_connect(132);
  EXPECT_NE(only_text().find("trying MQTT 3.1.1 next"), std::string::npos);
  client_->connect(kServer);
  ASSERT_EQ(pahos_.made(), 2u);
  EXPECT_EQ(paho().version, 4);
  EXPECT_EQ(paho().connects, 1);
}

TEST_F(APahoClient, AsksTheNetworkWhatPahoCannotSayBeforeTheBrokerAnswers) {
  config::MqttConfig config;
  int port = testing::free_port();  // nothing listens there
  config.server = "mqtt://127.0.0.1:" + std::to_string(port);
  make(config);
  client_->connect(config.server);
  paho().refuse_connect(-1);
  EXPECT_EQ(only_text(), "connection refused by 127.0.0.1 port " + std::to_string(port) +
                             " (no broker listens there; check mqtt.server)");
}

// Failover under load (seen with ASan): the connection to node A ended, the client tried node B,
// and only then did paho's thread report a failure of an earlier connect to A. Taken for B's, it
// sent the supervisor back to A, and B's success was then logged and shown as A's.
TEST_F(APahoClient, IgnoresALateFailureOfAnEarlierAttemptAndNamesTheNodeThatAnswered) {
  const std::string node_a = "mqtt://127.0.0.1:1883", node_b = "mqtt://127.0.0.1:1884";
  make();
  client_->connect(node_a);
  paho().accept_connect();
  ASSERT_EQ(kinds(), std::vector<Event::Kind>{Event::Kind::kConnected});
  paho().lose_connection();
  client_->connect(node_b);
  paho().refuse_connect_of(0, -1);  // attempt 1's, late
  paho().accept_connect_of(1);
  auto events = client_->take_events();
  ASSERT_EQ(events.size(), 2u);
  EXPECT_EQ(events[0].kind, Event::Kind::kConnectionLost);
  EXPECT_EQ(events[1].kind, Event::Kind::kConnected);
  EXPECT_EQ(events[1].server, node_b);
}

// An attempt that answers after the next one started: the connection is to its node, and the
// later attempt's failure (paho gives up on it) is no loss of that connection.
TEST_F(APahoClient, NamesTheNodeOfAnEarlierAttemptThatAnsweredLateAndIgnoresLaterFailures) {
  const std::string node_a = "mqtt://127.0.0.1:1883", node_b = "mqtt://127.0.0.1:1884";
  make();
  client_->connect(node_a);
  client_->connect(node_b);  // e.g. the supervisor's timer, before A answered
  paho().accept_connect_of(0);
  paho().refuse_connect_of(1, -1);
  auto events = client_->take_events();
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].kind, Event::Kind::kConnected);
  EXPECT_EQ(events[0].server, node_a);
}

TEST_F(APahoClient, ReportsTheLatestAttemptsFailureForItsNode) {
  const std::string node_b = "mqtt://127.0.0.1:1884";
  config::MqttConfig config;
  config.version = 4;
  make(config);
  client_->connect(kServer);
  paho().refuse_connect(5);
  client_->connect(node_b);
  paho().refuse_connect(5);
  auto events = client_->take_events();
  ASSERT_EQ(events.size(), 2u);
  EXPECT_EQ(events[0].server, kServer);
  EXPECT_EQ(events[1].server, node_b);
}

TEST_F(APahoClient, SubscribesToCommandsWithoutRetainedReplayAndReadsBackWithIt) {
  make();
  connect();
  client_->subscribe({"pi/+/set"}, 1);
  client_->subscribe_retained({"homeassistant/device/pi/config"}, 1, 4096);
  ASSERT_EQ(paho().subscribed.size(), 2u);
  EXPECT_FALSE(paho().subscribed[0].replay_retained);
  EXPECT_TRUE(paho().subscribed[1].replay_retained);
}

TEST_F(APahoClient, CutsWhatItReadsJustOverTheCapOfItsTopic) {
  make();
  connect();
  client_->subscribe_retained({"homeassistant/device/pi/config"}, 1, 4096);
  paho().deliver("pi/relay/set", std::string(10'000, 'x'));
  paho().deliver("homeassistant/device/pi/config", std::string(10'000, 'x'), true);
  auto events = client_->take_events();
  ASSERT_EQ(events.size(), 2u);
  EXPECT_EQ(events[0].payload.size(), kPayloadCap + 1);
  EXPECT_EQ(events[1].payload.size(), 4097u);
  EXPECT_TRUE(events[1].retained);
}

TEST_F(APahoClient, KeepsAtMostAThousandReceivedMessagesWaitingForTheLoop) {
  make();
  connect();
  for (int i = 0; i < 1'200; ++i) paho().deliver("pi/relay/set", "ON");
  paho().lose_connection();  // connection events are always kept
  auto events = client_->take_events();
  ASSERT_EQ(events.size(), 1'001u);
  EXPECT_EQ(events.back().kind, Event::Kind::kConnectionLost);
}

TEST_F(APahoClient, StopsWithWhatItHeldThenTheOffStatusThenADisconnect) {
  make();
  connect();
  paho().acknowledges_while_waited_for = true;
  for (int n = 0; n < 40; ++n) ASSERT_TRUE(client_->publish(event(n)));
  Message off{"pi/status", "{\"status\":\"Off\"}", 1, true};
  client_->shutdown(off, std::chrono::seconds(1));
  auto sent = paho().messages();
  ASSERT_EQ(sent.size(), 41u);
  EXPECT_EQ(sent[39], event(39));
  EXPECT_EQ(sent[40], off);
  EXPECT_EQ(paho().disconnects, 1);
  EXPECT_TRUE(client_->take_unacknowledged().empty());
}

TEST_F(APahoClient, GivesBackAfterAStopWhatTheBrokerNeverAcknowledged) {
  make();
  connect();
  for (int n = 0; n < 40; ++n) ASSERT_TRUE(client_->publish(event(n)));
  client_->shutdown(std::nullopt, std::chrono::milliseconds(20));
  EXPECT_EQ(paho().published.size(), SendWindow::kWindow);  // paho never holds more than the window
  EXPECT_EQ(client_->take_unacknowledged().size(), 40u);
  EXPECT_EQ(client_->messages_dropped(), 0u);
}

TEST_F(APahoClient, CountsTheMessagesItDropped) {
  make();
  connect();
  ASSERT_TRUE(client_->publish({"pi/button/event", "{}", 0, false}));
  paho().lose_connection();
  client_->take_unacknowledged();
  EXPECT_EQ(client_->messages_dropped(), 1u);
}

}  // namespace
}  // namespace gpio2mqtt::mqtt

// The service with a list of broker nodes (mqtt.server as a list), in-process: which node it tries
// and when, that everything it promises holds when it moves to another node, the start delay and
// the republishing. A recording client, a clock moved by the test, a seeded random source.
#include <gtest/gtest.h>

#include <regex>
#include <set>

#include "payloads.h"
#include "service_fixture.h"

namespace gpio2mqtt::service {
namespace {

using namespace std::chrono_literals;
using testing::kOn;

constexpr unsigned kGpio27 = 2;  // the relay's offset on the chip below
const std::string kA = "mqtt://127.0.0.1:1883", kB = "mqtt://127.0.0.2:1883", kC = "mqtt://127.0.0.3:1883";

std::string config(const std::string& mqtt_keys) {
  return R"(mqtt:
  server: [mqtt://127.0.0.1:1883, mqtt://127.0.0.2, mqtt://127.0.0.3:1883]
  client_id: fleet
  base_topic: pi
)" + mqtt_keys +
         R"(dbus: off
chips:
  main: {path: /dev/gpiochip-fleet}
lines:
  button: {chip: main, line: GPIO22}
  relay: {chip: main, line: GPIO27, direction: output, initial: off, on_disconnect: off}
)";
}

std::string seq_of(const std::string& payload) {
  static const std::regex pattern(R"re("seq":(\d+))re");
  std::smatch match;
  return std::regex_search(payload, match, pattern) ? match[1].str() : "unparsed: " + payload;
}

class AServiceWithThreeNodes : public InProcessService {
 protected:
  AServiceWithThreeNodes()
      : InProcessService("gpiochip-fleet", {"GPIO17", "GPIO22", "GPIO27"}, {{"GPIO27", "GPIO22"}}, Time::kManual) {}

  void start(const std::string& mqtt_keys = "") {
    make(config(mqtt_keys));
    service_->start();
    settle();
  }
  void fail() {
    client().fail_connect();
    settle();
  }
  const std::string& last_node() { return client().connected_to.back(); }
};

TEST_F(AServiceWithThreeNodes, ConnectsToTheFirstListedNodeAndShowsItWhileConnected) {
  start();
  EXPECT_EQ(client().connected_to, std::vector<std::string>{kA});
  EXPECT_EQ(service_->server(), "");
  EXPECT_EQ(service_->broker(), kA + ", " + kB + ", " + kC);
  connect();
  EXPECT_EQ(service_->server(), kA);
}

// paho can answer an attempt after the next one started: the node that answered is the one the
// daemon is on (shown, and moved on from after a loss), not the one it tried last.
TEST_F(AServiceWithThreeNodes, AdoptsTheNodeThatAnsweredAnEarlierAttempt) {
  start();
  connect();
  client().drop_connection();
  settle();
  fail();  // b, then c
  ASSERT_EQ(last_node(), kC);
  client().complete_connect("session present: no", kB);
  settle();
  EXPECT_EQ(service_->server(), kB);
  client().drop_connection();
  settle();
  EXPECT_EQ(last_node(), kC);  // the one after b
}

TEST_F(AServiceWithThreeNodes, FailsOverToTheNextNodeAtOnceAndBacksOffOnlyAfterEveryNodeFailed) {
  start("  reconnect_jitter: off\n");
  connect();
  client().drop_connection();
  settle();
  EXPECT_EQ(client().connected_to, (std::vector<std::string>{kA, kB}));  // at once, no time passed
  fail();
  fail();  // c, then a: each at once
  EXPECT_EQ(client().connected_to, (std::vector<std::string>{kA, kB, kC, kA}));
  fail();  // every node failed once since the loss: the backoff
  EXPECT_EQ(time_to_next_connect(), Nanos(1s));
  EXPECT_EQ(last_node(), kB);
  fail();
  fail();
  fail();  // b, c, a: the next round failed too
  EXPECT_EQ(time_to_next_connect(), Nanos(2s));
  connect();
  EXPECT_EQ(service_->server(), kB);
  client().drop_connection();
  settle();
  EXPECT_EQ(last_node(), kC);
}

TEST_F(AServiceWithThreeNodes, TriesTheSameNodeAgainAtOnceWhenTheClientFallsBackToMqtt311) {
  start();
  client().fail_connect("the broker closed the connection without answering MQTT 5", true);
  settle();
  EXPECT_EQ(client().connected_to, (std::vector<std::string>{kA, kA}));
  fail();
  EXPECT_EQ(last_node(), kB);
}

TEST_F(AServiceWithThreeNodes, DrawsTheBackoffBetweenZeroAndItsCeilingWithJitter) {
  start();
  std::vector<Nanos> waits;
  for (int round = 0; round < 4; ++round) {
    fail();
    fail();
    fail();
    waits.push_back(time_to_next_connect());
  }
  for (std::size_t i = 0; i < waits.size(); ++i) EXPECT_LE(waits[i], Nanos(1s) * (1 << i)) << i;
  EXPECT_NE(waits, (std::vector<Nanos>{1s, 2s, 4s, 8s}));
}

TEST_F(AServiceWithThreeNodes, KeepsEveryPromiseOnTheNodeItFailsOverTo) {
  start();
  connect();
  client().acknowledges = false;
  ASSERT_FALSE(service_->set_line("relay", true));  // button event 1, never acknowledged by a
  settle();
  client().drop_connection();  // the relay to its on_disconnect level: event 2, queued
  settle();
  EXPECT_FALSE(chip_.physical_level(kGpio27));
  ASSERT_FALSE(service_->set_line("relay", true));  // event 3, queued
  settle();
  client().acknowledges = true;
  std::size_t from = client().published.size();
  std::size_t subscriptions = client().subscribed.size();
  connect();  // on b
  EXPECT_EQ(last_node(), kB);
  EXPECT_EQ(client().published.at(from), (Message{"pi/status", kOn, 1, true}));
  std::vector<std::string> seqs;
  for (const auto& payload : client().payloads_on("pi/button/event", from)) seqs.push_back(seq_of(payload));
  EXPECT_EQ(seqs, (std::vector<std::string>{"1", "2", "3"}));
  EXPECT_EQ(client().payloads_on("pi/relay/state", from), std::vector<std::string>{"ON"});
  ASSERT_EQ(client().subscribed.size(), subscriptions + 1);
  EXPECT_EQ(client().subscribed.back().topics, client().subscribed.front().topics);
  client().deliver("pi/relay/set", "OFF");
  settle();
  EXPECT_FALSE(chip_.physical_level(kGpio27));
}

TEST_F(AServiceWithThreeNodes, SubscribesAtTheSubscribeQos) {
  start("  subscribe_qos: 0\n");
  connect();
  ASSERT_EQ(client().subscribed.size(), 1u);
  EXPECT_EQ(client().subscribed[0].qos, 0);
  EXPECT_EQ(client().subscribed_retained.at(0).qos, 0);
}

TEST_F(AServiceWithThreeNodes, WaitsARandomPartOfTheStartDelayBeforeItsFirstConnect) {
  start("  start_delay: 20s\n");
  EXPECT_EQ(client().connects, 0);
  Nanos waited = time_to_next_connect();
  EXPECT_LE(waited, Nanos(20s));
  EXPECT_GT(waited, Nanos(0));
  EXPECT_EQ(last_node(), kA);
  connect();
  client().drop_connection();  // only the first connect waits
  settle();
  EXPECT_EQ(client().connects, 2);
}

TEST_F(AServiceWithThreeNodes, StartsFromNodesThatDependOnItsRandomSeedWhenShuffled) {
  std::set<std::string> firsts;
  for (random_seed_ = 0; random_seed_ < 12; ++random_seed_) {
    start("  server_order: shuffled\n");
    firsts.insert(client().connected_to.front());
    service_.reset();
    lines_.reset();
  }
  EXPECT_EQ(firsts, (std::set<std::string>{kA, kB, kC}));
}

TEST_F(AServiceWithThreeNodes, RepublishesItsStatusAndStatesEveryIntervalWhileConnected) {
  start("  republish: 30s\n");
  connect();
  std::size_t from = client().published.size();
  advance(29s);
  EXPECT_EQ(client().published.size(), from);
  advance(1s);
  EXPECT_EQ(client().payloads_on("pi/status", from), std::vector<std::string>{kOn});
  EXPECT_EQ(client().payloads_on("pi/button/state", from), std::vector<std::string>{"OFF"});
  EXPECT_EQ(client().payloads_on("pi/relay/state", from), std::vector<std::string>{"OFF"});
  client().drop_connection();
  settle();
  from = client().published.size();
  advance(60s);
  EXPECT_EQ(client().payloads_on("pi/status", from), std::vector<std::string>{});
}

}  // namespace
}  // namespace gpio2mqtt::service

// The mqtt keys for many boards on a clustered broker: a list of nodes, their order, the start
// delay, the jitter and republishing.
#include <gtest/gtest.h>

#include "config_errors.h"
#include "gpio2mqtt/config/loader.h"

namespace gpio2mqtt::config {
namespace {

using namespace std::chrono_literals;

const std::string kRest = "chips:\n  main: {simulated: {lines: [A]}}\nlines: {}\n";

Config parse(const std::string& mqtt) { return parse_config("mqtt:\n" + mqtt + kRest, "t.yaml", "pi"); }
std::string error_of(const std::string& mqtt) { return testing::config_error_of("mqtt:\n" + mqtt + kRest); }

TEST(TheFleetKeys, AreOffOrSmallByDefaultSoThatOneBoardReconnectsAtOnce) {
  Config c = parse("  server: mqtt://broker\n");
  EXPECT_EQ(c.mqtt.servers, std::vector<std::string>{"mqtt://broker:1883"});
  EXPECT_EQ(c.mqtt.server, "mqtt://broker:1883");
  EXPECT_EQ(c.mqtt.server_order, ServerOrder::kListed);
  EXPECT_EQ(c.mqtt.start_delay, 0ms);
  EXPECT_TRUE(c.mqtt.reconnect_jitter);
  EXPECT_EQ(c.mqtt.republish, 0s);
  EXPECT_EQ(c.mqtt.subscribe_qos, c.mqtt.qos);
}

TEST(TheFleetKeys, SubscribeAtTheirOwnQosWhenToldSoAndAtTheEventsOtherwise) {
  EXPECT_EQ(parse("  qos: 2\n").mqtt.subscribe_qos, 2);
  EXPECT_EQ(parse("  qos: 1\n  subscribe_qos: 0\n").mqtt.subscribe_qos, 0);
  EXPECT_EQ(parse("  subscribe_qos: 0\n").mqtt.qos, 1);
}

TEST(TheFleetKeys, TakeAListOfNodesEachCompletedAsASingleServerIs) {
  Config c = parse(
      "  server: [mqtt://node1, 'tcp://node2:1884', 'mqtt://[::1]']\n  server_order: shuffled\n"
      "  start_delay: 30s\n  reconnect_jitter: off\n  republish: 5m\n");
  EXPECT_EQ(c.mqtt.servers, (std::vector<std::string>{"mqtt://node1:1883", "tcp://node2:1884", "mqtt://[::1]:1883"}));
  EXPECT_EQ(c.mqtt.server, "mqtt://node1:1883");
  EXPECT_EQ(c.mqtt.server_order, ServerOrder::kShuffled);
  EXPECT_EQ(c.mqtt.start_delay, 30s);
  EXPECT_FALSE(c.mqtt.reconnect_jitter);
  EXPECT_EQ(c.mqtt.republish, 300s);
}

TEST(TheFleetKeys, CallALocalBrokerLocalOnlyWhenEveryNodeIsLocal) {
  EXPECT_TRUE(parse("  server: [mqtt://127.0.0.1:1, mqtt://localhost:2]\n").mqtt.broker_is_local("pi"));
  EXPECT_FALSE(parse("  server: [mqtt://127.0.0.1:1, mqtt://broker:2]\n").mqtt.broker_is_local("pi"));
}

TEST(TheFleetKeys, RefuseWhatCannotWorkWithItsPlace) {
  EXPECT_EQ(error_of("  server: []\n"), "2:11: mqtt.server: expected a URI or a list of URIs, got an empty list");
  EXPECT_EQ(error_of("  server: [mqtt://a, 'mqtt://a:1883']\n"), "2:22: mqtt.server: mqtt://a:1883 is listed twice");
  EXPECT_EQ(error_of("  server: [mqtt://a, mqtts://b]\n"),
            "2:22: mqtt.server: mqtts://b:8883 and mqtt://a:1883 differ in TLS; list all with TLS or none");
  EXPECT_EQ(error_of("  server: [mqtt://a, http://b]\n"),
            "2:22: mqtt.server: unknown scheme 'http'; expected mqtt, mqtts, tcp, ssl, ws or wss");
  EXPECT_EQ(error_of("  server_order: random\n"), "2:17: mqtt.server_order: 'random' is not one of listed | shuffled");
  EXPECT_EQ(error_of("  start_delay: 2h\n"), "2:16: mqtt.start_delay: expected 0 to 1h");
  EXPECT_EQ(error_of("  republish: 500ms\n"), "2:14: mqtt.republish: expected 0 (off) or 1s to 24h");
}

}  // namespace
}  // namespace gpio2mqtt::config

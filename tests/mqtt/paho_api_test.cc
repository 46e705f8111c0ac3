// The paho client itself (paho_api.cc) against a real mosquitto: what it does when the broker goes
// before the loop has heard of it. The send window and the bridge build on that answer.
#include "mqtt/paho_api.h"

#include <gtest/gtest.h>

#include <atomic>

#include "mosquitto.h"
#include "process.h"

namespace gpio2mqtt::mqtt {
namespace {

using namespace std::chrono_literals;
using testing::eventually;

TEST(APahoConnection, RefusesAPublishOnceTheBrokerIsGoneInsteadOfKeepingItForTheNextConnection) {
  if (!testing::Mosquitto::available()) GTEST_SKIP() << "needs mosquitto";
  testing::Mosquitto broker(testing::make_temp_dir("paho-api"));
  config::MqttConfig config;
  config.server = broker.url();
  config.servers = {broker.url()};
  config.client_id = "paho-api-test";
  config.status.topic = "paho-api/status";  // the last will
  std::atomic<bool> connected{false}, lost{false};
  auto paho =
      make_paho_api(config, 5, 100,
                    PahoHandlers{.connected = [&](const ConnectAttempt&, const std::string&) { connected = true; },
                                 .connect_failed = [](const ConnectAttempt&, int) {},
                                 .connection_lost = [&](const std::string&) { lost = true; },
                                 .disconnected = [](int) {},
                                 .message = [](const std::string&, const std::string&, bool) {},
                                 .delivered = [](bool, bool) {}});
  paho->connect({broker.url(), 1});
  ASSERT_TRUE(eventually([&] { return connected.load(); }, 10s));
  Message message{"paho-api/event", "1", 1, false};
  ASSERT_TRUE(paho->publish(message)->wait_for(5s));

  broker.kill();
  ASSERT_TRUE(eventually([&] { return lost.load(); }, 10s));
  // Taken now, paho would send it after the next connect, while the bridge sends it again from
  // its outbox, where the window puts whatever paho had not finished.
  EXPECT_THROW(paho->publish(message), PahoError);
}

}  // namespace
}  // namespace gpio2mqtt::mqtt

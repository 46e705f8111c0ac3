// The matrix of clients x brokers x features: clients and a broker nobody on the project wrote
// (python3-paho-mqtt in the tutorials' style, MQTT.js at MQTT 5 and 3.1.1 over TCP and
// WebSockets, mosquitto and aedes) against the real daemon. Every cell checks the status and its
// will, set/state/get, a retained command, reconnecting after the broker restarts, a clean stop.
#include "real_clients.h"

#include <gtest/gtest.h>
#include <signal.h>

#include <functional>

#include "daemon_fixture.h"

namespace gpio2mqtt::testing {
namespace {

using namespace std::chrono_literals;

std::size_t count(const std::string& text, const std::string& needle) {
  std::size_t n = 0;
  for (auto at = text.find(needle); at != std::string::npos; at = text.find(needle, at + 1)) ++n;
  return n;
}

class RealClients : public BrokerAndDaemon {
 protected:
  RealClients() : BrokerAndDaemon("gpio2mqtt-clients", "raspberry") {}
  // The daemon goes first, then the client, then the brokers.
  ~RealClients() override {
    daemon_.reset();
    client_.reset();
    broker_.reset();
    aedes_.reset();
  }
  void SetUp() override {
    if (auto missing = missing_real_clients(); !missing.empty()) {
      if (real_clients_required()) FAIL() << missing;
      GTEST_SKIP() << missing;
    }
    BrokerAndDaemon::SetUp();
  }
  void TearDown() override {
    BrokerAndDaemon::TearDown();
    if (HasFailure() && client_) std::cerr << "--- " << client_->name() << " log ---\n" << client_->log() << "---\n";
  }

  // mosquitto with a WebSockets listener besides its MQTT one.
  void start_mosquitto() {
    ws_port_ = free_port();
    start_broker("listener " + std::to_string(ws_port_) + " 127.0.0.1\nprotocol websockets\nallow_anonymous true\n");
    restart_broker_ = [this] {
      broker_->kill();
      broker_->start();
    };
  }
  std::string ws_url() const { return "ws://127.0.0.1:" + std::to_string(ws_port_); }
  void start_aedes() {
    aedes_ = std::make_unique<Aedes>(dir_);
    restart_broker_ = [this] {
      aedes_->kill();
      aedes_->start();
    };
  }
  // Stops the daemon if it runs, and starts it on the demo config against `url`.
  void start_daemon_at(const std::string& url, const std::string& version) {
    daemon_.reset();
    start_daemon(demo_config(url, "60s", version));
  }

  // The cell: `client_` drives the daemon (already configured by `daemon_url`, `version`).
  void exercise(const std::string& daemon_url, const std::string& version) {
    auto& c = *client_;
    ASSERT_TRUE(c.connected(1));
    ASSERT_TRUE(c.subscribe("raspberry/#"));
    start_daemon_at(daemon_url, version);
    ASSERT_TRUE(c.wait_for("raspberry/status", kOn)) << "status On";
    ASSERT_TRUE(c.wait_for("raspberry/relay/state", "OFF")) << "the relay's first state";

    std::size_t from = c.size();  // set, state, and the wired input following the relay
    ASSERT_TRUE(c.publish("raspberry/relay/set", "ON"));
    ASSERT_TRUE(c.wait_for("raspberry/relay/state", "ON", from)) << "set ON";
    ASSERT_TRUE(c.wait_for("raspberry/button/state", "ON", from)) << "the wired input";
    from = c.size();
    ASSERT_TRUE(c.publish("raspberry/relay/get", ""));
    ASSERT_TRUE(c.wait_for("raspberry/relay/state", "ON", from)) << "get";

    from = c.size();  // the will, when the daemon dies
    daemon_->process().signal(SIGKILL);
    ASSERT_TRUE(c.wait_for("raspberry/status", kOff, from)) << "the will";

    // A retained command left while the daemon was away is replayed when it subscribes: never
    // acted on (the relay starts OFF and must stay so).
    ASSERT_TRUE(c.publish("raspberry/relay/set", "ON", true));
    from = c.size();
    start_daemon_at(daemon_url, version);
    ASSERT_TRUE(c.wait_for("raspberry/status", kOn, from)) << "status On again";
    std::size_t asked = c.size();
    ASSERT_TRUE(c.publish("raspberry/relay/get", ""));
    auto answer = c.wait_for("raspberry/relay/state", "OFF", asked);
    ASSERT_TRUE(answer) << "get after the retained command";
    for (std::size_t i = from; i <= *answer; ++i)
      EXPECT_FALSE(c.messages()[i].topic == "raspberry/relay/state" && c.messages()[i].payload == "ON")
          << "the retained command was acted on";
    // MQTT 5: the broker does not even send it (retain handling 2); 3.1.1: it is refused.
    EXPECT_TRUE(
        version == "5" ||
        eventually([&] { return daemon_->log().find("retained commands are never acted on") != std::string::npos; },
                   5s))
        << "the replay was not refused";
    ASSERT_TRUE(c.publish("raspberry/relay/set", "", true));  // an empty retained message clears it

    from = c.size();  // the broker restarts: both reconnect, the client subscribing again on connect
    restart_broker_();
    ASSERT_TRUE(c.connected(2));
    ASSERT_TRUE(c.wait_for("raspberry/status", kOn, from, 20s)) << "status On after the broker restarted";
    from = c.size();
    ASSERT_TRUE(eventually(
        [&] {  // the daemon may still be reconnecting: ask until it answers
          c.publish("raspberry/relay/set", "ON");
          return c.wait_for("raspberry/relay/state", "ON", from, 1s).has_value();
        },
        20s))
        << "set after the broker restarted";

    if (version == "auto") {  // it fell back once per start (two, one log), not at the broker's restart
      EXPECT_EQ(count(daemon_->log(), "speaks only MQTT 3.1.1: using 3.1.1"), 2u) << daemon_->log();
    }

    from = c.size();  // a clean stop says Off itself
    daemon_->process().signal(SIGTERM);
    EXPECT_EQ(daemon_->process().wait(6s), 0);
    EXPECT_TRUE(c.wait_for("raspberry/status", kOff, from)) << "Off at a clean stop";
    EXPECT_TRUE(c.unsubscribe("raspberry/#"));
  }

  int ws_port_ = 0;
  std::unique_ptr<Aedes> aedes_;
  std::function<void()> restart_broker_;
  std::unique_ptr<ScriptedClient> client_;
};

TEST_F(RealClients, PythonPahoTutorialClientAtMqtt5WithMosquitto) {
  start_mosquitto();
  client_ = ScriptedClient::python_paho(dir_, broker_->port(), "5");
  exercise(broker_->url(), "5");
}

TEST_F(RealClients, PythonPahoTutorialClientAt311OverWebSocketsWithMosquitto) {
  start_mosquitto();
  client_ = ScriptedClient::python_paho(dir_, ws_port_, "3.1.1", "websockets");
  exercise(broker_->url(), "5");
}

TEST_F(RealClients, MqttJsAtMqtt5OverTcpWithMosquitto) {
  start_mosquitto();
  client_ = ScriptedClient::mqttjs(dir_, broker_->url(), "5");
  exercise(broker_->url(), "5");
}

TEST_F(RealClients, MqttJsAt311OverTcpWithMosquitto) {
  start_mosquitto();
  client_ = ScriptedClient::mqttjs(dir_, broker_->url(), "3.1.1");
  exercise(broker_->url(), "5");
}

TEST_F(RealClients, MqttJsAtMqtt5OverWebSocketsWithTheDaemonOnWebSocketsToo) {
  start_mosquitto();
  client_ = ScriptedClient::mqttjs(dir_, ws_url(), "5");
  exercise(ws_url(), "5");
}

TEST_F(RealClients, MqttJsAt311OverWebSocketsWithTheDaemonAt311OverWebSockets) {
  start_mosquitto();
  client_ = ScriptedClient::mqttjs(dir_, ws_url(), "3.1.1");
  exercise(ws_url(), "3.1.1");
}

TEST_F(RealClients, MqttJsWithAedesAndTheDaemonAt311) {
  start_aedes();
  client_ = ScriptedClient::mqttjs(dir_, aedes_->url(), "3.1.1");
  exercise(aedes_->url(), "3.1.1");
}

TEST_F(RealClients, PythonPahoWithAedesAndTheDaemonOnAuto) {
  start_aedes();
  client_ = ScriptedClient::python_paho(dir_, aedes_->port(), "3.1.1");
  exercise(aedes_->url(), "auto");
}

TEST_F(RealClients, AedesRefusesMqtt5AndTheDaemonSaysWhatToSet) {
  start_aedes();
  start_daemon_at(aedes_->url(), "5");
  EXPECT_TRUE(eventually(
      [&] {
        return daemon_->log().find("cannot connect to " + aedes_->url() +
                                   ": the broker refused the connection: unacceptable protocol version (CONNACK code "
                                   "1); the broker does not speak MQTT 5: set mqtt.version: auto (or 3.1.1)") !=
               std::string::npos;
      },
      10s));
}

}  // namespace
}  // namespace gpio2mqtt::testing

#include "mqtt/connect_failure.h"

#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include "util/unique_fd.h"

namespace gpio2mqtt::mqtt {
namespace {

using namespace std::chrono_literals;

config::MqttConfig with_login() {
  config::MqttConfig config;
  config.client_id = "gpio2mqtt-pi";
  config.username = "pi";
  config.password = "secret";
  config.password_source = "/etc/gpio2mqtt/password";
  return config;
}

TEST(ARefusal, NamesBadCredentialsOnMqtt5WithAHintAboutTheLogin) {
  auto failure = describe_refusal(with_login(), 5, 134);
  EXPECT_EQ(failure.kind, FailureKind::kOther);
  EXPECT_EQ(failure.text,
            "the broker refused the connection: bad user name or password (reason code 134); check mqtt.username "
            "('pi') and the password (mqtt.password_file /etc/gpio2mqtt/password), and that the broker lets this "
            "user connect");
}

TEST(ARefusal, NamesNotAuthorisedOn311AndAsksForALoginWhenThereIsNone) {
  config::MqttConfig anonymous;
  auto failure = describe_refusal(anonymous, 4, 5);
  EXPECT_EQ(failure.text,
            "the broker refused the connection: not authorised (CONNACK code 5); the broker wants a login: set "
            "mqtt.username and mqtt.password_file (or allow anonymous clients)");
}

TEST(ARefusal, RecognisesAVersionRefusedByA311BrokerAndSuggestsAuto) {
  auto failure = describe_refusal(with_login(), 5, 1);  // a 3.1.1 broker answers MQTT 5 in 3.1.1 terms
  EXPECT_EQ(failure.kind, FailureKind::kVersionRefused);
  EXPECT_NE(failure.text.find("unacceptable protocol version (CONNACK code 1); the broker does not speak MQTT 5: set "
                              "mqtt.version: auto (or 3.1.1)"),
            std::string::npos)
      << failure.text;
  EXPECT_EQ(describe_refusal(with_login(), 5, 132).kind, FailureKind::kVersionRefused);
}

TEST(ARefusal, NamesTheClientIdWhenTheBrokerRejectsIt) {
  EXPECT_NE(describe_refusal(with_login(), 5, 133).text.find("does not accept the client id 'gpio2mqtt-pi'"),
            std::string::npos);
}

TEST(ARefusal, StillGivesTheNumberOfAnUnknownCode) {
  EXPECT_EQ(describe_refusal(with_login(), 5, 250).text,
            "the broker refused the connection: refused (reason code 250)");
}

// A listening socket on a free loopback port; closed, the port refuses connections.
struct Listener {
  UniqueFd fd{socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0)};
  int port = 0;
  Listener() {
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t length = sizeof address;
    bind(fd.get(), reinterpret_cast<sockaddr*>(&address), length);
    listen(fd.get(), 4);
    getsockname(fd.get(), reinterpret_cast<sockaddr*>(&address), &length);
    port = ntohs(address.sin_port);
  }
};

TEST(ATransportProbe, SaysConnectionRefusedWhenNothingListens) {
  config::MqttConfig config;
  {
    Listener gone;
    config.server = "mqtt://127.0.0.1:" + std::to_string(gone.port);
  }
  EXPECT_EQ(probe_transport(config, 2s), "connection refused by 127.0.0.1 port " +
                                             config.server.substr(config.server.rfind(':') + 1) +
                                             " (no broker listens there; check mqtt.server)");
}

TEST(ATransportProbe, FindsNothingWrongWithAPlainPortThatAnswers) {
  Listener listener;
  config::MqttConfig config;
  config.server = "mqtt://127.0.0.1:" + std::to_string(listener.port);
  EXPECT_EQ(probe_transport(config, 2s), "");
}

TEST(ATransportProbe, SaysWhenATlsPortIsNotSpeakingTls) {
  Listener listener;  // accepts, never answers the ClientHello: the handshake times out
  config::MqttConfig config;
  config.server = "mqtts://127.0.0.1:" + std::to_string(listener.port);
  config.tls.enabled = true;
  EXPECT_NE(probe_transport(config, 300ms).find("the TLS handshake with 127.0.0.1 port"), std::string::npos);
}

}  // namespace
}  // namespace gpio2mqtt::mqtt

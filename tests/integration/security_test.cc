// TLS and credentials against a real mosquitto with a TLS listener that wants a password.
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <cstdlib>
#include <filesystem>

#include "daemon_fixture.h"
#include "notify_socket.h"

namespace gpio2mqtt::testing {
namespace {

using namespace std::chrono_literals;

constexpr const char* kPassword = "c0rrect-h0rse";

class ADaemonOverTls : public BrokerAndDaemon {
 protected:
  ADaemonOverTls() : BrokerAndDaemon("gpio2mqtt-tls", "raspberry") {}
  void SetUp() override {
    BrokerAndDaemon::SetUp();
    if (IsSkipped()) return;
    if (std::system("command -v openssl >/dev/null && command -v mosquitto_passwd >/dev/null") != 0)
      GTEST_SKIP() << "needs mosquitto_passwd and openssl";
    chmod(dir_.c_str(), 0755);  // mosquitto drops root for its own user before reading the files
    // A CA and a server certificate for the name "localhost" only (not 127.0.0.1).
    std::string script = "cd " + dir_ + R"( && {
      openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -keyout ca.key -out ca.crt -days 2 -subj /CN=gpio2mqtt-test-ca &&
      openssl req -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -keyout server.key -out server.csr -subj /CN=localhost &&
      printf 'subjectAltName=DNS:localhost\n' > san.ext &&
      openssl x509 -req -in server.csr -CA ca.crt -CAkey ca.key -CAcreateserial -out server.crt -days 2 -extfile san.ext &&
      mosquitto_passwd -b -c passwd pi )" +
                         kPassword + R"( && printf '%s\n' )" + kPassword + R"( > password &&
      chmod 644 server.key passwd ca.crt server.crt; } >setup.log 2>&1)";
    ASSERT_EQ(std::system(script.c_str()), 0) << "certificate set-up failed; see " << dir_ << "/setup.log";
    tls_port_ = free_port();
    wss_port_ = free_port();
    std::string tls = "cafile " + dir_ + "/ca.crt\ncertfile " + dir_ + "/server.crt\nkeyfile " + dir_ +
                      "/server.key\nallow_anonymous false\npassword_file " + dir_ + "/passwd\n";
    start_broker("listener " + std::to_string(tls_port_) + " 127.0.0.1\n" + tls + "listener " +
                 std::to_string(wss_port_) + " 127.0.0.1\nprotocol websockets\n" + tls);
    observe("raspberry/#");  // on the plain listener
  }
  // The demo config over TLS to `host`, with `tls` settings and the password file.
  std::string config(const std::string& host, const std::string& tls, const std::string& password_file = "") {
    std::string c = demo_config("mqtts://" + host + ":" + std::to_string(tls_port_));
    std::string login =
        "  username: pi\n  password_file: " + (password_file.empty() ? dir_ + "/password" : password_file) + "\n";
    return c.replace(c.find("  base_topic:"), 0, login + (tls.empty() ? "" : "  tls: " + tls + "\n"));
  }
  bool logged(const std::string& text, std::chrono::milliseconds timeout = 10s) {
    return eventually([&] { return daemon_->log().find(text) != std::string::npos; }, timeout);
  }

  int tls_port_ = 0;
  int wss_port_ = 0;  // MQTT over WebSockets over TLS
};

TEST_F(ADaemonOverTls, ConnectsWithItsCaAndAPasswordFile) {
  start_daemon(config("localhost", "{ca_file: " + dir_ + "/ca.crt}"));
  ASSERT_TRUE(came_online());
  std::size_t from = observer_->size();
  observer_->publish("raspberry/relay/set", "ON");
  EXPECT_TRUE(observer_->wait_for("raspberry/relay/state", "ON", from));
  EXPECT_EQ(daemon_->log().find(kPassword), std::string::npos);
  EXPECT_EQ(daemon_->log().find("insecure"), std::string::npos);
}

TEST_F(ADaemonOverTls, ConnectsOverSecureWebSockets) {
  std::string c = config("localhost", "{ca_file: " + dir_ + "/ca.crt}");
  c.replace(c.find("mqtts://localhost:" + std::to_string(tls_port_)),
            std::string("mqtts://localhost:").size() + std::to_string(tls_port_).size(),
            "wss://localhost:" + std::to_string(wss_port_));
  start_daemon(c);
  ASSERT_TRUE(came_online());
  std::size_t from = observer_->size();
  observer_->publish("raspberry/relay/set", "ON");
  EXPECT_TRUE(observer_->wait_for("raspberry/relay/state", "ON", from));
}

TEST_F(ADaemonOverTls, RefusesABrokerTheSystemStoreDoesNotTrustAndSaysWhy) {
  start_daemon(config("localhost", ""));
  ASSERT_TRUE(logged("cannot connect to mqtts://localhost:" + std::to_string(tls_port_) +
                     ": TLS: the broker's certificate is not trusted: self-signed certificate in certificate chain; "
                     "set mqtt.tls.ca_file to the CA that signed it"));
  EXPECT_FALSE(came_online(0, 1s));
}

TEST_F(ADaemonOverTls, RefusesABrokerWhoseCertificateNamesAnotherHostAndSaysSo) {
  start_daemon(config("127.0.0.1", "{ca_file: " + dir_ + "/ca.crt}"));  // the certificate says localhost
  ASSERT_TRUE(
      logged("TLS: host name mismatch: the broker's certificate is for localhost, not '127.0.0.1'; "
             "use one of those names in mqtt.server"));
  EXPECT_FALSE(came_online(0, 1s));
}

TEST_F(ADaemonOverTls, ConnectsUnverifiedOnlyWhenToldInsecureAndWarns) {
  start_daemon(config("127.0.0.1", "{insecure: true}"));
  ASSERT_TRUE(came_online());
  EXPECT_TRUE(logged("TLS certificate verification is off"));
}

TEST_F(ADaemonOverTls, IsRefusedWithAWrongPasswordSaysSoEverywhereAndNeverLogsThePassword) {
  std::string wrong = dir_ + "/wrong-password";
  write_file(wrong, "n0t-the-passw0rd\n");
  NotifySocket systemd(dir_ + "/notify");
  start_daemon(config("localhost", "{ca_file: " + dir_ + "/ca.crt}", wrong), {systemd.env()});
  std::string why =
      "the broker refused the connection: not authorised (reason code 135); check mqtt.username "
      "('pi') and the password (mqtt.password_file " +
      wrong + "), and that the broker lets this user connect";
  ASSERT_TRUE(logged(why));
  auto refused =
      systemd.wait_for("STATUS=cannot connect to mqtts://localhost:" + std::to_string(tls_port_) + ", retrying in ");
  ASSERT_TRUE(refused);
  const auto& text = systemd.received()[*refused].text;
  EXPECT_TRUE(text.ends_with(" s: " + why)) << text;
  EXPECT_FALSE(came_online(0, 1s));
  EXPECT_EQ(daemon_->log().find("n0t-the-passw0rd"), std::string::npos);
}

TEST_F(ADaemonOverTls, NamesAWrongPasswordOnMqtt311Too) {
  std::string wrong = dir_ + "/wrong-password";
  write_file(wrong, "n0t-the-passw0rd\n");
  std::string yaml = config("localhost", "{ca_file: " + dir_ + "/ca.crt}", wrong);
  yaml.replace(yaml.find("version: 5"), 10, "version: 3.1.1");
  start_daemon(yaml);
  ASSERT_TRUE(logged("the broker refused the connection: not authorised (CONNACK code 5); check mqtt.username"));
}

TEST_F(ADaemonOverTls, KeepsThePasswordOutOfCheckConfig) {
  write_file(dir_ + "/c.yaml", config("localhost", "{ca_file: " + dir_ + "/ca.crt}"));
  Process check({daemon_binary(), "--check-config", dir_ + "/c.yaml"}, dir_ + "/check.log");
  EXPECT_EQ(check.wait(10s), 0);
  EXPECT_NE(check.log().find("login: user pi, password from " + dir_ + "/password"), std::string::npos) << check.log();
  EXPECT_EQ(check.log().find(kPassword), std::string::npos);
}

// A broker whose ACL does not let us publish events acknowledges them with an MQTT 5 error
// (PUBACK "not authorised"): that is said, and they are not counted as published.
TEST(ABrokerAcl, RefusingOurEventsIsReportedAndNotCountedAsPublished) {
  if (!Mosquitto::available()) GTEST_SKIP() << "needs mosquitto";
  std::string dir = make_temp_dir("gpio2mqtt-acl");
  chmod(dir.c_str(), 0755);  // mosquitto drops root for its own user before reading the file
  write_file(dir + "/acl",
             "topic readwrite raspberry/status\ntopic readwrite raspberry/+/state\ntopic readwrite raspberry/+/set\n"
             "topic readwrite raspberry/+/get\ntopic read raspberry/+/event\n");
  chmod((dir + "/acl").c_str(), 0644);
  Mosquitto broker(dir, "", "acl_file " + dir + "/acl\n");
  MqttTestClient observer(broker.url(), "observer");
  observer.subscribe("raspberry/#");
  NotifySocket systemd(dir + "/notify");
  Daemon daemon(dir, demo_config(broker.url()), {systemd.env()});
  ASSERT_TRUE(observer.wait_for("raspberry/status", kOn)) << daemon.log();
  observer.publish("raspberry/relay/set", "ON");  // the wired button's edge makes an event
  ASSERT_TRUE(observer.wait_for("raspberry/button/state", "ON"));
  EXPECT_TRUE(eventually(
      [&] {
        return daemon.log().find(
                   "the broker refused what we published to raspberry/button/event: not authorised "
                   "(reason code 135): the broker's ACL does not let anonymous clients publish there") !=
               std::string::npos;
      },
      10s))
      << daemon.log();
  EXPECT_TRUE(systemd.wait_for("1 output, 0 edges published, 1 publishes refused by the broker")) << daemon.log();
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace gpio2mqtt::testing

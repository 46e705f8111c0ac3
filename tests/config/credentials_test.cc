#include <gtest/gtest.h>
#include <sys/stat.h>

#include <cstdlib>
#include <fstream>

#include "bridge/describe.h"
#include "config_errors.h"
#include "gpio2mqtt/config/loader.h"

namespace gpio2mqtt::config {
namespace {

const std::string kRest = "chips: {main: {simulated: {lines: [A]}}}\nlines: {a: {line: A, direction: output}}\n";

std::string temp_file(const std::string& name, const std::string& text, mode_t mode = 0600) {
  std::string path = ::testing::TempDir() + "/" + name;
  std::ofstream(path) << text;
  chmod(path.c_str(), mode);
  return path;
}

std::string error_of(const std::string& text) { return testing::config_error_of(text); }

TEST(MqttCredentials, ComeInlineOrFromAFileAndNeverShowInTheSummary) {
  Config inline_password = parse_config("mqtt: {username: pi, password: hunter2}\n" + kRest, "c.yaml", "pi");
  EXPECT_EQ(inline_password.mqtt.username, "pi");
  EXPECT_EQ(inline_password.mqtt.password, "hunter2");
  EXPECT_EQ(describe(inline_password).find("hunter2"), std::string::npos);
  EXPECT_NE(describe(inline_password).find("login: user pi, password inline (hidden)"), std::string::npos);

  std::string secret = temp_file("gpio2mqtt-secret", "s3cret-pw\n");
  Config from_file = parse_config("mqtt: {username: pi, password_file: " + secret + "}\n" + kRest, "c.yaml", "pi");
  EXPECT_EQ(from_file.mqtt.password, "s3cret-pw");  // the first line, without its newline
  EXPECT_EQ(describe(from_file).find("s3cret-pw"), std::string::npos);
}

TEST(MqttCredentials, ReadARelativePasswordFileAsASystemdCredential) {
  std::string directory = ::testing::TempDir() + "/gpio2mqtt-credentials";
  mkdir(directory.c_str(), 0700);
  std::ofstream(directory + "/mqtt-password") << "from-systemd";
  setenv("CREDENTIALS_DIRECTORY", directory.c_str(), 1);
  Config c = parse_config("mqtt: {username: pi, password_file: mqtt-password}\n" + kRest, "c.yaml", "pi");
  EXPECT_EQ(c.mqtt.password, "from-systemd");
  unsetenv("CREDENTIALS_DIRECTORY");
  EXPECT_NE(error_of("mqtt: {username: pi, password_file: mqtt-password}\n" + kRest)
                .find("$CREDENTIALS_DIRECTORY is not set"),
            std::string::npos);
}

TEST(MqttCredentials, AreCheckedForMistakes) {
  EXPECT_EQ(error_of("mqtt: {username: pi, password: a, password_file: /x}\n" + kRest),
            "1:50: mqtt: give password or password_file, not both");
  EXPECT_EQ(error_of("mqtt: {password: a}\n" + kRest), "1:18: mqtt: a password needs a username");
  EXPECT_EQ(error_of("mqtt: {username: pi, password_file: /nonexistent/pw}\n" + kRest),
            "1:37: mqtt.password_file: cannot read /nonexistent/pw");
  std::string empty = temp_file("gpio2mqtt-empty-secret", "");
  EXPECT_NE(error_of("mqtt: {username: pi, password_file: " + empty + "}\n" + kRest).find("is empty"),
            std::string::npos);
  EXPECT_EQ(error_of("mqtt: {username: pi, password_file: /dev/zero}\n" + kRest),
            "1:37: mqtt.password_file: /dev/zero: the first line is over 65535 bytes");
  // Paho refuses these when it creates the client (exit 1 at start), brokers at connect.
  EXPECT_EQ(error_of("mqtt: {username: \"p\\x01i\", password: a}\n" + kRest),
            "1:18: mqtt.username: expected UTF-8 text without control characters");
  EXPECT_EQ(error_of("mqtt:\n  client_id: a\xff\n" + kRest),
            "2:14: mqtt.client_id: expected UTF-8 text without control characters");
}

TEST(MqttCredentials, WarnWhenAnInlinePasswordIsReadableByEveryone) {
  std::string open = temp_file("gpio2mqtt-open.yaml", "mqtt: {username: pi, password: x}\n" + kRest, 0644);
  EXPECT_EQ(load_config_file(open, "pi").warnings.size(), 1u);
  std::string closed = temp_file("gpio2mqtt-closed.yaml", "mqtt: {username: pi, password: x}\n" + kRest, 0640);
  EXPECT_TRUE(load_config_file(closed, "pi").warnings.empty());
}

TEST(MqttTls, IsOnForTlsSchemesWithTheSystemStoreByDefault) {
  Config c = parse_config("mqtt: {server: 'mqtts://broker.example.net'}\n" + kRest, "c.yaml", "pi");
  EXPECT_TRUE(c.mqtt.tls.enabled);
  EXPECT_EQ(c.mqtt.server, "mqtts://broker.example.net:8883");
  EXPECT_TRUE(c.mqtt.tls.ca_file.empty());
  EXPECT_FALSE(c.mqtt.tls.insecure);
  EXPECT_NE(describe(c).find("tls: CA the system store, broker certificate and host name verified"), std::string::npos);
  EXPECT_FALSE(parse_config("mqtt: {server: 'MQTT://b'}\n" + kRest, "c.yaml", "pi").mqtt.tls.enabled);
  EXPECT_TRUE(parse_config("mqtt: {server: 'SSL://b:1'}\n" + kRest, "c.yaml", "pi").mqtt.tls.enabled);
}

TEST(MqttTls, TakesCaClientCertificateAndInsecure) {
  std::string ca = temp_file("gpio2mqtt-ca.crt", "x"), cert = temp_file("gpio2mqtt-c.crt", "x"),
              key = temp_file("gpio2mqtt-c.key", "x");
  Config c = parse_config("mqtt:\n  server: mqtts://b:8883\n  tls: {ca_file: " + ca + ", cert_file: " + cert +
                              ", key_file: " + key + ", insecure: true}\n" + kRest,
                          "c.yaml", "pi");
  EXPECT_EQ(c.mqtt.tls.ca_file, ca);
  EXPECT_EQ(c.mqtt.tls.cert_file, cert);
  EXPECT_EQ(c.mqtt.tls.key_file, key);
  EXPECT_TRUE(c.mqtt.tls.insecure);
  EXPECT_NE(describe(c).find("VERIFICATION OFF"), std::string::npos);
}

TEST(MqttTls, RefusesSettingsThatCannotWork) {
  EXPECT_EQ(error_of("mqtt:\n  tls: {insecure: false}\n" + kRest),
            "2:8: mqtt.tls: TLS settings need a TLS server URI (mqtts://host:8883)");
  EXPECT_EQ(error_of("mqtt:\n  server: mqtts://b\n  tls: {ca_file: /nonexistent/ca.crt}\n" + kRest),
            "3:18: mqtt.tls.ca_file: no file /nonexistent/ca.crt");
  std::string cert = temp_file("gpio2mqtt-c2.crt", "x");
  EXPECT_EQ(error_of("mqtt:\n  server: mqtts://b\n  tls: {cert_file: " + cert + "}\n" + kRest),
            "3:20: mqtt.tls: cert_file needs key_file");
}

TEST(ABrokerAddress, IsLocalOnLoopbackOrThisHost) {
  auto local = [](const std::string& server) {
    MqttConfig m;
    m.server = server;
    m.servers = {server};
    return m.broker_is_local("pi");
  };
  EXPECT_TRUE(local("mqtt://127.0.0.1:1883"));
  EXPECT_TRUE(local("mqtt://localhost:1883"));
  EXPECT_TRUE(local("mqtt://[::1]:1883"));
  EXPECT_TRUE(local("mqtt://pi:1883"));
  EXPECT_FALSE(local("mqtt://broker.example.net:1883"));
  EXPECT_FALSE(local("mqtt://192.168.1.2:1883"));
}

}  // namespace
}  // namespace gpio2mqtt::config

namespace gpio2mqtt::config {
namespace {

TEST(TheSecurityExample, LoadsWithItsFilesInPlace) {
  std::string password = temp_file("gpio2mqtt-mqtt-password", "secret\n"), ca = temp_file("gpio2mqtt-e-ca.crt", "x"),
              cert = temp_file("gpio2mqtt-e-client.crt", "x"), key = temp_file("gpio2mqtt-e-client.key", "x");
  Config c = parse_config(R"(mqtt:
  server: mqtts://broker.example.net:8883
  username: pi
  password_file: )" + password +
                              R"(   # or `password:`, or a systemd credential
  tls:
    ca_file: )" + ca + R"(              # default: the system CA store
    cert_file: )" + cert + R"(        # optional client certificate
    key_file: )" + key + R"(
    insecure: false                             # true skips verification, with a warning
  buffer: 10000                                 # messages kept while disconnected
  persistence: /var/lib/gpio2mqtt               # optional: the buffer survives a restart
)" + kRest,
                          "c.yaml", "pi");
  EXPECT_EQ(c.mqtt.password, "secret");
  EXPECT_EQ(c.mqtt.buffer, 10000u);
  EXPECT_EQ(c.mqtt.persistence, "/var/lib/gpio2mqtt");
  EXPECT_NE(describe(c).find("persistence: the queue survives restarts in /var/lib/gpio2mqtt/outbox"),
            std::string::npos);
}

TEST(MqttPersistence, IsOffByDefaultAndMustBeAnAbsolutePath) {
  EXPECT_EQ(parse_config(kRest, "c.yaml", "pi").mqtt.persistence, "");
  EXPECT_EQ(error_of("mqtt:\n  persistence: var/lib/gpio2mqtt\n" + kRest),
            "2:16: mqtt.persistence: expected an absolute directory path, like /var/lib/gpio2mqtt");
  EXPECT_EQ(error_of("mqtt:\n  persistence: ''\n" + kRest),
            "2:16: mqtt.persistence: expected an absolute directory path, like /var/lib/gpio2mqtt");
}

}  // namespace
}  // namespace gpio2mqtt::config

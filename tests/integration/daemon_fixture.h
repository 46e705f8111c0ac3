// A mosquitto, the gpio2mqtt binary on the demo's simulated chip, and an observing client.
#pragma once

#include <gtest/gtest.h>
#include <signal.h>

#include <filesystem>
#include <memory>
#include <optional>
#include <string>

#include "daemon.h"
#include "mosquitto.h"
#include "mqtt_client.h"

namespace gpio2mqtt::testing {

// config/demo.yaml's shape, on `url`, with `keepalive` and `version`.
inline std::string demo_config(const std::string& url, const std::string& keepalive = "60s",
                               const std::string& version = "5") {
  return "mqtt:\n  server: " + url + "\n  client_id: gpio2mqtt-test-{hostname}\n  keepalive: " + keepalive +
         "\n  version: " + version + R"(
  base_topic: raspberry
  qos: 1
  status: {topic: raspberry/status, online: '{"status":"On"}', offline: '{"status":"Off"}'}
chips:
  main:
    simulated:
      lines: [GPIO17, GPIO22, GPIO27]
      wires: {GPIO27: GPIO22}
lines:
  button: {chip: main, line: GPIO22, direction: input, edge: both, bias: pull-up, debounce: 10ms}
  relay: {line: GPIO27, direction: output, initial: off, on_disconnect: off}
)";
}

inline const std::string kOn = R"({"status":"On"})";
inline const std::string kOff = R"({"status":"Off"})";

class ADaemon : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!Mosquitto::available()) GTEST_SKIP() << "mosquitto is not installed (apt-get install mosquitto)";
    dir_ = make_temp_dir("gpio2mqtt-it");
    broker_ = std::make_unique<Mosquitto>(dir_);
    observer_ = std::make_unique<MqttTestClient>(broker_->url(), "observer");
    observer_->subscribe("raspberry/#");
  }
  void TearDown() override {
    if (HasFailure() && daemon_) std::cerr << "--- gpio2mqtt log ---\n" << daemon_->log() << "---\n";
    keep_dir_ = HasFailure();
  }
  // The processes go first (they write in dir_); the directory stays when the test failed.
  ~ADaemon() override {
    daemon_.reset();
    observer_.reset();
    broker_.reset();
    if (!keep_dir_ && !dir_.empty()) std::filesystem::remove_all(dir_);
  }
  // Starts the daemon and waits until it is online and has published the relay's state.
  void start(const std::string& config) {
    daemon_ = std::make_unique<Daemon>(dir_, config);
    ASSERT_TRUE(observer_->wait_for("raspberry/status", kOn, 0)) << daemon_->log();
    ASSERT_TRUE(observer_->wait_for("raspberry/relay/state", "OFF"));
  }
  void start() { start(demo_config(broker_->url())); }
  std::optional<std::size_t> expect(const std::string& topic, const std::string& payload, std::size_t from,
                                    std::chrono::milliseconds timeout = std::chrono::seconds(10)) {
    auto at = observer_->wait_for(topic, payload, from, timeout);
    EXPECT_TRUE(at) << "no " << topic << " " << payload << " after message " << from;
    return at;
  }

  std::string dir_;
  std::unique_ptr<Mosquitto> broker_;
  std::unique_ptr<MqttTestClient> observer_;
  std::unique_ptr<Daemon> daemon_;
  bool keep_dir_ = true;
};

}  // namespace gpio2mqtt::testing

// The base of the fixtures that run the gpio2mqtt binary: a directory for the test, a real
// mosquitto on a free 127.0.0.1 port, the daemon, and an observing client. When a test fails, the
// daemon's log (its end) is printed and the directory, with every log, stays; otherwise it goes.
#pragma once

#include <gtest/gtest.h>

#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "daemon.h"
#include "mosquitto.h"
#include "mqtt_client.h"
#include "payloads.h"

namespace gpio2mqtt::testing {

class BrokerAndDaemon : public ::testing::Test {
 protected:
  // `dir_prefix` names the test's directory; `base_topic` is the daemon's (for came_online()).
  BrokerAndDaemon(std::string dir_prefix, std::string base_topic);
  // The processes go first (they write in dir_); then the directory, unless the test failed.
  ~BrokerAndDaemon() override;

  // Skips when mosquitto is not installed; makes the directory.
  void SetUp() override;
  void TearDown() override;

  // Starts the broker; `extra` and `global` are appended to its config (see Mosquitto).
  void start_broker(std::string extra = "", std::string global = "");
  // Subscribes observer_ to `filter`, connecting it to the broker first if need be.
  void observe(const std::string& filter);
  // Writes `config` to the directory and starts the daemon on it, without waiting.
  void start_daemon(const std::string& config, std::vector<std::string> env = {});
  // Whether observer_ saw the status On at message `from` or later within `timeout`.
  ::testing::AssertionResult came_online(std::size_t from = 0,
                                         std::chrono::milliseconds timeout = std::chrono::seconds(10)) const;
  // Waits for `payload` on `topic` at message `from` or later; a (non-fatal) failure when none came.
  std::optional<std::size_t> expect(const std::string& topic, const std::string& payload, std::size_t from,
                                    std::chrono::milliseconds timeout = std::chrono::seconds(10)) const;

  std::string dir_;
  std::unique_ptr<Mosquitto> broker_;
  std::unique_ptr<MqttTestClient> observer_;
  std::unique_ptr<Daemon> daemon_;

 private:
  std::string dir_prefix_;
  std::string status_topic_;
  bool keep_dir_ = true;  // until TearDown knows the test passed
};

}  // namespace gpio2mqtt::testing

// A mosquitto, the gpio2mqtt binary on the demo's simulated chip, and an observing client.
#pragma once

#include <gtest/gtest.h>
#include <signal.h>

#include <filesystem>
#include <iostream>
#include <memory>
#include <optional>
#include <string>

#include "broker_and_daemon.h"

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

// The daemon on the demo's config, its broker, and an observer of everything under raspberry/.
class ADaemon : public BrokerAndDaemon {
 protected:
  ADaemon() : BrokerAndDaemon("gpio2mqtt-it", "raspberry") {}
  void SetUp() override {
    BrokerAndDaemon::SetUp();
    if (IsSkipped()) return;
    start_broker();
    observe("raspberry/#");
  }
  // Starts the daemon and waits until it is online and has published the relay's state; callers
  // wrap it in ASSERT_NO_FATAL_FAILURE, so that a test ends when it does not come up.
  void start(const std::string& config) {
    start_daemon(config);
    ASSERT_TRUE(came_online());
    ASSERT_TRUE(observer_->wait_for("raspberry/relay/state", "OFF"));
  }
  void start() { start(demo_config(broker_->url())); }
};

}  // namespace gpio2mqtt::testing

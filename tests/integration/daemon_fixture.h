// A mosquitto, the gpio2mqtt binary on the demo's simulated chip, and an observing client.
#pragma once

#include <gtest/gtest.h>
#include <signal.h>
#include <sys/stat.h>

#include <cerrno>
#include <cstring>
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

// Under `sys`, a sysfs tree with an IIO ADC (ads1115, in_voltage0 raw 1000, scale 0.125 mV) and
// a 1-Wire thermometer whose `temperature` is a FIFO nobody writes; returns the config's `sysfs:`
// and `sensors:` for them: `adc` reads 0.125 V, `slow` times out after 300 ms on every read.
inline std::string sensor_tree(const std::string& sys) {
  const std::string adc = sys + "/bus/iio/devices/iio:device0";
  const std::string thermometer = sys + "/bus/w1/devices/28-0316a2794bff";
  std::filesystem::create_directories(adc);
  std::filesystem::create_directories(thermometer);
  write_file(adc + "/name", "ads1115\n");
  write_file(adc + "/in_voltage0_raw", "1000\n");
  write_file(adc + "/in_voltage0_scale", "0.125\n");
  EXPECT_EQ(mkfifo((thermometer + "/temperature").c_str(), 0600), 0) << std::strerror(errno);
  return "sysfs: " + sys +
         "\nsensors:\n"
         "  adc: {iio: ads1115, channel: in_voltage0, interval: 200ms}\n"
         "  slow: {w1: 28-0316a2794bff, interval: 200ms, timeout: 300ms}\n";
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

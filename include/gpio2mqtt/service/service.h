// Wires config, lines, bridge and broker connection into one epoll loop, and runs it.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>

#include "gpio2mqtt/bridge/bridge.h"
#include "gpio2mqtt/config/config.h"
#include "gpio2mqtt/mqtt/client.h"
#include "gpio2mqtt/service/event_loop.h"
#include "gpio2mqtt/service/line_set.h"

namespace gpio2mqtt::service {

// Blocks SIGTERM, SIGINT and SIGHUP in the calling thread; call it before any other thread
// starts (paho's), so that they inherit the mask and the signals reach the loop's signalfd only.
void block_service_signals();

// Reconnect delays: 1 s, doubling to 60 s; back to 1 s after a successful connect.
class Backoff {
 public:
  std::chrono::seconds next();
  void reset() { next_ = std::chrono::seconds(1); }

 private:
  std::chrono::seconds next_{1};
};

class ClientPublisher : public bridge::Publisher {
 public:
  explicit ClientPublisher(mqtt::Client& client) : client_(client) {}
  bool publish(const bridge::Message& message) override { return client_.publish(message); }

 private:
  mqtt::Client& client_;
};

class Service {
 public:
  Service(const config::Config& config, LineSet& lines, mqtt::Client& client);
  // Runs until SIGTERM or SIGINT, then stops cleanly within 5 s; returns the exit code.
  int run();

 private:
  void on_signal();
  void on_mqtt_events();
  void on_gpio(int fd);
  void on_connection_down(const std::string& why);
  void stop();

  const config::Config& config_;
  LineSet& lines_;
  mqtt::Client& client_;
  ClientPublisher publisher_;
  bridge::Bridge bridge_;
  EventLoop loop_;
  UniqueFd signal_fd_;
  Timer bridge_timer_;
  Timer reconnect_timer_;
  Backoff backoff_;
  bool stopping_ = false;
  std::vector<std::pair<std::size_t, gpio::EdgeEvent>> edges_;
};

}  // namespace gpio2mqtt::service

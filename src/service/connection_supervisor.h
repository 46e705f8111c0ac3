// Keeping the broker connection up: which node of mqtt.server to try (the next one after a failure
// or a loss), when (at once while nodes of the round are left, then the backoff, with full jitter
// unless mqtt.reconnect_jitter is off; the takeover guard's longer wait when another client holds
// our client id; mqtt.start_delay before the very first), what to tell the user about it, and the
// reconnect timer. The service feeds it the client's connection events; the supervisor calls
// `connect` with the node to try.
#pragma once

#include <chrono>
#include <functional>
#include <random>
#include <string>

#include "gpio2mqtt/config/config.h"
#include "gpio2mqtt/mqtt/client.h"
#include "service/event_loop.h"
#include "service/reconnect_backoff.h"
#include "service/server_list.h"
#include "service/takeover_guard.h"

namespace gpio2mqtt::service {

class ConnectionSupervisor {
 public:
  using Connect = std::function<void(const std::string& server)>;
  // `random` (borrowed) draws the start delay, the jitter and a shuffled order.
  ConnectionSupervisor(EventLoop& loop, const config::MqttConfig& mqtt, std::mt19937_64& random, Connect connect);

  // The first connect: after a random part of mqtt.start_delay, or now.
  void start(const config::MqttConfig& mqtt);
  // Connected to `server` (the node that answered, perhaps an earlier attempt's rather than the one
  // tried last; empty: the one tried last): it becomes the current node, and the backoff starts
  // over. True when a problem was being reported until now.
  bool on_connected(const std::string& server);
  // A connect failed or the connection was lost: logs why and where and when it tries next, and
  // arms the timer for that.
  void on_down(const mqtt::Event& event, const config::MqttConfig& mqtt);
  // A new client (a reload changed the mqtt section): connects now, to the new list's first node.
  void start_over(const config::MqttConfig& mqtt);
  // The node connected to, or being tried next.
  const std::string& server() const { return servers_.current(); }
  // "cannot connect to <server>, retrying in 2 s: <why>"; empty while connected or never tried.
  const std::string& problem() const { return problem_; }

 private:
  void connect_now();

  EventLoop& loop_;
  std::mt19937_64& random_;
  Connect connect_;
  Timer reconnect_timer_;
  ServerList servers_;
  ReconnectBackoff backoff_;
  TakeoverGuard takeover_;
  std::string problem_;
};

// "0.4 s", "2 s": a delay as the log and STATUS= say it.
std::string seconds_text(std::chrono::milliseconds delay);

}  // namespace gpio2mqtt::service

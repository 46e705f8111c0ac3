// Keeping the broker connection up: when to connect again after a failure or a loss (backoff 1 s
// doubling to 60 s, or the takeover guard's longer wait when another client holds our client id),
// what to tell the user about it, and the reconnect timer. The service feeds it the client's
// connection events and connects when its timer says so.
#pragma once

#include <chrono>
#include <functional>
#include <string>

#include "gpio2mqtt/config/config.h"
#include "gpio2mqtt/mqtt/client.h"
#include "service/backoff.h"
#include "service/event_loop.h"
#include "service/takeover_guard.h"

namespace gpio2mqtt::service {

class ConnectionSupervisor {
 public:
  // `connect` starts one attempt; it is called from the reconnect timer.
  ConnectionSupervisor(EventLoop& loop, std::function<void()> connect);

  // Connected: the backoff starts over. True when a problem was being reported until now.
  bool on_connected();
  // A connect failed or the connection was lost: logs why and when it tries again, and arms the
  // timer for that.
  void on_down(const mqtt::Event& event, const config::MqttConfig& mqtt);
  // A new client (a reload changed the mqtt section): the next attempt is made now by the caller.
  void start_over();
  // "cannot connect to <server>, retrying in 2 s: <why>"; empty while connected or never tried.
  const std::string& problem() const { return problem_; }

 private:
  EventLoop& loop_;
  Timer reconnect_timer_;
  Backoff backoff_;
  TakeoverGuard takeover_;
  std::string problem_;
};

}  // namespace gpio2mqtt::service

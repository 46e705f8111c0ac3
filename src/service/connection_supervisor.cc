#include "service/connection_supervisor.h"

#include <spdlog/spdlog.h>

namespace gpio2mqtt::service {

ConnectionSupervisor::ConnectionSupervisor(EventLoop& loop, std::function<void()> connect)
    : loop_(loop), reconnect_timer_(loop.timer("reconnect", std::move(connect))) {}

bool ConnectionSupervisor::on_connected() {
  backoff_.reset();
  reconnect_timer_.disarm();
  takeover_.on_connected(loop_.now());
  bool had_problem = !problem_.empty();
  problem_.clear();
  return had_problem;
}

void ConnectionSupervisor::on_down(const mqtt::Event& event, const config::MqttConfig& mqtt) {
  bool lost = event.kind == mqtt::Event::Kind::kConnectionLost;
  std::chrono::seconds delay;
  if (auto wait = lost ? takeover_.on_lost(loop_.now(), event.taken_over) : std::nullopt) {
    delay = *wait;
    std::string why = takeover_.inferred()
                          ? "connections to " + mqtt.server + " keep dropping right after they are made"
                          : event.text;
    spdlog::error(
        "client id '{}' is taken over: {}. Another client (a second gpio2mqtt?) connects with the same "
        "client id, and the broker drops one when the other connects; give each its own mqtt.client_id. "
        "Keeping away for {} s instead of taking it back",
        mqtt.client_id, why, delay.count());
    problem_ = "client id '" + mqtt.client_id + "' taken over by another client; connecting to " + mqtt.server +
               " again in " + std::to_string(delay.count()) + " s";
  } else if (lost) {
    // Straight away once: a broker that just went away does not answer yet (that failure rules
    // a takeover out), while one that dropped us for another client with our id answers at once.
    delay = std::chrono::seconds(0);
    spdlog::warn("lost the connection to {}: {}; connecting again now", mqtt.server, event.text);
    problem_ = "lost the connection to " + mqtt.server + ", connecting again: " + event.text;
  } else {
    takeover_.on_connect_failed();
    delay = backoff_.next();
    spdlog::warn("cannot connect to {}: {}; retrying in {} s", mqtt.server, event.text, delay.count());
    problem_ =
        "cannot connect to " + mqtt.server + ", retrying in " + std::to_string(delay.count()) + " s: " + event.text;
  }
  reconnect_timer_.arm_after(delay);
}

void ConnectionSupervisor::start_over() {
  backoff_.reset();
  reconnect_timer_.disarm();
}

}  // namespace gpio2mqtt::service

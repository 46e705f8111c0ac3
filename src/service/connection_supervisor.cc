#include "service/connection_supervisor.h"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

namespace gpio2mqtt::service {

std::string seconds_text(std::chrono::milliseconds delay) {
  if (delay.count() % 1000 == 0) return fmt::format("{} s", delay.count() / 1000);
  return fmt::format("{:.1f} s", static_cast<double>(delay.count()) / 1000);
}

ConnectionSupervisor::ConnectionSupervisor(EventLoop& loop, const config::MqttConfig& mqtt, std::mt19937_64& random,
                                           Connect connect)
    : loop_(loop),
      random_(random),
      connect_(std::move(connect)),
      reconnect_timer_(loop.timer("reconnect", [this] { connect_now(); })),
      servers_(mqtt.servers, mqtt.server_order, random),
      backoff_(random, mqtt.reconnect_jitter) {}

void ConnectionSupervisor::connect_now() {
  spdlog::info("connecting to {}", servers_.current());
  connect_(servers_.current());
}

void ConnectionSupervisor::start(const config::MqttConfig& mqtt) {
  if (mqtt.start_delay.count() == 0) return connect_now();
  // A site's boards that boot together after a power cut would otherwise all connect at once.
  std::chrono::milliseconds delay(std::uniform_int_distribution<std::int64_t>(0, mqtt.start_delay.count())(random_));
  spdlog::info("connecting to {} in {} (mqtt.start_delay)", servers_.current(), seconds_text(delay));
  reconnect_timer_.arm_after(delay);
}

bool ConnectionSupervisor::on_connected(const std::string& server) {
  if (!server.empty() && server != servers_.current()) {
    if (servers_.select(server)) spdlog::info("{} answered an earlier connect attempt: connected there", server);
    else spdlog::warn("connected to {}, which is not in mqtt.server", server);  // a reload changed it meanwhile
  }
  backoff_.reset();
  reconnect_timer_.disarm();
  servers_.begin_round();
  takeover_.on_connected(loop_.now());
  bool had_problem = !problem_.empty();
  problem_.clear();
  return had_problem;
}

void ConnectionSupervisor::on_down(const mqtt::Event& event, const config::MqttConfig& mqtt) {
  bool lost = event.kind == mqtt::Event::Kind::kConnectionLost;
  const std::string failed = servers_.current();
  std::chrono::milliseconds delay{0};
  if (auto wait = lost ? takeover_.on_lost(loop_.now(), event.taken_over) : std::nullopt) {
    // Another client holds our id on the broker as a whole: another node would not help.
    delay = *wait;
    std::string why =
        takeover_.inferred() ? "connections to " + failed + " keep dropping right after they are made" : event.text;
    spdlog::error(
        "client id '{}' is taken over: {}. Another client (a second gpio2mqtt?) connects with the same "
        "client id, and the broker drops one when the other connects; give each its own mqtt.client_id. "
        "Keeping away for {} instead of taking it back",
        mqtt.client_id, why, seconds_text(delay));
    problem_ = "client id '" + mqtt.client_id + "' taken over by another client; connecting to " + failed +
               " again in " + seconds_text(delay);
  } else if (lost) {
    // Straight away once: a broker that just went away does not answer yet (that failure rules
    // a takeover out), while one that dropped us for another client with our id answers at once.
    // With more nodes, the next one: the lost one may be gone for good.
    servers_.advance();
    servers_.begin_round();
    spdlog::warn("lost the connection to {}: {}; connecting to {} now", failed, event.text, servers_.current());
    problem_ = "lost the connection to " + failed + ", connecting again: " + event.text;
  } else if (event.falls_back) {
    spdlog::warn("cannot connect to {}: {}", failed, event.text);
    problem_ = "cannot connect to " + failed + ", trying again now: " + event.text;
  } else {
    takeover_.on_connect_failed();
    bool round_failed = servers_.advance();
    if (round_failed) {
      delay = backoff_.next();
      servers_.begin_round();
    }
    std::string next = servers_.size() > 1 ? " " + servers_.current() : "";
    std::string when = delay.count() ? "retrying" + next + " in " + seconds_text(delay) : "trying" + next + " now";
    spdlog::warn("cannot connect to {}: {}; {}", failed, event.text, when);
    problem_ = "cannot connect to " + failed + ", " + when + ": " + event.text;
  }
  reconnect_timer_.arm_after(delay);
}

void ConnectionSupervisor::start_over(const config::MqttConfig& mqtt) {
  backoff_.reset();
  backoff_.set_jitter(mqtt.reconnect_jitter);
  reconnect_timer_.disarm();
  servers_ = ServerList(mqtt.servers, mqtt.server_order, random_);
  connect_now();
}

}  // namespace gpio2mqtt::service

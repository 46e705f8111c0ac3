// Two clients with one client id make the broker drop each one when the other connects, and
// both reconnecting at once keeps that going forever. This notices it (MQTT 5 says so; on 3.1.1,
// and with brokers that do not say, connections keep dropping right after they were made while
// every reconnect succeeds: a broker that restarts refuses one first) and says how long to keep
// away, longer each time, so that the other client can stay connected. Time is passed in.
#pragma once

#include <chrono>
#include <optional>

#include "gpio2mqtt/util/clock.h"

namespace gpio2mqtt::service {

class TakeoverGuard {
 public:
  // Shorter-lived than this, kShortLivedInARow times in a row, counts as taken over on 3.1.1.
  static constexpr std::chrono::seconds kShortLived{5};
  static constexpr int kShortLivedInARow = 3;
  static constexpr std::chrono::seconds kFirstWait{30};
  static constexpr std::chrono::seconds kLongestWait{600};
  // A connection that lasted this long ends the dispute: the next wait is kFirstWait again.
  static constexpr std::chrono::seconds kSettled{600};

  void on_connected(MonoTime now) { connected_at_ = now; }
  // A connect failed: the broker was away, so the short connections before were not a takeover.
  void on_connect_failed() { short_lived_ = 0; }
  // The connection was lost; `broker_said_so`: MQTT 5's "session taken over". Returns how long
  // to wait before connecting again when this was a takeover, nullopt for an ordinary loss.
  std::optional<std::chrono::seconds> on_lost(MonoTime now, bool broker_said_so);
  // The last takeover was inferred, not reported by the broker.
  bool inferred() const { return inferred_; }

 private:
  std::optional<MonoTime> connected_at_;
  int short_lived_ = 0;
  bool inferred_ = false;
  std::chrono::seconds wait_ = kFirstWait;
};

}  // namespace gpio2mqtt::service

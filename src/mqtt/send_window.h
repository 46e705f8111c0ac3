// How many messages the paho client holds at once, and the rest waiting here in order.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <utility>
#include <vector>

#include "gpio2mqtt/config/config.h"
#include "gpio2mqtt/mqtt/client.h"
#include "mqtt/held_queue.h"
#include "mqtt/paho_api.h"

namespace gpio2mqtt::mqtt {

// Flow control (found by bench/): paho.mqtt.c 1.3.12 scans its whole command queue
// for every message id it assigns, and with MQTT 5 its send thread sleeps up to 1 s once the
// broker's receive maximum (mosquitto: 20) is in flight, as acknowledgements do not wake it
// (fixed upstream in 1.4, paho.mqtt.c PR #1457). A burst of edges then slowed every publish,
// which let more back up: edges arrived seconds late. So at most kWindow messages go to paho not
// yet done (QoS 0: written, QoS >= 1: acknowledged); the rest wait here in order, at most
// mqtt.buffer of them (then the oldest event goes, counted). Completions wake the loop to hand over
// more, which also wakes paho's send thread: a QoS 0 write each time (paho can lose one's
// completion, so none is waited for), acknowledgements only once half the window is acknowledged.
// Woken for every acknowledgement, at QoS 1 and 1 kHz under qemu the loop and paho's send thread
// each woke once a message and the daemon fell behind (issue 28); in halves, one wake of each moves
// kWindow / 2 messages while paho keeps the rest in flight.
//
// While connected this is where the backlog waits; while not, the bridge's outbox (see "The send
// path" in docs/design.md). Paho itself is never given more than kWindow + 1 (the stop's status).
class SendWindow {
 public:
  static constexpr std::size_t kWindow = 32;
  // While messages are held, the loop is woken when the unacknowledged come down to this many.
  static constexpr std::int64_t kRefillAt = kWindow / 2;
  // paho's own limit (its default); what we hand over stays far below it.
  static constexpr std::size_t kPahoBuffer = 100;
  static_assert(kWindow + 1 <= kPahoBuffer);

  // `paho` and `version` are the owner's, which a fall back to MQTT 3.1.1 replaces. `wake` is
  // called on paho's thread and must not throw; `report` gets the publishes the broker refused.
  SendWindow(const config::MqttConfig& config, const std::unique_ptr<PahoApi>& paho, const std::atomic<int>& version,
             std::function<void()> wake, std::function<void(Event)> report);

  // False when the message could not be handed to the connection (it is down). While messages are
  // held, it is held too, even when the connection went and the loop has not heard yet.
  bool publish(const Message& message);
  // After the loop was woken: hands over what completions made room for.
  void catch_up();
  // What was handed over and not acknowledged, then what was held, oldest first; the window is
  // empty after it. QoS 0 messages not written yet are dropped (and counted).
  std::vector<Message> take_unacknowledged();
  // Stopping: hands over what is held as acknowledgements make room, until `deadline`; what did
  // not go by then stays for take_unacknowledged().
  void drain(std::chrono::steady_clock::time_point deadline);
  // For paho's thread (PahoHandlers::delivered): wakes the loop when completions made room for
  // held messages, or one may be the broker's refusal.
  void on_delivered(bool succeeded, bool acknowledged) noexcept;
  // Messages dropped so far: held beyond mqtt.buffer, or QoS 0 not written when the connection went.
  std::uint64_t dropped() const { return dropped_; }

 private:
  bool hand_over(const Message& message);
  std::size_t handed_over() const { return in_flight_.size() + unwritten_.size(); }
  void forget_done();
  void pump();
  void forget_acknowledged();
  TokenPtr first_incomplete() const;
  void count_dropped(std::uint64_t count, const char* why);

  const config::MqttConfig& config_;
  const std::unique_ptr<PahoApi>& paho_;
  const std::atomic<int>& version_;
  std::function<void()> wake_;
  std::function<void(Event)> report_;
  std::atomic<bool> holding_{false};
  // QoS >= 1 handed over and not acknowledged, counted down on paho's thread as acknowledgements
  // come, and set again from the tokens at each refill.
  std::atomic<std::int64_t> unacknowledged_{0};
  std::atomic<bool> refill_asked_{false};  // since the last refill
  HeldQueue held_{config_.buffer};         // beyond kWindow, not handed to paho yet; superseded states skipped
  std::uint64_t dropped_ = 0;
  std::deque<std::pair<TokenPtr, Message>> in_flight_;
  std::deque<TokenPtr> unwritten_;  // QoS 0 handed over, not written yet
};

}  // namespace gpio2mqtt::mqtt

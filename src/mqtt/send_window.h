// How many messages the paho client holds at once, and the rest waiting here in order.
#pragma once

#include <mqtt/async_client.h>

#include <atomic>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <utility>
#include <vector>

#include "gpio2mqtt/config/config.h"
#include "gpio2mqtt/mqtt/client.h"
#include "mqtt/held_queue.h"

namespace gpio2mqtt::mqtt {

// Wakes the loop when a publish completes while messages are held back (SendWindow::publish()).
class DeliveryListener : public ::mqtt::iaction_listener {
 public:
  DeliveryListener(std::function<void()> wake, const std::atomic<bool>& holding)
      : wake_(std::move(wake)), holding_(holding) {}
  void on_success(const ::mqtt::token&) override {
    if (holding_) wake_();
  }
  void on_failure(const ::mqtt::token&) override {
    wake_();  // maybe the broker refused it: SendWindow::forget_acknowledged() says so
  }

 private:
  std::function<void()> wake_;
  const std::atomic<bool>& holding_;
};

// Flow control (found by bench/): paho.mqtt.c 1.3.12 scans its whole command queue
// for every message id it assigns, and with MQTT 5 its send thread sleeps up to 1 s once the
// broker's receive maximum (mosquitto: 20) is in flight, as acknowledgements do not wake it
// (fixed upstream in 1.4, paho.mqtt.c PR #1457); past 100 queued (our create_options: mqtt.buffer)
// it refuses publishes. A burst of edges then slowed every publish, which let more back up:
// edges arrived seconds late. So at most kWindow messages go to paho not yet done (QoS 0:
// written, QoS >= 1: acknowledged); the rest wait here in order, at most mqtt.buffer of them
// (then the oldest go), and each completion wakes the loop to hand over more, which also wakes
// paho's send thread.
class SendWindow {
 public:
  static constexpr std::size_t kWindow = 32;

  // `client` and `version` are the owner's, which a fall back to MQTT 3.1.1 replaces. `wake` is
  // called on paho's thread and must not throw; `report` gets the publishes the broker refused.
  SendWindow(const config::MqttConfig& config, const std::unique_ptr<::mqtt::async_client>& client,
             const std::atomic<int>& version, std::function<void()> wake, std::function<void(Event)> report);

  bool publish(const Message& message);
  // After the loop was woken: hands over what completions made room for.
  void catch_up();
  std::vector<Message> take_unacknowledged();
  // Hands over everything held back, window or not (stopping).
  void hand_over_held();

 private:
  bool hand_over(const Message& message);
  std::size_t handed_over() const { return in_flight_.size() + unwritten_.size(); }
  void forget_done();
  void pump();
  void forget_acknowledged();

  const config::MqttConfig& config_;
  const std::unique_ptr<::mqtt::async_client>& client_;
  const std::atomic<int>& version_;
  std::function<void(Event)> report_;
  std::atomic<bool> holding_{false};
  HeldQueue held_{config_.buffer};  // beyond kWindow, not handed to paho yet; superseded states skipped
  std::uint64_t held_dropped_ = 0;  // the oldest held, dropped beyond mqtt.buffer
  DeliveryListener delivered_;      // outlives the owner's client, which calls it
  std::deque<std::pair<::mqtt::delivery_token_ptr, Message>> in_flight_;
  std::deque<::mqtt::delivery_token_ptr> unwritten_;  // QoS 0 handed over, not written yet
};

}  // namespace gpio2mqtt::mqtt

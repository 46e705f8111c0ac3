#include "mqtt/send_window.h"

#include <spdlog/spdlog.h>

#include <algorithm>

#include "mqtt/connect_failure.h"

namespace gpio2mqtt::mqtt {

SendWindow::SendWindow(const config::MqttConfig& config, const std::unique_ptr<::mqtt::async_client>& client,
                       const std::atomic<int>& version, std::function<void()> wake, std::function<void(Event)> report)
    : config_(config),
      client_(client),
      version_(version),
      report_(std::move(report)),
      delivered_(std::move(wake), holding_) {}

bool SendWindow::publish(const Message& message) {
  forget_done();
  if (held_.empty() && handed_over() < kWindow) return hand_over(message);
  if (!client_->is_connected()) return false;
  holding_ = true;            // before pump(): an acknowledgement from now on wakes the loop
  if (held_.push(message)) {  // more edges than the broker takes, for long: bounded
    ++held_dropped_;
    if ((held_dropped_ & (held_dropped_ - 1)) == 0)  // logged at powers of two
      spdlog::warn("the broker acknowledges slower than edges come: {} messages dropped so far (mqtt.buffer {})",
                   held_dropped_, config_.buffer);
  }
  pump();
  return true;
}

void SendWindow::catch_up() {
  if (!held_.empty()) pump();
  else forget_done();
}

std::vector<Message> SendWindow::take_unacknowledged() {
  forget_acknowledged();
  std::vector<Message> out;
  for (auto& [token, message] : in_flight_)
    if (!token->is_complete() || token->get_return_code() != 0) out.push_back(std::move(message));
  in_flight_.clear();
  unwritten_.clear();                                                        // QoS 0: not sent again
  for (auto& message : held_.take_all()) out.push_back(std::move(message));  // never handed over
  holding_ = false;
  return out;
}

void SendWindow::hand_over_held() {
  for (const auto& message : held_.take_all()) hand_over(message);
}

bool SendWindow::hand_over(const Message& message) {
  try {
    auto token = client_->publish(message.topic, message.payload.data(), message.payload.size(), message.qos,
                                  message.retain, nullptr, delivered_);
    if (message.qos > 0) in_flight_.emplace_back(std::move(token), message);
    else unwritten_.push_back(std::move(token));
    return true;
  } catch (const ::mqtt::exception& e) {
    spdlog::debug("publish to {} not handed over: {}", message.topic, e.what());
    return false;
  }
}

// Paho writes in the order it was handed messages, so a QoS 0 message written means every one
// before it was written too. That matters: paho 1.3 can lose the completion of a QoS 0 publish
// whose write was split (paho.mqtt.c #1667), and waiting for it would stall the window for good.
void SendWindow::forget_done() {
  forget_acknowledged();
  auto last_written =
      std::find_if(unwritten_.rbegin(), unwritten_.rend(), [](const auto& token) { return token->is_complete(); });
  unwritten_.erase(unwritten_.begin(), last_written.base());
}

void SendWindow::pump() {
  forget_done();
  while (!held_.empty() && handed_over() < kWindow && hand_over(held_.front())) held_.pop();
  holding_ = !held_.empty();
}

// Acknowledgements arrive roughly in order: dropping the finished ones at the front keeps
// the list as short as what is really in flight.
// A publish the broker refused (an MQTT 5 PUBACK reason code >= 128) is done too: sending it
// again would be refused again. It is reported instead, and not counted as published.
void SendWindow::forget_acknowledged() {
  while (!in_flight_.empty() && in_flight_.front().first->is_complete()) {
    const auto& [token, message] = in_flight_.front();
    // Paho 1.3 completes such a publish as a success that carries the reason code.
    int reason = version_ == 5 ? std::max(static_cast<int>(token->get_reason_code()), token->get_return_code()) : 0;
    if (token->get_return_code() != 0 && reason < 128) break;  // lost with the connection: sent again
    if (reason >= 128)
      report_({Event::Kind::kPublishRefused, describe_publish_refusal(config_, reason), message.topic});
    in_flight_.pop_front();
  }
}

}  // namespace gpio2mqtt::mqtt

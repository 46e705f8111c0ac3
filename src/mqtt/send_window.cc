#include "mqtt/send_window.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <bit>

#include "mqtt/connect_failure.h"

namespace gpio2mqtt::mqtt {

SendWindow::SendWindow(const config::MqttConfig& config, const std::unique_ptr<PahoApi>& paho,
                       const std::atomic<int>& version, std::function<void()> wake, std::function<void(Event)> report)
    : config_(config), paho_(paho), version_(version), wake_(std::move(wake)), report_(std::move(report)) {}

bool SendWindow::publish(const Message& message) {
  forget_done();
  if (held_.empty() && handed_over() < kWindow) return hand_over(message);
  // Held without asking paho whether it is connected: that takes paho's lock, which its threads
  // hold while they write and take acknowledgements, and this is every edge while the broker is
  // behind. After a loss paho refuses what pump() offers (paho_api.cc: no sending while
  // disconnected), so what is held stays here until the loop hears of the loss and
  // take_unacknowledged() gives it all back in order.
  holding_ = true;          // before pump(): an acknowledgement from now on wakes the loop
  if (held_.push(message))  // more edges than the broker takes, for long: bounded
    count_dropped(1, "the broker acknowledges slower than edges come");
  pump();
  return true;
}

void SendWindow::on_delivered(bool succeeded, bool acknowledged) noexcept {
  bool room = true;
  if (acknowledged) {
    std::int64_t left = unacknowledged_.fetch_sub(1) - 1;
    room = left <= kRefillAt && !refill_asked_.exchange(true);  // once until the loop refills
  }
  if (!succeeded || (holding_ && room)) wake_();  // a failure may be the broker's refusal: forget_acknowledged() says
}

void SendWindow::catch_up() {
  if (!held_.empty()) pump();
  else forget_done();
}

std::vector<Message> SendWindow::take_unacknowledged() {
  forget_done();
  std::vector<Message> out;
  for (auto& [token, message] : in_flight_)
    if (!token->complete() || token->return_code() != 0) out.push_back(std::move(message));
  in_flight_.clear();
  // QoS 0 promises at most once: sending one again that was maybe written would break that.
  if (!unwritten_.empty()) count_dropped(unwritten_.size(), "QoS 0 messages not written when the connection went");
  unwritten_.clear();
  for (auto& message : held_.take_all()) out.push_back(std::move(message));  // never handed over
  holding_ = false;
  unacknowledged_ = 0;  // what paho still reports of the old connection can only bring a wake early
  refill_asked_ = false;
  return out;
}

void SendWindow::drain(std::chrono::steady_clock::time_point deadline) {
  pump();
  while (!held_.empty() && paho_->is_connected()) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
    TokenPtr next = first_incomplete();
    if (!next || left <= std::chrono::milliseconds(0)) return;  // nothing will make room in time
    try {
      if (!next->wait_for(left)) return;
    } catch (const PahoError&) {
      // It failed: forget_acknowledged() keeps it to be sent again.
    }
    pump();
  }
}

bool SendWindow::hand_over(const Message& message) {
  if (message.qos > 0) ++unacknowledged_;  // before: paho's thread may complete it before publish() returns
  try {
    auto token = paho_->publish(message);
    if (message.qos > 0) in_flight_.emplace_back(std::move(token), message);
    else unwritten_.push_back(std::move(token));
    return true;
  } catch (const PahoError& e) {
    if (message.qos > 0) --unacknowledged_;
    spdlog::debug("publish to {} not handed over: {}", message.topic, e.what());
    return false;
  }
}

TokenPtr SendWindow::first_incomplete() const {
  for (const auto& [token, message] : in_flight_)
    if (!token->complete()) return token;
  for (const auto& token : unwritten_)
    if (!token->complete()) return token;
  return nullptr;
}

void SendWindow::count_dropped(std::uint64_t count, const char* why) {
  std::uint64_t before = dropped_;
  dropped_ += count;
  // Logged when the total passes a power of two, so a long overload does not flood the journal.
  if (std::bit_floor(dropped_) > before)
    spdlog::warn("{}: {} messages dropped so far (mqtt.buffer {})", why, dropped_, config_.buffer);
}

// Paho writes in the order it was handed messages, so a QoS 0 message written means every one
// before it was written too. That matters: paho 1.3 can lose the completion of a QoS 0 publish
// whose write was split (paho.mqtt.c #1667), and waiting for it would stall the window for good.
void SendWindow::forget_done() {
  forget_acknowledged();
  auto last_written =
      std::find_if(unwritten_.rbegin(), unwritten_.rend(), [](const auto& token) { return token->complete(); });
  unwritten_.erase(unwritten_.begin(), last_written.base());
}

void SendWindow::pump() {
  // Taken first: an acknowledgement after forget_done() below then asks (and wakes) again, where
  // it would otherwise find the request still standing and leave held messages for the next edge.
  bool asked = refill_asked_.exchange(false);
  forget_done();
  bool refilled = false;
  while (!held_.empty() && handed_over() < kWindow && hand_over(held_.front())) {
    held_.pop();
    refilled = true;
  }
  // Set from the tokens at each refill, in case paho reported some completion twice or never:
  // acknowledgements racing the count can only make it lower (the next wake comes early), never
  // higher. Not while the window stays full: then every edge came here, and each token is a lock.
  if (refilled || asked) {
    std::int64_t counted = unacknowledged_;
    auto incomplete =
        std::count_if(in_flight_.begin(), in_flight_.end(), [](const auto& m) { return !m.first->complete(); });
    unacknowledged_ += static_cast<std::int64_t>(incomplete) - counted;
  }
  holding_ = !held_.empty();
}

// Acknowledgements arrive roughly in order: dropping the finished ones at the front keeps
// the list as short as what is really in flight.
// A publish the broker refused (an MQTT 5 PUBACK reason code >= 128) is done too: sending it
// again would be refused again. It is reported instead, and not counted as published.
void SendWindow::forget_acknowledged() {
  while (!in_flight_.empty() && in_flight_.front().first->complete()) {
    const auto& [token, message] = in_flight_.front();
    // Paho 1.3 completes such a publish as a success that carries the reason code.
    int reason = version_ == 5 ? std::max(token->reason_code(), token->return_code()) : 0;
    if (token->return_code() != 0 && reason < 128) break;  // lost with the connection: sent again
    if (reason >= 128)
      report_({Event::Kind::kPublishRefused, describe_publish_refusal(config_, reason), message.topic});
    in_flight_.pop_front();
  }
}

}  // namespace gpio2mqtt::mqtt

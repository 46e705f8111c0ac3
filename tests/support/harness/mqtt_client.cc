#include "mqtt_client.h"

#include <mqtt/async_client.h>

#include <optional>

namespace gpio2mqtt::testing {

MqttTestClient::MqttTestClient(const std::string& url, const std::string& client_id)
    : client_(std::make_unique<::mqtt::async_client>(url, client_id)) {
  client_->set_message_callback([this](::mqtt::const_message_ptr message) {
    std::lock_guard lock(mutex_);
    received_.push_back({message->get_topic(), message->get_payload_str(), message->is_retained()});
    arrived_.notify_all();
  });
  auto options = ::mqtt::connect_options_builder().clean_session(true).finalize();
  client_->connect(options)->wait_for(std::chrono::seconds(10));
  if (!client_->is_connected()) throw std::runtime_error("test client could not connect to " + url);
}

MqttTestClient::~MqttTestClient() {
  try {
    client_->disconnect()->wait_for(std::chrono::seconds(2));
  } catch (const std::exception&) {
  }
}

void MqttTestClient::subscribe(const std::string& filter, int qos) {
  client_->subscribe(filter, qos)->wait_for(std::chrono::seconds(10));
}

void MqttTestClient::publish(const std::string& topic, const std::string& payload, bool retain, int qos) {
  client_->publish(topic, payload.data(), payload.size(), qos, retain)->wait_for(std::chrono::seconds(10));
}

std::vector<Received> MqttTestClient::messages() const {
  std::lock_guard lock(mutex_);
  return received_;
}

std::size_t MqttTestClient::size() const {
  std::lock_guard lock(mutex_);
  return received_.size();
}

std::optional<std::size_t> MqttTestClient::wait_for(const std::function<bool(const Received&)>& match, std::size_t from,
                                                    std::chrono::milliseconds timeout) const {
  std::unique_lock lock(mutex_);
  std::optional<std::size_t> found;
  arrived_.wait_for(lock, timeout, [&] {
    for (std::size_t i = from; i < received_.size(); ++i)
      if (match(received_[i])) return (found = i).has_value();
    return false;
  });
  return found;
}

std::optional<std::size_t> MqttTestClient::wait_for(const std::string& topic, const std::string& payload,
                                                    std::size_t from, std::chrono::milliseconds timeout) const {
  return wait_for([&](const Received& r) { return r.topic == topic && r.payload == payload; }, from, timeout);
}

std::vector<std::string> MqttTestClient::payloads_on(const std::string& topic, std::size_t from) const {
  std::lock_guard lock(mutex_);
  std::vector<std::string> out;
  for (std::size_t i = from; i < received_.size(); ++i)
    if (received_[i].topic == topic) out.push_back(received_[i].payload);
  return out;
}

}  // namespace gpio2mqtt::testing

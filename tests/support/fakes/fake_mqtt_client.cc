#include "fake_mqtt_client.h"

#include <sys/eventfd.h>

#include <stdexcept>
#include <utility>

namespace gpio2mqtt::testing {

FakeMqttClient::FakeMqttClient() : wake_(eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC)) {
  if (!wake_.valid()) throw std::runtime_error("eventfd failed");
}

void FakeMqttClient::push(mqtt::Event event) {
  events_.push_back(std::move(event));
  std::uint64_t one = 1;
  if (write(wake_.get(), &one, sizeof one) != sizeof one) throw std::runtime_error("eventfd write failed");
}

void FakeMqttClient::complete_connect(const std::string& text, const std::string& server) {
  connected = true;
  mqtt::Event event{mqtt::Event::Kind::kConnected, text};
  event.server = !server.empty() || connected_to.empty() ? server : connected_to.back();
  push(std::move(event));
}

void FakeMqttClient::fail_connect(const std::string& why, bool falls_back) {
  mqtt::Event event{mqtt::Event::Kind::kConnectFailed, why};
  event.falls_back = falls_back;
  push(std::move(event));
}

void FakeMqttClient::drop_connection(const std::string& why) {
  connected = false;
  push({mqtt::Event::Kind::kConnectionLost, why});
}

void FakeMqttClient::deliver(const std::string& topic, const std::string& payload, bool retained) {
  push({mqtt::Event::Kind::kMessage, "", topic, payload, retained});
}

std::vector<mqtt::Event> FakeMqttClient::take_events() {
  std::uint64_t count;
  [[maybe_unused]] auto was_read = read(wake_.get(), &count, sizeof count);
  if (!fail_next_take.empty()) throw std::runtime_error(std::exchange(fail_next_take, ""));
  return std::exchange(events_, {});
}

bool FakeMqttClient::publish(const Message& message) {
  if (!connected) return false;
  published.push_back(message);
  if (!acknowledges && message.qos > 0) unacknowledged_.push_back(message);
  return true;
}

std::vector<Message> FakeMqttClient::take_unacknowledged() { return std::exchange(unacknowledged_, {}); }

void FakeMqttClient::shutdown(const std::optional<Message>& last, std::chrono::milliseconds budget) {
  shutdowns.push_back({last, budget});
  if (last && connected) published.push_back(*last);
  connected = false;
}

std::vector<std::string> FakeMqttClient::payloads_on(const std::string& topic, std::size_t from) const {
  std::vector<std::string> out;
  for (std::size_t i = from; i < published.size(); ++i)
    if (published[i].topic == topic) out.push_back(published[i].payload);
  return out;
}

}  // namespace gpio2mqtt::testing

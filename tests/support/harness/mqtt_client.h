// A real MQTT client for tests (paho), recording what it receives and waiting with deadlines.
#pragma once

#include <chrono>
#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

namespace mqtt {
class async_client;
}

namespace gpio2mqtt::testing {

struct Received {
  std::string topic;
  std::string payload;
  bool retained = false;
};

class MqttTestClient {
 public:
  MqttTestClient(const std::string& url, const std::string& client_id);
  ~MqttTestClient();

  void subscribe(const std::string& filter, int qos = 1);
  void publish(const std::string& topic, const std::string& payload, bool retain = false, int qos = 1);

  std::vector<Received> messages() const;
  std::size_t size() const;
  // Waits until a message matching `match` arrived at index `from` or later; returns its index.
  std::optional<std::size_t> wait_for(const std::function<bool(const Received&)>& match, std::size_t from = 0,
                                      std::chrono::milliseconds timeout = std::chrono::seconds(10)) const;
  // The same for an exact topic and payload.
  std::optional<std::size_t> wait_for(const std::string& topic, const std::string& payload, std::size_t from = 0,
                                      std::chrono::milliseconds timeout = std::chrono::seconds(10)) const;
  std::vector<std::string> payloads_on(const std::string& topic, std::size_t from = 0) const;

 private:
  std::unique_ptr<::mqtt::async_client> client_;
  mutable std::mutex mutex_;
  mutable std::condition_variable arrived_;
  std::vector<Received> received_;
};

}  // namespace gpio2mqtt::testing

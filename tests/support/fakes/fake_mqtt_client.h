// A recording mqtt::Client for testing the service in-process: it records what the service asks
// of the connection, and the test decides what the broker does (complete or fail a connect,
// deliver a message, drop the connection, acknowledge).
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <vector>

#include "gpio2mqtt/mqtt/client.h"
#include "util/unique_fd.h"

namespace gpio2mqtt::testing {

class FakeMqttClient : public mqtt::Client {
 public:
  struct Subscription {
    std::vector<std::string> topics;
    int qos = 0;
  };
  struct Shutdown {
    std::optional<Message> last;
    std::chrono::milliseconds budget;
  };

  FakeMqttClient();

  // What the broker does; each wakes the service's loop, as paho's thread does.
  // For the latest attempt's node, or `server` (an earlier attempt's, answering late).
  void complete_connect(const std::string& text = "session present: no", const std::string& server = "");
  // `falls_back`: as paho's client when the broker refused MQTT 5 under version: auto.
  void fail_connect(const std::string& why = "connection refused", bool falls_back = false);
  void drop_connection(const std::string& why = "connection lost");
  void deliver(const std::string& topic, const std::string& payload, bool retained = false);
  // Confirms every message handed over so far (false: they wait, unacknowledged).
  bool acknowledges = true;
  void acknowledge() { unacknowledged_.clear(); }
  // What messages_dropped() says.
  std::uint64_t dropped = 0;
  // The next take_events() throws this, as a broken client would.
  std::string fail_next_take;

  // What the service asked for.
  int connects = 0;
  std::vector<std::string> connected_to;  // the server of each connect attempt
  bool connected = false;
  std::vector<Message> published;
  std::vector<Subscription> subscribed;
  std::vector<Subscription> subscribed_retained;  // with their retained messages replayed
  std::size_t read_back_cap = 0;                  // the cap subscribe_retained() was given
  std::vector<std::vector<std::string>> unsubscribed;
  std::vector<Shutdown> shutdowns;
  // The payloads published on `topic`, oldest first; from index `from` of published.
  std::vector<std::string> payloads_on(const std::string& topic, std::size_t from = 0) const;

  // mqtt::Client
  int event_fd() const override { return wake_.get(); }
  std::vector<mqtt::Event> take_events() override;
  void connect(const std::string& server) override {
    ++connects;
    connected_to.push_back(server);
  }
  bool publish(const Message& message) override;
  std::vector<Message> take_unacknowledged() override;
  std::uint64_t messages_dropped() const override { return dropped; }
  void subscribe(const std::vector<std::string>& topics, int qos) override { subscribed.push_back({topics, qos}); }
  void subscribe_retained(const std::vector<std::string>& topics, int qos, std::size_t payload_cap) override {
    subscribed_retained.push_back({topics, qos});
    read_back_cap = payload_cap;
  }
  void unsubscribe(const std::vector<std::string>& topics) override { unsubscribed.push_back(topics); }
  void shutdown(const std::optional<Message>& last, std::chrono::milliseconds budget) override;

 private:
  void push(mqtt::Event event);
  UniqueFd wake_;
  std::vector<mqtt::Event> events_;
  std::vector<Message> unacknowledged_;
};

}  // namespace gpio2mqtt::testing

// A recording mqtt::PahoApi for unit tests of the MQTT client: it records what the client asks of
// paho, and the test plays the broker (accepts or refuses a connect, acknowledges, refuses a
// publish, drops the connection, delivers a message), each reported through the client's handlers
// as paho's thread would.
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "mqtt/paho_api.h"

namespace gpio2mqtt::testing {

// A token the test completes.
class FakeToken : public mqtt::Token {
 public:
  bool complete() const override { return complete_; }
  int return_code() const override { return return_code_; }
  int reason_code() const override { return reason_code_; }
  // Never blocks: runs `on_wait` (the broker answering meanwhile) and says whether it is complete.
  bool wait_for(std::chrono::milliseconds) override;
  std::function<void()> on_wait;

  void finish(int return_code = 0, int reason_code = 0) {
    complete_ = true;
    return_code_ = return_code;
    reason_code_ = reason_code;
  }

 private:
  bool complete_ = false;
  int return_code_ = 0;
  int reason_code_ = 0;
};

class FakePaho : public mqtt::PahoApi {
 public:
  struct Publish {
    Message message;
    std::shared_ptr<FakeToken> token;
  };
  struct Subscription {
    std::string topic;
    int qos;
    bool replay_retained;
  };

  FakePaho(int speaks, mqtt::PahoHandlers handlers) : version(speaks), handlers_(std::move(handlers)) {}

  // The broker's side. A connect is answered for the latest attempt, or for attempt `index` (into
  // attempts) when the answer comes late, after another attempt started.
  void accept_connect(const std::string& cause = "connect onSuccess called");
  void refuse_connect(int code);
  void accept_connect_of(std::size_t index, const std::string& cause = "connect onSuccess called");
  void refuse_connect_of(std::size_t index, int code);
  void lose_connection(const std::string& cause = "");
  void send_disconnect(int reason);
  void deliver(const std::string& topic, const std::string& payload, bool retained = false);
  // Acknowledges (QoS >= 1) or writes (QoS 0) the oldest `count` publishes not yet complete.
  void acknowledge(std::size_t count = static_cast<std::size_t>(-1));
  // Completes publish `index` (into published) as refused with an MQTT 5 reason code.
  void refuse_publish(std::size_t index, int reason);
  // publish() throws while not connected, as paho does with sending while disconnected off
  // (paho_api.cc). This makes it throw while connected too, as when paho refuses one.
  bool refuses_publishes = false;
  // A broker that answers while the client waits: waiting on a publish acknowledges all so far.
  bool acknowledges_while_waited_for = false;

  // What the client asked.
  const int version;
  int connects = 0;
  std::vector<Publish> published;
  std::vector<Subscription> subscribed;
  std::vector<std::string> unsubscribed;
  int disconnects = 0;
  std::size_t incomplete() const;
  std::vector<Message> messages(std::size_t from = 0) const;

  // mqtt::PahoApi
  bool is_connected() const override { return connected_; }
  void connect(const mqtt::ConnectAttempt& attempt) override {
    ++connects;
    servers.push_back(attempt.server);
    attempts.push_back(attempt);
  }
  std::vector<std::string> servers;  // connect() was asked for, in order
  std::vector<mqtt::ConnectAttempt> attempts;
  mqtt::TokenPtr publish(const Message& message) override;
  void subscribe(const std::string& topic, int qos, bool replay_retained) override {
    subscribed.push_back({topic, qos, replay_retained});
  }
  void unsubscribe(const std::string& topic) override { unsubscribed.push_back(topic); }
  mqtt::TokenPtr disconnect(std::chrono::milliseconds timeout) override;

 private:
  mqtt::PahoHandlers handlers_;
  bool connected_ = false;
};

// The factory a client is made with; keeps every FakePaho it made (one per MQTT version tried).
class FakePahoFactory {
 public:
  mqtt::PahoFactory factory();
  FakePaho& last() const { return *made_.back(); }
  std::size_t made() const { return made_.size(); }

 private:
  std::vector<FakePaho*> made_;  // owned by the client
};

}  // namespace gpio2mqtt::testing

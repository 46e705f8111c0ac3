// The MQTT seam: one interface over paho's async_client, used only from the event loop thread.
// Whatever paho reports on its own thread is queued and signalled through event_fd().
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "gpio2mqtt/message.h"

namespace gpio2mqtt::mqtt {

struct Event {
  // kPublishRefused: the broker acknowledged one of our publishes with an error (MQTT 5 PUBACK
  // reason code >= 128, e.g. its ACL), so it was not published; `topic` is where it went.
  enum class Kind { kConnected, kConnectFailed, kConnectionLost, kMessage, kPublishRefused } kind;
  std::string text{};  // the cause for connection events
  std::string topic{};
  std::string payload{};  // cut to just over the client's payload cap: larger is dropped unread
  bool retained = false;
  bool taken_over = false;  // kConnectionLost: another client connected with our client id
  // kConnectFailed: the broker refused MQTT 5 and the next attempt speaks 3.1.1 (version: auto),
  // so the same server is worth trying again at once.
  bool falls_back = false;
  // kConnected, kConnectFailed: the node of the attempt they answer. A connect can be answered
  // after the next attempt started (to another node), so the one connected to is this one.
  std::string server{};
};

class Client {
 public:
  virtual ~Client() = default;
  // Readable while events wait in take_events().
  virtual int event_fd() const = 0;
  virtual std::vector<Event> take_events() = 0;
  // Starts one connection attempt to `server` (one of the config's mqtt.servers); its outcome
  // arrives as kConnected or kConnectFailed.
  virtual void connect(const std::string& server) = 0;
  // False when the message could not be handed to the connection.
  virtual bool publish(const Message& message) = 0;
  // Messages with QoS >= 1 handed over since the last call whose delivery the broker has not
  // acknowledged, oldest first; call it when the connection is lost, to send them again.
  virtual std::vector<Message> take_unacknowledged() = 0;
  // Messages handed to publish() that the client dropped since it was made, each logged with
  // why: more waited for the broker than mqtt.buffer, or QoS 0 ones the connection took along.
  virtual std::uint64_t messages_dropped() const = 0;
  // Subscriptions that replay nothing retained: commands.
  virtual void subscribe(const std::vector<std::string>& topics, int qos) = 0;
  // Subscriptions that do replay what is retained (our own messages echo back too), whose
  // messages are cut to `payload_cap` instead: for the bridge to read back what it left on the
  // broker before (its discovery payload, longer than any command).
  virtual void subscribe_retained(const std::vector<std::string>& topics, int qos, std::size_t payload_cap) = 0;
  virtual void unsubscribe(const std::vector<std::string>& topics) = 0;
  // A clean stop: publishes `last` (if connected) and waits for it, then disconnects, all within
  // `budget` even when the broker is gone.
  virtual void shutdown(const std::optional<Message>& last, std::chrono::milliseconds budget) = 0;
};

}  // namespace gpio2mqtt::mqtt

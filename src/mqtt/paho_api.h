// The calls the MQTT client makes of paho.mqtt.cpp, as an interface (as sdbus-c++ puts ISdBus
// between its proxy and libsystemd): paho_api.cc implements it over paho's async_client (1.2 on
// bookworm, 1.5 on trixie), and the unit tests over a fake that plays the broker. Only
// paho_api.cc includes paho's headers.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <stdexcept>
#include <string>

#include "gpio2mqtt/config/config.h"
#include "gpio2mqtt/message.h"

namespace gpio2mqtt::mqtt {

// What paho threw (mqtt::exception), with its text and return code.
class PahoError : public std::runtime_error {
 public:
  PahoError(const std::string& what, int code) : std::runtime_error(what), code_(code) {}
  int code() const { return code_; }

 private:
  int code_;
};

// A request handed to paho (a publish, a disconnect), asked later how it ended.
class Token {
 public:
  virtual ~Token() = default;
  // Done: written (QoS 0), acknowledged (QoS >= 1), or failed.
  virtual bool complete() const = 0;
  // 0 when it succeeded, else paho's error (e.g. lost with the connection).
  virtual int return_code() const = 0;
  // MQTT 5: the broker's reason code (a PUBACK's >= 128: refused); 0 otherwise.
  virtual int reason_code() const = 0;
  // Waits up to `timeout`; true when it completed in time. Throws PahoError when it failed.
  virtual bool wait_for(std::chrono::milliseconds timeout) = 0;
};
using TokenPtr = std::shared_ptr<Token>;

// One connection attempt: the node it went to and the client's count of attempts. Its outcome
// comes back with it, so a late outcome of an earlier attempt (paho's thread can report one after
// the next attempt started, when failover moves on at once) is told apart from the latest one's,
// and a success names the node that actually answered.
struct ConnectAttempt {
  std::string server;
  std::uint64_t number = 0;
};

// What paho reports, on its own thread; none of them may throw.
struct PahoHandlers {
  std::function<void(const ConnectAttempt& attempt, const std::string& cause)> connected;
  // paho's return code: > 0 the broker's CONNACK refusal, else a failure before any CONNACK.
  std::function<void(const ConnectAttempt& attempt, int code)> connect_failed;
  std::function<void(const std::string& cause)> connection_lost;
  // The broker's DISCONNECT (MQTT 5), with its reason code.
  std::function<void(int reason)> disconnected;
  std::function<void(const std::string& topic, const std::string& payload, bool retained)> message;
  // A publish completed; `succeeded` false when it failed; `acknowledged` for QoS >= 1 (the broker's
  // acknowledgement, whose completion paho never loses), false for QoS 0 (written).
  std::function<void(bool succeeded, bool acknowledged)> delivered;
};

// One paho client: one server, client id and MQTT version for life. Calls throw PahoError when
// paho refuses them.
class PahoApi {
 public:
  virtual ~PahoApi() = default;
  virtual bool is_connected() const = 0;
  // Starts one connection attempt: PahoHandlers::connected or connect_failed follows, for it.
  // Connects to `attempt.server` alone (one node per attempt: paho would try a list from its first node on
  // every connect, so a dead first node would delay each reconnect by its own failure).
  virtual void connect(const ConnectAttempt& attempt) = 0;
  virtual TokenPtr publish(const Message& message) = 0;
  // `replay_retained` false: the broker replays nothing retained and shows the retain flag of live
  // messages (MQTT 5); true: it replays what is retained (our own messages echo back too).
  virtual void subscribe(const std::string& topic, int qos, bool replay_retained) = 0;
  virtual void unsubscribe(const std::string& topic) = 0;
  // A clean DISCONNECT, waiting up to `timeout` for what is in flight.
  virtual TokenPtr disconnect(std::chrono::milliseconds timeout) = 0;
};

// Makes a paho client for `config` speaking `version` (5, or 4 for 3.1.1) that reports to
// `handlers`. paho itself never holds more than `max_buffered` messages.
using PahoFactory = std::function<std::unique_ptr<PahoApi>(int version, PahoHandlers handlers)>;
std::unique_ptr<PahoApi> make_paho_api(const config::MqttConfig& config, int version, std::size_t max_buffered,
                                       PahoHandlers handlers);

}  // namespace gpio2mqtt::mqtt

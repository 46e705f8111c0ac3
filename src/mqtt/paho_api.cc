// PahoApi over paho.mqtt.cpp's async_client: the same calls on 1.2 (bookworm) and 1.5 (trixie).
#include "mqtt/paho_api.h"

#include <mqtt/async_client.h>

#include <deque>

#include "util/tcp.h"

namespace gpio2mqtt::mqtt {
namespace {

PahoError error_of(const ::mqtt::exception& e) { return PahoError(e.what(), e.get_return_code()); }

class PahoToken : public Token {
 public:
  explicit PahoToken(::mqtt::token_ptr token) : token_(std::move(token)) {}
  bool complete() const override { return token_->is_complete(); }
  int return_code() const override { return token_->get_return_code(); }
  int reason_code() const override { return static_cast<int>(token_->get_reason_code()); }
  bool wait_for(std::chrono::milliseconds timeout) override {
    try {
      return token_->wait_for(timeout);
    } catch (const ::mqtt::exception& e) {
      throw error_of(e);
    }
  }

 private:
  ::mqtt::token_ptr token_;
};

// One connect attempt's listener: paho reports that attempt's outcome here, so it carries the
// attempt (its node and number). paho.mqtt.cpp's connected handler says only "connected", and one
// listener shared by every attempt named whatever node was tried last: a late failure of an
// earlier attempt was taken for the latest's, and the success of the node that did answer was
// logged under another one.
class ConnectListener : public ::mqtt::iaction_listener {
 public:
  ConnectListener(ConnectAttempt attempt, const PahoHandlers& handlers)
      : attempt_(std::move(attempt)), handlers_(handlers) {}
  void on_failure(const ::mqtt::token& token) override { handlers_.connect_failed(attempt_, token.get_return_code()); }
  void on_success(const ::mqtt::token&) override {
    set_tcp_nodelay_everywhere();  // before the first publish: see util/tcp.h
    handlers_.connected(attempt_, "connect onSuccess called");
  }

 private:
  ConnectAttempt attempt_;
  const PahoHandlers& handlers_;
};

// Calls `on_failure` with paho's return code when a request fails, `on_success` when it succeeds.
class Listener : public ::mqtt::iaction_listener {
 public:
  Listener(std::function<void(int)> on_failure, std::function<void()> on_success)
      : on_failure_(std::move(on_failure)), on_success_(std::move(on_success)) {}
  void on_failure(const ::mqtt::token& token) override { on_failure_(token.get_return_code()); }
  void on_success(const ::mqtt::token&) override { on_success_(); }

 private:
  std::function<void(int)> on_failure_;
  std::function<void()> on_success_;
};

class PahoConnection : public PahoApi {
 public:
  PahoConnection(const config::MqttConfig& config, int version, std::size_t max_buffered, PahoHandlers handlers)
      : version_(version),
        handlers_(std::move(handlers)),
        written_listener_([this](int) { handlers_.delivered(false, false); },
                          [this] { handlers_.delivered(true, false); }),
        acknowledged_listener_([this](int) { handlers_.delivered(false, true); },
                               [this] { handlers_.delivered(true, true); }) {
    int paho_version = version == 5 ? MQTTVERSION_5 : MQTTVERSION_3_1_1;
    ::mqtt::create_options options(paho_version, static_cast<int>(max_buffered));
    // That constructor also lets paho take publishes while disconnected and send them after the
    // next connect. Ours wait in the bridge's outbox instead, and what paho had not finished
    // goes there too (take_unacknowledged()): a publish paho took after a loss the loop had not
    // heard of yet went out twice after the reconnect, and out of order. Refused, it stays ours.
    // The limit on what paho holds applies either way.
    options.set_send_while_disconnected(false);
    try {
      client_ = std::make_unique<::mqtt::async_client>(config.server, config.client_id, options, nullptr);
    } catch (const ::mqtt::exception& e) {
      throw error_of(e);
    }
    // Handlers are set before connect(): paho refuses changes while a connect is in progress. A
    // connect's success is reported by its own listener (ConnectListener), which knows its node.
    client_->set_connection_lost_handler([this](const std::string& cause) { handlers_.connection_lost(cause); });
    client_->set_disconnected_handler([this](const ::mqtt::properties&, ::mqtt::ReasonCode reason) {
      handlers_.disconnected(static_cast<int>(reason));
    });
    client_->set_message_callback([this](::mqtt::const_message_ptr message) {
      handlers_.message(message->get_topic(), message->get_payload(), message->is_retained());
    });
    options_ = connect_options(config, paho_version);
  }

  ~PahoConnection() override {
    try {
      if (client_->is_connected()) client_->disconnect(0)->wait_for(std::chrono::seconds(1));
    } catch (const std::exception&) {
    }
  }

  bool is_connected() const override { return client_->is_connected(); }

  void connect(const ConnectAttempt& attempt) override {
    try {
      // paho.mqtt.c keeps one connect's callbacks per client (m->connect), and MQTTAsync_connect
      // writes the new attempt's there before it takes paho's lock. On a loss, paho's thread calls
      // connectionLost and then, under that lock still, m->connect's failure callback: a connect
      // made at once on hearing of the loss had its fresh callbacks called with the old
      // connection's -1 ("socket error"), so failover left the node it was connecting to, and
      // that node's CONNACK was later reported to the next attempt's listener (the daemon was on B
      // and said A). is_connected() takes that lock (MQTTAsync_isConnected): once it returns,
      // paho's thread is done with the loss, and this attempt's callbacks are its own.
      client_->is_connected();
      options_.set_servers(std::make_shared<::mqtt::string_collection>(attempt.server));
      connect_listeners_.push_back(std::make_unique<ConnectListener>(attempt, handlers_));
      // paho.mqtt.cpp frees the previous connect's token when the next connect starts, but its
      // thread may still be in that token's failure callback: the failure event is pushed from
      // inside it, and failover to the next node connects at once (ASan saw the use after free).
      // Held here for a few more connects, it outlives its callback; so does its listener.
      connect_tokens_.push_back(client_->connect(options_, nullptr, *connect_listeners_.back()));
      if (connect_tokens_.size() > kConnectTokensKept) connect_tokens_.pop_front();
      if (connect_listeners_.size() > kConnectTokensKept) connect_listeners_.pop_front();
    } catch (const ::mqtt::exception& e) {
      throw error_of(e);
    }
  }

  TokenPtr publish(const Message& message) override {
    try {
      return std::make_shared<PahoToken>(
          client_->publish(message.topic, message.payload.data(), message.payload.size(), message.qos, message.retain,
                           nullptr, message.qos > 0 ? acknowledged_listener_ : written_listener_));
    } catch (const ::mqtt::exception& e) {
      throw error_of(e);
    }
  }

  void subscribe(const std::string& topic, int qos, bool replay_retained) override {
    // Not no-local either way: a previous run published the retained message under the same
    // client id, and its replay is the point of replay_retained.
    auto options = replay_retained
                       ? ::mqtt::subscribe_options(false, false, ::mqtt::subscribe_options::SEND_RETAINED_ON_SUBSCRIBE)
                       : ::mqtt::subscribe_options(false, true, ::mqtt::subscribe_options::DONT_SEND_RETAINED);
    try {
      if (version_ == 5) client_->subscribe(topic, qos, options);
      else client_->subscribe(topic, qos);
    } catch (const ::mqtt::exception& e) {
      throw error_of(e);
    }
  }

  void unsubscribe(const std::string& topic) override {
    try {
      client_->unsubscribe(topic);
    } catch (const ::mqtt::exception& e) {
      throw error_of(e);
    }
  }

  TokenPtr disconnect(std::chrono::milliseconds timeout) override {
    try {
      return std::make_shared<PahoToken>(client_->disconnect(static_cast<int>(timeout.count())));
    } catch (const ::mqtt::exception& e) {
      throw error_of(e);
    }
  }

 private:
  static ::mqtt::connect_options connect_options(const config::MqttConfig& config, int paho_version) {
    // The version is set first: it resets clean session / clean start.
    auto builder = ::mqtt::connect_options_builder()
                       .mqtt_version(paho_version)
                       .keep_alive_interval(config.keepalive)
                       .connect_timeout(std::chrono::seconds(10))
                       .will(::mqtt::will_options(config.status.topic, config.status.offline, 1, true));
    if (paho_version == MQTTVERSION_5) builder.clean_start(true);
    else builder.clean_session(true);
    if (!config.username.empty()) builder.user_name(config.username);
    if (!config.password.empty()) builder.password(config.password);
    if (config.tls.enabled) {
      // paho 1.2 checks neither the chain nor the host name unless asked.
      auto ssl =
          ::mqtt::ssl_options_builder().enable_server_cert_auth(!config.tls.insecure).verify(!config.tls.insecure);
      if (!config.tls.ca_file.empty()) ssl.trust_store(config.tls.ca_file);  // else the system's CAs
      if (!config.tls.cert_file.empty()) ssl.key_store(config.tls.cert_file).private_key(config.tls.key_file);
      builder.ssl(ssl.finalize());
    }
    return builder.finalize();
  }

  int version_;
  PahoHandlers handlers_;
  static constexpr std::size_t kConnectTokensKept = 3;
  // Before client_, which calls them: they outlive it. The last connects' listeners, as their tokens.
  Listener written_listener_;  // QoS 0
  Listener acknowledged_listener_;
  std::deque<std::unique_ptr<ConnectListener>> connect_listeners_;
  std::unique_ptr<::mqtt::async_client> client_;
  ::mqtt::connect_options options_;
  std::deque<::mqtt::token_ptr> connect_tokens_;  // the last connects', after client_: they go first
};

}  // namespace

std::unique_ptr<PahoApi> make_paho_api(const config::MqttConfig& config, int version, std::size_t max_buffered,
                                       PahoHandlers handlers) {
  return std::make_unique<PahoConnection>(config, version, max_buffered, std::move(handlers));
}

}  // namespace gpio2mqtt::mqtt

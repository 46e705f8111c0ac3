#include "mqtt/paho_client.h"

#include <mqtt/async_client.h>
#include <spdlog/spdlog.h>
#include <sys/eventfd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstring>
#include <mutex>
#include <optional>

#include "mqtt/connect_failure.h"
#include "mqtt/send_window.h"
#include "util/tcp.h"
#include "util/unique_fd.h"

namespace gpio2mqtt::mqtt {
namespace {

// Paho calls back on its own thread; this only queues and wakes the loop (never waits on a token
// there: the acknowledgement would need the very thread that waits).
class EventQueue {
 public:
  EventQueue() : fd_(eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC)) {
    if (!fd_.valid()) throw std::runtime_error(std::string("eventfd: ") + std::strerror(errno));
  }
  int fd() const { return fd_.get(); }
  // Messages beyond this many waiting are dropped (and counted), so a flood from the broker
  // cannot grow memory while the loop catches up; connection events are always kept.
  static constexpr std::size_t kMaxWaitingMessages = 1000;

  void push(Event event) noexcept {
    try {
      std::lock_guard lock(mutex_);
      if (event.kind == Event::Kind::kMessage && ++waiting_messages_ > kMaxWaitingMessages) {
        ++dropped_;
        return;
      }
      events_.push_back(std::move(event));
    } catch (...) {
      return;  // out of memory on paho's thread: losing one event beats terminating
    }
    wake();
  }
  // Makes the loop call take_events() without an event (see SendWindow::publish()).
  void wake() noexcept {
    std::uint64_t one = 1;
    [[maybe_unused]] auto written = write(fd_.get(), &one, sizeof one);
  }
  std::vector<Event> take() {
    std::uint64_t count;
    [[maybe_unused]] auto was_read = read(fd_.get(), &count, sizeof count);
    std::lock_guard lock(mutex_);
    if (dropped_) {
      spdlog::warn("dropped {} incoming messages: more than {} were waiting", dropped_, kMaxWaitingMessages);
      dropped_ = 0;
    }
    waiting_messages_ = 0;
    return std::exchange(events_, {});
  }

 private:
  UniqueFd fd_;
  std::mutex mutex_;
  std::vector<Event> events_;
  std::size_t waiting_messages_ = 0;
  std::uint64_t dropped_ = 0;
};

class ConnectListener : public ::mqtt::iaction_listener {
 public:
  ConnectListener(EventQueue& queue, const config::MqttConfig& config, const std::atomic<int>& version,
                  std::atomic<bool>& fall_back)
      : queue_(queue), config_(config), version_(version), fall_back_(fall_back) {}
  // On paho's thread, which has nothing else to do while disconnected: the probe may take a while.
  void on_failure(const ::mqtt::token& token) override {
    try {
      Event event{Event::Kind::kConnectFailed, explain(token.get_return_code())};
      event.falls_back = fall_back_;
      queue_.push(std::move(event));
    } catch (const std::exception& e) {
      queue_.push({Event::Kind::kConnectFailed, std::string("connection failed: ") + e.what()});
    }
  }
  void on_success(const ::mqtt::token&) override {}  // the connected handler reports it

 private:
  std::string explain(int code) {
    if (code > 0) {
      auto failure = describe_refusal(config_, version_, code);
      if (failure.kind == FailureKind::kVersionRefused && config_.version == config::kAutoVersion && version_ == 5) {
        fall_back_ = true;
        return "the broker refuses MQTT 5 (CONNACK code " + std::to_string(code) +
               "); trying MQTT 3.1.1 next (mqtt.version: auto)";
      }
      return failure.text;
    }
    // Paho says -1 for everything before a CONNACK: find out what it was.
    std::string why = probe_transport(config_, std::chrono::seconds(3));
    if (!why.empty()) return why;
    if (config_.version == config::kAutoVersion && version_ == 5) {
      // RabbitMQ 3.x (Debian 12's) answers an MQTT 5 CONNECT by closing the connection.
      fall_back_ = true;
      return "the broker closed the connection without answering MQTT 5; trying MQTT 3.1.1 next (mqtt.version: auto)";
    }
    return "the broker closed the connection before answering (paho code " + std::to_string(code) +
           "), though it accepts connections" + (config_.tls.enabled ? " and its certificate verifies" : "") +
           ": is mqtt.server's scheme right (mqtt, mqtts, ws, wss)?";
  }

  EventQueue& queue_;
  const config::MqttConfig& config_;
  const std::atomic<int>& version_;
  std::atomic<bool>& fall_back_;
};

class PahoClient : public Client {
 public:
  PahoClient(const config::MqttConfig& config, std::size_t payload_cap)
      : config_(config),
        payload_cap_(payload_cap),
        version_(config.version == 4 ? 4 : 5),
        listener_(queue_, config_, version_, fall_back_) {
    build(version_);
  }

  ~PahoClient() override {
    try {
      if (client_->is_connected()) client_->disconnect(0)->wait_for(std::chrono::seconds(1));
    } catch (const std::exception&) {
    }
  }

  int event_fd() const override { return queue_.fd(); }
  std::vector<Event> take_events() override {
    // The eventfd is read first, then the tokens: a completion after that read wakes the loop
    // again. Pumping first lost the wake of completions landing between the two, and when those
    // were the window's last, held messages waited for the next edge (seen at QoS 0 under load).
    auto events = queue_.take();
    window_.catch_up();
    return events;
  }

  void connect(const std::string& server) override {
    if (fall_back_.exchange(false)) {
      spdlog::warn("the broker at {} speaks only MQTT 3.1.1: using 3.1.1 (set mqtt.version: 3.1.1 to skip trying 5)",
                   config_.server);
      build(4);
    }
    use_server(server);
    try {
      client_->connect(options_, nullptr, listener_);
    } catch (const ::mqtt::exception& e) {
      queue_.push({Event::Kind::kConnectFailed, e.what()});
    }
  }

  bool publish(const Message& message) override { return window_.publish(message); }

  std::vector<Message> take_unacknowledged() override { return window_.take_unacknowledged(); }

  void subscribe(const std::vector<std::string>& topics, int qos) override {
    // v5: retain handling 2 keeps the broker from replaying retained commands at all, and
    // retain-as-published shows a live retained command as such, so it is refused too. (3.1.1
    // brokers clear the flag on live delivery; their replays still carry it and are refused.)
    subscribe_with(topics, qos, ::mqtt::subscribe_options(false, true, ::mqtt::subscribe_options::DONT_SEND_RETAINED));
  }

  void subscribe_retained(const std::vector<std::string>& topics, int qos, std::size_t payload_cap) override {
    {
      std::lock_guard lock(read_back_mutex_);
      read_back_topics_ = topics;
      read_back_cap_ = payload_cap;
    }
    // Not no-local: a previous run published the retained message under the same client id, and
    // the replay is the point. Our own messages echo back; the reader takes the first only.
    subscribe_with(topics, qos,
                   ::mqtt::subscribe_options(false, false, ::mqtt::subscribe_options::SEND_RETAINED_ON_SUBSCRIBE));
  }

  // The cap of messages on `topic` when it was subscribed with subscribe_retained(); called on
  // paho's thread.
  std::optional<std::size_t> read_back_cap(const std::string& topic) {
    std::lock_guard lock(read_back_mutex_);
    if (std::find(read_back_topics_.begin(), read_back_topics_.end(), topic) == read_back_topics_.end())
      return std::nullopt;
    return read_back_cap_;
  }

  void subscribe_with(const std::vector<std::string>& topics, int qos, const ::mqtt::subscribe_options& options) {
    for (const auto& topic : topics) {
      try {
        if (version_ == 5) client_->subscribe(topic, qos, options);
        else client_->subscribe(topic, qos);
      } catch (const ::mqtt::exception& e) {
        spdlog::warn("cannot subscribe to {}: {}", topic, e.what());
      }
    }
  }

  void unsubscribe(const std::vector<std::string>& topics) override {
    for (const auto& topic : topics) {
      try {
        client_->unsubscribe(topic);
      } catch (const ::mqtt::exception& e) {
        spdlog::warn("cannot unsubscribe from {}: {}", topic, e.what());
      }
    }
  }

  void shutdown(const std::optional<Message>& last, std::chrono::milliseconds budget) override {
    auto deadline = std::chrono::steady_clock::now() + budget;
    auto remaining = [&] {
      return std::max(std::chrono::milliseconds(0), std::chrono::duration_cast<std::chrono::milliseconds>(
                                                        deadline - std::chrono::steady_clock::now()));
    };
    if (client_->is_connected()) window_.hand_over_held();  // what flow control held back goes before the Off
    try {
      // A clean DISCONNECT discards the will (and paho 1.2 cannot ask for it), so say Off ourselves.
      if (last && client_->is_connected())
        client_->publish(last->topic, last->payload.data(), last->payload.size(), last->qos, last->retain)
            ->wait_for(remaining() * 2 / 3);
    } catch (const ::mqtt::exception& e) {
      spdlog::warn("could not publish {} before stopping: {}", last->topic, e.what());
    }
    try {
      client_->disconnect(static_cast<int>(remaining().count() / 2))->wait_for(remaining());
    } catch (const ::mqtt::exception&) {
      // Not connected: the call still stopped any reconnect attempt in progress.
    }
  }

 private:
  // On paho's thread: the connection ended; the first report since the connect is the one.
  void report_loss(std::string why, bool taken_over) {
    if (loss_reported_.exchange(true)) return;
    Event event{Event::Kind::kConnectionLost, std::move(why)};
    event.taken_over = taken_over;
    queue_.push(std::move(event));
  }

  // One node per attempt, as paho's server list: paho would try its list from the first node on
  // every connect, so a dead first node would delay each reconnect by its own failure. The config's
  // copy names the node in what a failed connect is explained with (see explain()).
  void use_server(const std::string& server) {
    config_.server = server;
    options_.set_servers(std::make_shared<::mqtt::string_collection>(server));
  }

  // A paho client speaks one MQTT version for life: falling back to 3.1.1 makes a new one.
  void build(int version) {
    version_ = version;
    int paho_version = version == 5 ? MQTTVERSION_5 : MQTTVERSION_3_1_1;
    // paho refuses a publish (-12) while 100 wait for its send thread, even connected; a burst
    // of edges (two messages each) is more. Take as many as the outbox keeps while disconnected.
    int buffered = static_cast<int>(std::min<std::size_t>(std::max<std::size_t>(config_.buffer, 100), 1'000'000));
    client_.reset();  // its callbacks point here: the old one goes first
    client_ = std::make_unique<::mqtt::async_client>(config_.server, config_.client_id,
                                                     ::mqtt::create_options(paho_version, buffered), nullptr);
    if (version == 4)
      spdlog::warn(
          "MQTT 3.1.1: a command published with retain is delivered live without its retained flag, so it is "
          "acted on (only replays are refused), and the broker cannot say why it closed the connection; "
          "MQTT 5 protects against both");
    // Handlers are set before connect(): paho refuses changes while a connect is in progress.
    client_->set_connected_handler([this](const std::string& cause) {
      set_tcp_nodelay_everywhere();  // before the first publish: see util/tcp.h
      loss_reported_ = false;
      queue_.push({Event::Kind::kConnected, cause});
    });
    client_->set_connection_lost_handler(
        [this](const std::string& cause) { report_loss(cause.empty() ? "connection lost" : cause, false); });
    // A broker's DISCONNECT (MQTT 5) ends the connection too, and paho.mqtt.c 1.3.14 (Debian 13)
    // then calls no connection-lost handler: reported here, once, whichever comes first.
    client_->set_disconnected_handler([this](const ::mqtt::properties&, ::mqtt::ReasonCode reason) {
      if (reason == ::mqtt::ReasonCode::SESSION_TAKEN_OVER)
        report_loss("the broker gave our session to another client with the same client id '" + config_.client_id +
                        "' (MQTT 5 reason: session taken over)",
                    true);
      else
        report_loss(
            "the broker closed the connection (MQTT 5 reason code " + std::to_string(static_cast<int>(reason)) + ")",
            false);
    });
    client_->set_message_callback([this](::mqtt::const_message_ptr message) {
      const auto& payload = message->get_payload();
      Event event{Event::Kind::kMessage, {}, message->get_topic()};
      event.payload = payload.substr(0, read_back_cap(event.topic).value_or(payload_cap_) + 1);
      event.retained = message->is_retained();
      queue_.push(std::move(event));
    });
    // The version is set first: it resets clean session / clean start.
    auto builder = ::mqtt::connect_options_builder()
                       .mqtt_version(paho_version)
                       .keep_alive_interval(config_.keepalive)
                       .connect_timeout(std::chrono::seconds(10))
                       .will(::mqtt::will_options(config_.status.topic, config_.status.offline, 1, true));
    if (version == 5) builder.clean_start(true);
    else builder.clean_session(true);
    if (!config_.username.empty()) builder.user_name(config_.username);
    if (!config_.password.empty()) builder.password(config_.password);
    if (config_.tls.enabled) {
      // paho 1.2 checks neither the chain nor the host name unless asked.
      auto ssl =
          ::mqtt::ssl_options_builder().enable_server_cert_auth(!config_.tls.insecure).verify(!config_.tls.insecure);
      if (!config_.tls.ca_file.empty()) ssl.trust_store(config_.tls.ca_file);  // else the system's CAs
      if (!config_.tls.cert_file.empty()) ssl.key_store(config_.tls.cert_file).private_key(config_.tls.key_file);
      builder.ssl(ssl.finalize());
    }
    options_ = builder.finalize();
  }

  config::MqttConfig config_;
  std::size_t payload_cap_;
  EventQueue queue_;
  SendWindow window_{config_, client_, version_, [this] { queue_.wake(); },
                     [this](Event event) { queue_.push(std::move(event)); }};  // outlives client_, which calls it
  std::mutex read_back_mutex_;  // before client_, whose thread reads what it guards
  std::vector<std::string> read_back_topics_;
  std::size_t read_back_cap_ = 0;
  std::atomic<int> version_;                // 5 or 4 (3.1.1): what client_ speaks
  std::atomic<bool> fall_back_{false};      // auto: the broker refused 5, use 3.1.1 from the next connect
  std::atomic<bool> loss_reported_{false};  // since the last connect: by the broker's DISCONNECT or paho
  ConnectListener listener_;
  std::unique_ptr<::mqtt::async_client> client_;
  ::mqtt::connect_options options_;
};

}  // namespace

std::unique_ptr<Client> make_paho_client(const config::MqttConfig& config, std::size_t payload_cap) {
  try {
    return std::make_unique<PahoClient>(config, payload_cap);
  } catch (const ::mqtt::exception& e) {
    throw std::runtime_error("mqtt: cannot create a client for " + config.server + ": " + e.what());
  }
}

}  // namespace gpio2mqtt::mqtt

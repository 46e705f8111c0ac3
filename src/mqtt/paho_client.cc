#include "mqtt/paho_client.h"

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

// The broker's DISCONNECT reason code when another client connected with our client id.
constexpr int kSessionTakenOver = 0x8E;

class PahoClient : public Client {
 public:
  PahoClient(const config::MqttConfig& config, std::size_t payload_cap, PahoFactory make_paho)
      : config_(config),
        payload_cap_(payload_cap),
        make_paho_(std::move(make_paho)),
        version_(config.version == 4 ? 4 : 5) {
    build(version_);
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
      // The supervisor tries the node that refused 5 again.
      spdlog::warn("the broker at {} speaks only MQTT 3.1.1: using 3.1.1 (set mqtt.version: 3.1.1 to skip trying 5)",
                   server);
      build(4);
    }
    ConnectAttempt attempt{server, ++attempts_};  // counted before paho can report on it
    try {
      paho_->connect(attempt);
    } catch (const PahoError& e) {
      Event event{Event::Kind::kConnectFailed, e.what()};
      event.server = server;
      queue_.push(std::move(event));
    }
  }

  bool publish(const Message& message) override { return window_.publish(message); }

  std::vector<Message> take_unacknowledged() override { return window_.take_unacknowledged(); }

  std::uint64_t messages_dropped() const override { return window_.dropped(); }

  void subscribe(const std::vector<std::string>& topics, int qos) override {
    // v5: retain handling 2 keeps the broker from replaying retained commands at all, and
    // retain-as-published shows a live retained command as such, so it is refused too. (3.1.1
    // brokers clear the flag on live delivery; their replays still carry it and are refused.)
    subscribe_with(topics, qos, false);
  }

  void subscribe_retained(const std::vector<std::string>& topics, int qos, std::size_t payload_cap) override {
    {
      std::lock_guard lock(read_back_mutex_);
      read_back_topics_ = topics;
      read_back_cap_ = payload_cap;
    }
    // A previous run published the retained message under the same client id, and the replay is
    // the point. Our own messages echo back; the reader takes the first only.
    subscribe_with(topics, qos, true);
  }

  void unsubscribe(const std::vector<std::string>& topics) override {
    for (const auto& topic : topics) {
      try {
        paho_->unsubscribe(topic);
      } catch (const PahoError& e) {
        spdlog::warn("cannot unsubscribe from {}: {}", topic, e.what());
      }
    }
  }

  void shutdown(const std::optional<Message>& last, std::chrono::milliseconds budget) override {
    auto start = std::chrono::steady_clock::now();
    auto deadline = start + budget;
    auto remaining = [&] {
      return std::max(std::chrono::milliseconds(0), std::chrono::duration_cast<std::chrono::milliseconds>(
                                                        deadline - std::chrono::steady_clock::now()));
    };
    // What flow control held back goes before the Off, as the window makes room, within half the
    // budget; the rest stays for take_unacknowledged().
    if (paho_->is_connected()) window_.drain(start + budget / 2);
    try {
      // A clean DISCONNECT discards the will (and paho 1.2 cannot ask for it), so say Off ourselves.
      if (last && paho_->is_connected()) paho_->publish(*last)->wait_for(remaining() * 2 / 3);
    } catch (const PahoError& e) {
      spdlog::warn("could not publish {} before stopping: {}", last->topic, e.what());
    }
    try {
      paho_->disconnect(remaining() / 2)->wait_for(remaining());
    } catch (const PahoError&) {
      // Not connected: the call still stopped any reconnect attempt in progress.
    }
  }

 private:
  void subscribe_with(const std::vector<std::string>& topics, int qos, bool replay_retained) {
    for (const auto& topic : topics) {
      try {
        paho_->subscribe(topic, qos, replay_retained);
      } catch (const PahoError& e) {
        spdlog::warn("cannot subscribe to {}: {}", topic, e.what());
      }
    }
  }

  // The cap of messages on `topic` when it was subscribed with subscribe_retained(); called on
  // paho's thread.
  std::optional<std::size_t> read_back_cap(const std::string& topic) {
    std::lock_guard lock(read_back_mutex_);
    if (std::find(read_back_topics_.begin(), read_back_topics_.end(), topic) == read_back_topics_.end())
      return std::nullopt;
    return read_back_cap_;
  }

  // On paho's thread: the connection ended; the first report since the connect is the one.
  void report_loss(std::string why, bool taken_over) {
    if (loss_reported_.exchange(true)) return;
    Event event{Event::Kind::kConnectionLost, std::move(why)};
    event.taken_over = taken_over;
    queue_.push(std::move(event));
  }

  // On paho's thread. Whichever attempt it answers, the connection is up, to that attempt's node:
  // the event names it (the supervisor adopts it), and every attempt so far is settled, so that a
  // late failure of one of them is not taken for this connection's.
  void report_connected(const ConnectAttempt& attempt, const std::string& cause) noexcept {
    try {
      settled_ = attempts_.load();
      loss_reported_ = false;
      if (attempt.number != settled_)
        spdlog::info("{} answered connect attempt {} after attempt {} had started", attempt.server, attempt.number,
                     settled_.load());
      Event event{Event::Kind::kConnected, cause};
      event.server = attempt.server;
      queue_.push(std::move(event));
    } catch (const std::exception&) {
      queue_.push({Event::Kind::kConnected, cause});  // out of memory: the supervisor keeps its node
    }
  }

  // On paho's thread, which has nothing else to do while disconnected: the probe may take a while.
  // Only the latest attempt's failure counts, and only while no attempt has connected since: an
  // earlier one's would make the supervisor give up the node it is trying (or is connected to).
  void report_connect_failure(const ConnectAttempt& attempt, int code) noexcept {
    try {
      if (attempt.number != attempts_ || attempt.number <= settled_) {
        spdlog::info("ignoring the late failure of connect attempt {} to {} (paho code {}): attempt {} counts",
                     attempt.number, attempt.server, code, attempts_.load());
        return;
      }
      Event event{Event::Kind::kConnectFailed, explain(attempt.server, code)};
      event.server = attempt.server;
      event.falls_back = fall_back_;
      queue_.push(std::move(event));
    } catch (const std::exception& e) {
      queue_.push({Event::Kind::kConnectFailed, std::string("connection failed: ") + e.what()});
    }
  }

  // Why the connect to `server` failed; config_ is never written after construction, as paho's
  // thread reads it here.
  std::string explain(const std::string& server, int code) {
    config::MqttConfig config = config_;
    config.server = server;
    if (code > 0) {
      auto failure = describe_refusal(config, version_, code);
      if (failure.kind == FailureKind::kVersionRefused && config_.version == config::kAutoVersion && version_ == 5) {
        fall_back_ = true;
        return "the broker refuses MQTT 5 (CONNACK code " + std::to_string(code) +
               "); trying MQTT 3.1.1 next (mqtt.version: auto)";
      }
      return failure.text;
    }
    // Paho says -1 for everything before a CONNACK: find out what it was.
    std::string why = probe_transport(config, std::chrono::seconds(3));
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

  PahoHandlers handlers() {
    return {
        .connected = [this](const ConnectAttempt& attempt,
                            const std::string& cause) { report_connected(attempt, cause); },
        .connect_failed = [this](const ConnectAttempt& attempt, int code) { report_connect_failure(attempt, code); },
        .connection_lost =
            [this](const std::string& cause) { report_loss(cause.empty() ? "connection lost" : cause, false); },
        // A broker's DISCONNECT (MQTT 5) ends the connection too, and paho.mqtt.c 1.3.14 (Debian 13)
        // then calls no connection-lost handler: reported here, once, whichever comes first.
        .disconnected =
            [this](int reason) {
              if (reason == kSessionTakenOver)
                report_loss("the broker gave our session to another client with the same client id '" +
                                config_.client_id + "' (MQTT 5 reason: session taken over)",
                            true);
              else
                report_loss("the broker closed the connection (MQTT 5 reason code " + std::to_string(reason) + ")",
                            false);
            },
        .message =
            [this](const std::string& topic, const std::string& payload, bool retained) {
              Event event{Event::Kind::kMessage, {}, topic};
              event.payload = payload.substr(0, read_back_cap(topic).value_or(payload_cap_) + 1);
              event.retained = retained;
              queue_.push(std::move(event));
            },
        .delivered = [this](bool succeeded, bool acknowledged) { window_.on_delivered(succeeded, acknowledged); },
    };
  }

  // A paho client speaks one MQTT version for life: falling back to 3.1.1 makes a new one.
  void build(int version) {
    version_ = version;
    paho_.reset();  // its callbacks point here: the old one goes first
    paho_ = make_paho_(version, handlers());
    if (version == 4)
      spdlog::warn(
          "MQTT 3.1.1: a command published with retain is delivered live without its retained flag, so it is "
          "acted on (only replays are refused), and the broker cannot say why it closed the connection; "
          "MQTT 5 protects against both");
  }

  config::MqttConfig config_;
  std::size_t payload_cap_;
  PahoFactory make_paho_;
  EventQueue queue_;
  SendWindow window_{config_, paho_, version_, [this] { queue_.wake(); },
                     [this](Event event) { queue_.push(std::move(event)); }};  // outlives paho_, which calls it
  std::mutex read_back_mutex_;  // before paho_, whose thread reads what it guards
  std::vector<std::string> read_back_topics_;
  std::size_t read_back_cap_ = 0;
  std::atomic<int> version_;                // 5 or 4 (3.1.1): what paho_ speaks
  std::atomic<bool> fall_back_{false};      // auto: the broker refused 5, use 3.1.1 from the next connect
  std::atomic<bool> loss_reported_{false};  // since the last connect: by the broker's DISCONNECT or paho
  std::atomic<std::uint64_t> attempts_{0};  // connect attempts made; the latest one's number
  std::atomic<std::uint64_t> settled_{0};   // attempts up to this one are over: one of them connected
  std::unique_ptr<PahoApi> paho_;
};

}  // namespace

std::unique_ptr<Client> make_paho_client(const config::MqttConfig& config, std::size_t payload_cap,
                                         PahoFactory make_paho) {
  try {
    return std::make_unique<PahoClient>(config, payload_cap, std::move(make_paho));
  } catch (const PahoError& e) {
    throw std::runtime_error("mqtt: cannot create a client for " + config.server + ": " + e.what());
  }
}

std::unique_ptr<Client> make_paho_client(const config::MqttConfig& config, std::size_t payload_cap) {
  return make_paho_client(config, payload_cap, [config](int version, PahoHandlers handlers) {
    return make_paho_api(config, version, SendWindow::kPahoBuffer, std::move(handlers));
  });
}

}  // namespace gpio2mqtt::mqtt

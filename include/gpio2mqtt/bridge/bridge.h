// The bridge's logic, free of I/O: what to publish for an edge, what a command does to a line,
// pulses, debounce, queueing while disconnected. Time is passed in; lines and MQTT are ports.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "gpio2mqtt/bridge/announcer.h"
#include "gpio2mqtt/bridge/button.h"
#include "gpio2mqtt/bridge/command.h"
#include "gpio2mqtt/bridge/counter.h"
#include "gpio2mqtt/bridge/debounce.h"
#include "gpio2mqtt/bridge/interlock.h"
#include "gpio2mqtt/bridge/outbox.h"
#include "gpio2mqtt/bridge/rate_limit.h"
#include "gpio2mqtt/config/config.h"
#include "gpio2mqtt/counters.h"
#include "gpio2mqtt/gpio/gpio.h"

namespace gpio2mqtt::bridge {

// Hands messages to the broker connection.
class Publisher {
 public:
  virtual ~Publisher() = default;
  // False when the message could not be handed over (the connection is down).
  virtual bool publish(const Message& message) = 0;
};

// The configured lines, by their index in Config::lines. May throw gpio::GpioError.
class LinePort {
 public:
  virtual ~LinePort() = default;
  virtual bool read(std::size_t line) = 0;
  virtual void write(std::size_t line, bool active) = 0;
  // True when the kernel already debounces this input (libgpiod 2.x): the bridge then does not.
  virtual bool kernel_debounced(std::size_t /*line*/) const { return false; }
};

// Commands each line takes, sets and gets apart: 10 a second on average, bursts of 20. A flood
// beyond that is dropped and counted, so it can neither starve the loop nor wear out a relay;
// invalid or retained commands are refused without taking from it (a flood of garbage must not
// keep out the valid ones), and warned about at most as often.
inline constexpr double kCommandRate = 10;
inline constexpr double kCommandBurst = 20;
inline constexpr std::chrono::seconds kFloodReportPeriod{10};

struct LineTopics {
  std::string state, event, set, get;
  std::string count, total, rate;  // a counter's
  std::string action;              // a button's gestures
};
LineTopics make_topics(const std::string& base_topic, const std::string& line_name);
// What a bridge subscribes to: every line's set and get under the base topic (wildcards, so that
// a command for an input or an unknown line is heard, and answered with a note), and Home
// Assistant's status topic when discovery is on.
std::vector<std::string> command_topics(const config::Config& config);

class Bridge {
 public:
  // With a store (mqtt.persistence), events queued while disconnected survive a restart; with a
  // counter store, counts do (a counter without one starts from 0).
  Bridge(const config::Config& config, Publisher& publisher, LinePort& lines, OutboxStore* store = nullptr,
         CounterStore* counter_store = nullptr);

  // Reads every line once the lines are requested; publishes nothing until connected. Interlocked
  // outputs were requested off (what the previous run left on is unknown): one with initial: on
  // is switched on once its group's dead time from `now` has passed.
  void start(MonoTime now);
  // An edge the chip reported; its time is the kernel's timestamp in `event`, not when it was read.
  void on_edge(std::size_t line, const gpio::EdgeEvent& event);
  void on_message(std::string_view topic, std::string_view payload, bool retained, MonoTime now);
  // Publishes the online status, the discovery payload, what queued up, and every line's state.
  void on_connected(MonoTime now);
  // The status and every state again, while connected (mqtt.republish): for brokers whose
  // retained messages stay on the node they were published to.
  void republish(MonoTime now);
  // Queues from now on; outputs go to their on_disconnect level. `unacknowledged` are the events
  // the broker never confirmed: they go back in front of the queue (QoS 1 allows duplicates,
  // not losses); states are not, every state is published again on connect anyway.
  // Interlocked outputs switch over as for a command (an ON may wait for the dead time).
  void on_disconnected(MonoTime now, std::vector<Message> unacknowledged = {});
  // A clean stop: outputs go to their on_disconnect level and their states are published (an
  // interlocked ON that would have to wait out a dead time is not made);
  // counters publish their last readings and are stored.
  void on_stop(MonoTime now);
  // After the last goodbye: the events the broker never acknowledged are queued again, so with
  // a store the next run sends them.
  void on_stopped(std::vector<Message> unacknowledged);
  // The broker refused what we published to `topic` (`why`): not published after all, so an
  // event is taken back from edges_published; said once per topic.
  void on_publish_refused(std::string_view topic, const std::string& why);
  // Ends debounce periods and pulses that are due.
  void on_time(MonoTime now);
  std::optional<MonoTime> next_deadline() const;

  // Moves to a reloaded config whose lines are already in `lines` (same order as next.lines).
  // A line with the same name and settings keeps its state, sequence numbers and running pulse;
  // new lines are read and published. The caller (un)subscribes the difference in subscriptions().
  // Switch-ons waiting for an interlock's dead time are dropped; lines requested anew count as
  // switched off `now`, and interlocked ones that start on go on through the interlock.
  void reconfigure(const config::Config& next, MonoTime now);
  // Before the lines of `next` are requested: interlock groups of `next` must not get two lines
  // on. Lines kept on that a new group joins are switched off; a new line that would start on
  // (`initial`) while another of its group is on or in its dead time starts off instead.
  void prepare_reload(config::Config& next, MonoTime now);
  // Reads every input again and publishes those that changed (after the lines were reopened).
  void resync_inputs();
  // The connection is being replaced (a reload changed the mqtt section): queue from now on,
  // without the on_disconnect levels meant for a lost broker.
  void on_client_replaced() { connected_ = false; }
  // Topics to subscribe to after every connect.
  std::vector<std::string> subscriptions() const;
  // Topics whose retained message the bridge reads back after every connect (subscribed before
  // on_connected, messages up to kMaxReadBackPayload): its own discovery payload, to remove what
  // lines removed meanwhile left there.
  std::vector<std::string> retained_subscriptions() const;
  bool connected() const { return connected_; }
  const Counters& counters() const { return counters_; }
  std::size_t queued() const { return outbox_.size(); }
  // The logical level last published for an input or driven on an output.
  bool level(std::size_t line) const { return lines_.at(line).level; }
  // Drives an output as an MQTT command would (through its interlock, as a momentary output);
  // returns an error text, empty on success.
  std::string apply(std::size_t line, const Command& command, MonoTime now);
  // A counter's reading (nullopt for a line in another mode).
  std::optional<CounterReading> counter_reading(std::size_t line) const;
  // Sets a counter's count, stores it and publishes it; returns an error text, empty on success.
  std::string set_count(std::size_t line, std::uint64_t count, MonoTime now);
  // The index of the line named `name`, if configured.
  std::optional<std::size_t> find(std::string_view name) const;
  std::size_t size() const { return lines_.size(); }
  const config::LineConfig& line_config(std::size_t line) const { return *lines_.at(line).config; }

 private:
  struct Line {
    const config::LineConfig* config;
    LineTopics topics;
    bool level = false;
    Debouncer debounce{Nanos(0), false};
    std::uint64_t seq = 0;
    std::uint64_t kernel_line_seqno = 0;  // of the last edge seen, 0 when the backend has none
    std::uint64_t kernel_global_seqno = 0;
    std::optional<MonoTime> pulse_end{};
    bool pulse_revert = false;
    std::optional<Nanos> pulse_length{};  // of a pulse that starts when the line reaches its level
    std::optional<MonoTime> went_off{};   // an output's last switch-off, for interlock dead times
    RateLimit sets{kCommandRate, kCommandBurst};
    RateLimit gets{kCommandRate, kCommandBurst};
    RateLimit warnings{kCommandRate, kCommandBurst};  // about refused commands
    std::uint64_t flood_dropped = 0;                  // since the last report (the first drop is reported at once)
    std::optional<MonoTime> flood_reported{};
    std::optional<Counter> counter{};  // mode: counter, made once the level is known
    std::optional<Button> button{};    // mode: button, likewise
  };
  enum class TopicKind { kSet, kGet };
  // Each topic is spoken about once: a retained get or a command for an input comes back at every
  // reconnect, and a stranger's topics are not worth more than one line each.
  static constexpr std::size_t kMaxNoted = 256;

  void publish_state(const Line& line);
  // Every line's state, a counter's reading: after a connect, after Home Assistant's birth.
  void publish_states(MonoTime now);
  void publish_reading(const Line& line, const CounterReading& reading);
  void store_count(const Line& line, std::uint64_t count);
  // Counters: settles pulses, publishes and stores what is due.
  void counter_time(Line& line, MonoTime now);
  void on_counter_command(std::size_t index, std::string_view topic, std::string_view payload, MonoTime now);
  CounterSettings counter_settings(std::size_t index) const;
  // Buttons: a debounced change of the line, and the gestures that are due (bridge_buttons.cc).
  void button_change(Line& line, const Debouncer::Report& report);
  void button_time(Line& line, MonoTime now);
  void publish_action(const Line& line, Gesture gesture);
  ButtonSettings button_settings(std::size_t index) const;
  // The discovery payload(s) that make the broker hold this config's (bridge/announcer.h).
  void announce();
  void publish_event(Line& line, const Debouncer::Report& report);
  bool send(Message message, bool queue_if_down);
  // Returns an error text, empty on success; the state is published either way. Refuses to switch
  // on an interlocked output while its interlock is not clear.
  std::string drive(std::size_t index, bool active, MonoTime now);
  // Drives the output through its interlock; a pulse waiting in pulse_length starts once it is there.
  std::string switch_to(std::size_t index, bool active, MonoTime now);
  void start_pulse(std::size_t index, MonoTime now);
  void apply_disconnect_levels(MonoTime now);
  void requeue(std::vector<Message> unacknowledged);
  void reject(Line& line, std::string_view topic, std::string_view payload, const std::string& why, MonoTime now);
  // Not a command of ours, or one never acted on: counted, and said once per topic (at info).
  void note_once(std::string_view topic, const std::string& why);
  std::string why_not_a_command(std::string_view topic) const;
  // False (and counted, and logged once per kFloodReportPeriod) when the line is flooded.
  bool within_rate(Line& line, RateLimit& limit, MonoTime now);
  // Every kFloodReportPeriod while a line is flooded: how many commands were dropped.
  void report_flood(Line& line, MonoTime now);

  void build(const config::Config& config);
  // The debouncer of a line whose level is `level`: in software unless the kernel debounces it.
  Debouncer debouncer(std::size_t index, bool level) const;
  void resync(std::size_t index);
  // The line's level now; nullopt (logged and counted) when the chip does not answer.
  std::optional<bool> read_level(std::size_t index);
  // Reads the level and starts the debouncer from it, publishing nothing.
  void adopt_level(std::size_t index);
  const config::Config* config_;
  Publisher& publisher_;
  LinePort& port_;
  std::vector<Line> lines_;
  Interlock interlock_;
  std::unordered_map<std::string, std::pair<std::size_t, TopicKind>> commands_;
  std::unordered_set<std::string> noted_;           // topics note_once() spoke about, at most kMaxNoted
  std::unordered_set<std::string> refused_topics_;  // on_publish_refused() spoke about
  Outbox outbox_;
  Announcer announcer_;
  CounterStore* counter_store_;
  bool read_back_ = false;  // the first message on our discovery topic since connect was read
  Counters counters_;
  bool connected_ = false;
};

}  // namespace gpio2mqtt::bridge

// The bridge's logic, free of I/O: the line modes (bridge/line_mode.h), one object per line,
// and what they share: the connection and the outbox, command intake, the outputs' switchboard,
// Home Assistant's announcer, reloads. Time is passed in; lines and MQTT are ports.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "gpio2mqtt/bridge/announcer.h"
#include "gpio2mqtt/bridge/bindings.h"
#include "gpio2mqtt/bridge/command.h"
#include "gpio2mqtt/bridge/counter.h"
#include "gpio2mqtt/bridge/device.h"
#include "gpio2mqtt/bridge/line_mode.h"
#include "gpio2mqtt/bridge/outbox.h"
#include "gpio2mqtt/bridge/reload_plan.h"
#include "gpio2mqtt/bridge/switchboard.h"
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

struct LineTopics {
  std::string state, event, set, get;
  std::string count, total, rate;  // a counter's
  std::string action;              // a button's gestures
};
LineTopics make_topics(const std::string& base_topic, const std::string& line_name);
// What a bridge subscribes to: every line's set and get under the base topic (wildcards, so that
// a command for an input or an unknown line is heard, and answered with a note), the bindings'
// set topics, and Home Assistant's status topic when discovery or a binding follows it.
std::vector<std::string> command_topics(const config::Config& config);

class CommandIntake;
class BindingSwitch;

class Bridge : private ModeHost {
 public:
  // With a store (mqtt.persistence), events queued while disconnected survive a restart; with a
  // counter store, counts do (a counter without one starts from 0); with a binding store, the
  // bindings' run-time switches do; with a device store, what devices keep (a cover's position);
  // with a PWM port, the hardware PWM outputs have their channels.
  Bridge(const config::Config& config, Publisher& publisher, LinePort& lines, OutboxStore* store = nullptr,
         CounterStore* counter_store = nullptr, BindingStore* binding_store = nullptr,
         DeviceStore* device_store = nullptr, PwmPort* pwm_port = nullptr);
  ~Bridge() override;

  // Reads every line once the lines are requested as `plan` says (plan_start()); publishes
  // nothing until connected. Interlocked outputs were requested off (what the previous run left
  // on is unknown): one with initial: on is switched on once its group's dead time has passed.
  void start(MonoTime now, const ReloadPlan& plan);
  // An edge the chip reported; its time is the kernel's timestamp in `event`, not when it was read.
  // `now`, when it was read: what a binding's action switches at (an interlock's dead time counts
  // from a line's real switch-off, not from an edge some time ago).
  void on_edge(std::size_t line, const gpio::EdgeEvent& event, std::optional<MonoTime> now = std::nullopt);
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
  // Ends debounce periods, pulses and dead times that are due.
  void on_time(MonoTime now);
  std::optional<MonoTime> next_deadline() const;

  // What the next reload's plan needs to know of the running lines (plan_reload()).
  std::vector<RunningLine> running_lines() const { return switchboard_.running(); }
  // Moves to `next`, whose lines were requested as `plan` says (plan_reload() from this bridge's
  // config). A kept line keeps its mode object: state, sequence numbers, running pulse; new lines
  // are read and published. The caller (un)subscribes the difference in subscriptions().
  // Switch-ons waiting for an interlock's dead time are dropped; lines requested anew count as
  // switched off `now`, and interlocked ones that start on go on through the interlock.
  void reconfigure(const config::Config& next, const ReloadPlan& plan, MonoTime now);
  // Reads every input again and publishes those that changed (after the lines were reopened).
  void resync_inputs();
  // The connection is being replaced (a reload changed the mqtt section): queue from now on,
  // without the on_disconnect levels meant for a lost broker.
  void on_client_replaced() {
    connected_ = false;
    bindings_.on_broker(false);
  }
  // Topics to subscribe to after every connect.
  std::vector<std::string> subscriptions() const;
  // Topics whose retained message the bridge reads back after every connect (subscribed before
  // on_connected, messages up to kMaxReadBackPayload): its own discovery payload, to remove what
  // lines removed meanwhile left there; Home Assistant's status when a binding follows it.
  std::vector<std::string> retained_subscriptions() const;
  bool connected() const override { return connected_; }
  const Counters& counters() const { return counters_; }
  std::size_t queued() const { return outbox_.size(); }
  // The logical level last published for an input or driven on an output.
  bool level(std::size_t line) const { return modes_.at(line)->level(); }
  // Drives an output as an MQTT command would (through its interlock, as a momentary output);
  // returns an error text, empty on success.
  std::string apply(std::size_t line, const Command& command, MonoTime now);
  // A counter's reading (nullopt for a line in another mode).
  std::optional<CounterReading> counter_reading(std::size_t line) const;
  // Sets a counter's count, stores it and publishes it; returns an error text, empty on success.
  std::string set_count(std::size_t line, std::uint64_t count, MonoTime now);
  // The index of the line named `name`, if configured.
  std::optional<std::size_t> find(std::string_view name) const;
  std::size_t size() const { return modes_.size(); }
  const config::LineConfig& line_config(std::size_t line) const { return modes_.at(line)->settings(); }
  // The local bindings: which are switched on, what Home Assistant last said.
  const Bindings& bindings() const { return bindings_; }
  // Switches a binding on or off, as <base>/binding/<name>/set does; false when there is none.
  bool set_binding(const std::string& name, bool enabled, MonoTime now);

  // The devices (bridge/device.h): made from the config by the registered kinds, in their order.
  const std::vector<std::unique_ptr<Device>>& devices() const { return devices_; }
  // The device named `name`, if any.
  Device* device(std::string_view name) const;
  // Adds a device the registry does not make from the config (a kind under test), before start();
  // routed like the others from now on, dropped by the next reload (which remakes the config's).
  void add_device(std::unique_ptr<Device> device);

 private:
  // ModeHost
  bool send(Message message, bool queue_if_down) override;
  const config::Config& config() const override { return *config_; }
  Counters& tally() override { return counters_; }
  std::optional<bool> read_level(std::size_t line) override;
  Switchboard& switchboard() override { return switchboard_; }
  CounterStore* counter_store() override { return counter_store_; }
  DeviceStore* device_store() override { return device_store_; }
  PwmPort* pwm_port() override { return pwm_port_; }
  void triggered(std::size_t line, const Trigger& trigger, MonoTime at) override;

  // The bindings' switches and the devices for `config_`, routed by the intake with the modes.
  void route_commands();
  // The config's devices, as the registered kinds make them.
  void make_devices();

  // Every line's state: after a connect, after Home Assistant's birth.
  void publish_states(MonoTime now);
  // The discovery payload(s) that make the broker hold this config's (bridge/announcer.h).
  void announce();
  void on_disconnect_levels(MonoTime now);
  void requeue(std::vector<Message> unacknowledged);
  // Switches on the interlocked outputs the plan starts on, through their interlock.
  void switch_on_as_planned(const ReloadPlan& plan, MonoTime now);

  const config::Config* config_;
  Publisher& publisher_;
  LinePort& port_;
  Counters counters_;
  Switchboard switchboard_;
  std::vector<std::unique_ptr<LineMode>> modes_;  // by line index
  std::vector<std::unique_ptr<Device>> devices_;
  DeviceStore* device_store_;
  PwmPort* pwm_port_;
  std::unique_ptr<CommandIntake> intake_;
  std::unordered_set<std::string> refused_topics_;  // on_publish_refused() spoke about
  Outbox outbox_;
  Announcer announcer_;
  CounterStore* counter_store_;
  Bindings bindings_;
  std::vector<std::unique_ptr<BindingSwitch>> switches_;  // one per binding
  std::optional<MonoTime> now_;                           // the latest time on_edge() or on_time() was told
  bool read_back_ = false;  // the first message on our discovery topic since connect was read
  bool connected_ = false;
};

}  // namespace gpio2mqtt::bridge

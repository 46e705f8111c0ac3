#include "gpio2mqtt/bridge/bridge.h"

#include <spdlog/spdlog.h>

#include <utility>

#include "bridge/binding_switch.h"
#include "bridge/command_intake.h"
#include "bridge/modes/counter_line.h"
#include "bridge/modes/output_line.h"
#include "util/text.h"

namespace gpio2mqtt::bridge {

using config::OnDisconnect;

LineTopics make_topics(const std::string& base_topic, const std::string& line_name) {
  std::string prefix = base_topic + "/" + line_name + "/";
  return {prefix + "state", prefix + "event", prefix + "set",  prefix + "get",
          prefix + "count", prefix + "total", prefix + "rate", prefix + "action"};
}

Bridge::Bridge(const config::Config& config, Publisher& publisher, LinePort& lines, OutboxStore* store,
               CounterStore* counter_store, BindingStore* binding_store, DeviceStore* device_store,
               PwmPort* pwm_port)
    : config_(&config),
      publisher_(publisher),
      port_(lines),
      switchboard_(lines, counters_),
      device_store_(device_store),
      pwm_port_(pwm_port),
      intake_(std::make_unique<CommandIntake>(counters_)),
      outbox_(config.mqtt.buffer, store),
      counter_store_(counter_store),
      bindings_(binding_store) {
  switchboard_.configure(config);
  for (std::size_t i = 0; i < config.lines.size(); ++i)
    modes_.push_back(mode_kind(config.lines[i]).make(i, config.lines[i], *this));
  make_devices();
  bindings_.configure(config.bindings);
  route_commands();
  if (!devices_.empty() && !device_store)
    spdlog::warn("no state directory: a cover's position is unknown after a restart until it travels to an end");
  if (!config.bindings.empty() && !binding_store)
    spdlog::warn("no state directory: a binding switched off at run time is on again after a restart");
  if (outbox_.restored()) spdlog::info("{} events queued by the previous run go out at connect", outbox_.restored());
  counters_.events_dropped += outbox_.dropped();  // more were kept than mqtt.buffer allows now
}

Bridge::~Bridge() = default;

std::optional<bool> Bridge::read_level(std::size_t line) {
  try {
    return port_.read(line);
  } catch (const std::exception& e) {
    ++counters_.line_errors;
    spdlog::error("line {}: cannot read its level: {}", config_->lines.at(line).name, e.what());
    return std::nullopt;
  }
}

void Bridge::start(MonoTime now, const ReloadPlan& plan) {
  for (std::size_t i = 0; i < modes_.size(); ++i)
    modes_[i]->start(now, i < plan.lines.size() && plan.lines[i].kernel_debounces);
  for (auto& device : devices_) device->start(now);
  switch_on_as_planned(plan, now);
}

void Bridge::make_devices() {
  ModeHost& host = *this;
  devices_.clear();
  for (const DeviceKind& kind : device_kinds())
    for (auto& device : kind.make(*config_, host)) devices_.push_back(std::move(device));
}

void Bridge::add_device(std::unique_ptr<Device> device) {
  devices_.push_back(std::move(device));
  route_commands();
}

Device* Bridge::device(std::string_view name) const {
  for (const auto& device : devices_)
    if (device->name() == name) return device.get();
  return nullptr;
}

void Bridge::switch_on_as_planned(const ReloadPlan& plan, MonoTime now) {
  for (std::size_t i = 0; i < plan.lines.size() && i < modes_.size(); ++i)
    if (plan.lines[i].switch_on && !switchboard_.level(i)) switchboard_.switch_to(i, true, now);
}

bool Bridge::send(Message message, bool queue_if_down) {
  if (connected_ && publisher_.publish(message)) return true;
  if (queue_if_down && outbox_.push(std::move(message))) {
    // Logged at powers of two so a long outage does not flood the journal.
    std::uint64_t dropped = ++counters_.events_dropped;
    if ((dropped & (dropped - 1)) == 0)
      spdlog::warn("broker unreachable: {} queued events dropped so far (queue limit {})", dropped,
                   config_->mqtt.buffer);
  }
  return false;
}

void Bridge::announce() {
  if (!connected_) return;
  for (auto& message : announcer_.sync(*config_))
    if (!send(std::move(message), false)) return;  // lost: the next connect announces again
  announcer_.confirm(*config_);
}

void Bridge::route_commands() {
  switches_.clear();
  std::vector<CommandIntake::Extra> extras;
  ModeHost& host = *this;
  for (const auto& binding : config_->bindings) {
    auto& added = switches_.emplace_back(std::make_unique<BindingSwitch>(binding.name, bindings_, host));
    extras.push_back({"binding/" + binding.name, added->topics().set, added.get()});
  }
  for (auto& device : devices_) {
    LineTopics topics = make_topics(config_->mqtt.base_topic, device->name());
    extras.push_back({device->name(), device->takes_commands() ? topics.set : "", device.get(), topics.get});
  }
  intake_->route(modes_, config_->mqtt.base_topic, extras);
}

void Bridge::triggered(std::size_t line, const Trigger& trigger, MonoTime at) {
  if (trigger.level)
    for (auto& device : devices_)
      for (std::size_t claimed : device->lines())
        if (claimed == line) device->on_line_edge(line, *trigger.level, at);
  if (bindings_.configured().empty()) return;
  std::uint64_t rate_limited = 0;
  for (const config::BindingConfig* binding : bindings_.fire(trigger, at, rate_limited)) {
    Action action{binding->action, binding->length, binding->step};
    MonoTime when = now_ ? std::max(at, *now_) : at;
    std::string error;
    if (auto target = find(binding->target)) error = modes_[*target]->act(action, when);
    else if (Device* device = this->device(binding->target)) error = device->act(action, when);
    else continue;  // the loader bound only configured lines and devices
    // Said at info, every time: a light that switches with nobody asking over MQTT surprises less.
    if (error.empty()) spdlog::info("local: binding {}: {}", binding->name, describe(*binding));
    else spdlog::warn("local: binding {}: {}: {}", binding->name, describe(*binding), error);
  }
  if (rate_limited) {
    counters_.commands_rate_limited += rate_limited;
    counters_.commands_rejected += rate_limited;
    spdlog::warn("local: {} binding action(s) of line {} dropped, over {}/s", rate_limited, trigger.line, kCommandRate);
  }
}

bool Bridge::set_binding(const std::string& name, bool enabled, MonoTime now) {
  for (auto& binding_switch : switches_) {
    if (binding_switch->name() != name) continue;
    binding_switch->set(enabled, now, "over D-Bus");
    return true;
  }
  return false;
}

void Bridge::on_edge(std::size_t line, const gpio::EdgeEvent& event, std::optional<MonoTime> now) {
  if (now && (!now_ || *now > *now_)) now_ = now;
  modes_.at(line)->on_edge(event);
}

void Bridge::on_time(MonoTime now) {
  if (!now_ || now > *now_) now_ = now;
  if (announcer_.take_due(now)) {
    announce();
    publish_states(now);
  }
  for (auto& mode : modes_) mode->on_time(now);
  for (auto& device : devices_) device->on_time(now);
  intake_->on_time(now);
  switchboard_.on_time(now);
}

std::optional<MonoTime> Bridge::next_deadline() const {
  std::optional<MonoTime> next;
  auto consider = [&](std::optional<MonoTime> t) {
    if (t && (!next || *t < *next)) next = t;
  };
  consider(announcer_.deadline());
  consider(switchboard_.deadline());
  consider(intake_->deadline());
  for (const auto& mode : modes_) consider(mode->deadline());
  for (const auto& device : devices_) consider(device->deadline());
  return next;
}

void Bridge::on_message(std::string_view topic, std::string_view payload, bool retained, MonoTime now) {
  const auto& ha = config_->homeassistant;
  if (topic == ha.status_topic && config_->follows_homeassistant()) {
    // For the bindings a retained status counts: it is the last Home Assistant said.
    auto was = bindings_.homeassistant_status();
    bindings_.on_homeassistant_status(payload);
    if (bindings_.homeassistant_status() != was && !config_->bindings.empty())
      spdlog::info("Home Assistant says it is {}", printable(payload, 32));
    // A retained birth is old news: every connect announces anyway.
    if (ha.discovery && !retained) announcer_.on_status(payload, ha, now);
    return;
  }
  if (ha.discovery && topic == device_topic(ha)) {
    // The first is what was retained before we connected (the replay comes before our own echo,
    // which MQTT 3.1.1 sends too): a previous run's announcement.
    if (!std::exchange(read_back_, true) && announcer_.learn(payload, *config_)) {
      spdlog::info("Home Assistant: removing components of lines no longer configured");
      announce();
    }
    return;
  }
  intake_->on_message(topic, payload, retained, now);
}

void Bridge::on_publish_refused(std::string_view topic, const std::string& why) {
  ++counters_.publishes_refused;
  if (topic.ends_with("/event") && counters_.edges_published > 0) --counters_.edges_published;
  if (refused_topics_.size() < 256 && refused_topics_.emplace(topic).second)
    spdlog::warn("the broker refused what we published to {}: {} (said once per topic)", printable(topic, 256),
                 printable(why, 512));
}

void Bridge::on_connected(MonoTime now) {
  connected_ = true;
  bindings_.on_broker(true);
  const auto& status = config_->mqtt.status;
  send({status.topic, status.online, 1, true}, false);
  announcer_.cancel();  // this announcement answers any birth seen before
  read_back_ = false;
  announce();
  while (connected_ && !outbox_.empty()) {
    if (!send(outbox_.front(), false)) return;  // lost again: the rest waits for the next connect
    outbox_.pop();
  }
  publish_states(now);
}

void Bridge::republish(MonoTime now) {
  if (!connected_) return;
  const auto& status = config_->mqtt.status;
  send({status.topic, status.online, 1, true}, false);
  publish_states(now);
}

void Bridge::publish_states(MonoTime now) {
  for (auto& mode : modes_) mode->publish_state(now);
  for (auto& device : devices_) device->publish_state(now);
  for (auto& binding_switch : switches_) binding_switch->publish_state(now);
}

void Bridge::on_disconnected(MonoTime now, std::vector<Message> unacknowledged) {
  connected_ = false;
  bindings_.on_broker(false);
  requeue(std::move(unacknowledged));
  on_disconnect_levels(now);
}

void Bridge::on_stopped(std::vector<Message> unacknowledged) {
  connected_ = false;
  bindings_.on_broker(false);
  requeue(std::move(unacknowledged));
}

void Bridge::requeue(std::vector<Message> unacknowledged) {
  std::erase_if(unacknowledged, [](const Message& m) { return m.retain; });  // states: sent anew on connect
  if (unacknowledged.empty()) return;
  spdlog::info("{} events the broker did not acknowledge will be sent again", unacknowledged.size());
  counters_.events_dropped += outbox_.push_front(std::move(unacknowledged));
}

void Bridge::on_stop(MonoTime now) {
  on_disconnect_levels(now);   // still connected: the new states go out before the Off status
  switchboard_.cancel_held();  // nothing will drive them any more
  // An input wired to such an output changed with it, but its edge would arrive after we stop:
  // its true level goes out now, else its retained state stays what it was.
  resync_inputs();
  for (auto& mode : modes_) mode->on_stop(now);
  for (auto& device : devices_) device->on_stop(now);
  connected_ = false;
  bindings_.on_broker(false);
}

void Bridge::on_disconnect_levels(MonoTime now) {
  // The offs first: an interlocked ON then finds its group off.
  for (auto& mode : modes_)
    if (mode->settings().on_disconnect == OnDisconnect::kOff) mode->on_disconnected(now);
  for (auto& mode : modes_)
    if (mode->settings().on_disconnect != OnDisconnect::kOff) mode->on_disconnected(now);
  for (auto& device : devices_) device->on_disconnected(now);
}

void Bridge::resync_inputs() {
  for (auto& mode : modes_) mode->resync();
}

std::optional<std::size_t> Bridge::find(std::string_view name) const {
  for (std::size_t i = 0; i < modes_.size(); ++i)
    if (modes_[i]->settings().name == name) return i;
  return std::nullopt;
}

std::string Bridge::apply(std::size_t line, const Command& command, MonoTime now) {
  auto* output = dynamic_cast<OutputLine*>(modes_.at(line).get());
  if (!output) return "line '" + line_config(line).name + "' is an input";
  if (!output->takes_commands())
    return "line '" + line_config(line).name + "' is driven by cover '" + line_config(line).cover + "'";
  return output->apply(command, now);
}

std::optional<CounterReading> Bridge::counter_reading(std::size_t line) const {
  auto* counter = dynamic_cast<const CounterLine*>(modes_.at(line).get());
  if (!counter) return std::nullopt;
  return counter->reading();
}

std::string Bridge::set_count(std::size_t line, std::uint64_t count, MonoTime now) {
  auto* counter = dynamic_cast<CounterLine*>(modes_.at(line).get());
  if (!counter) return "line '" + line_config(line).name + "' is not a counter";
  counter->set_count(count, now);
  return {};
}

std::vector<std::string> command_topics(const config::Config& config) {
  std::vector<std::string> topics;
  bool devices = false;
  for (const DeviceKind& kind : device_kinds()) devices = devices || kind.configured(config);
  if (!config.lines.empty() || devices) {
    LineTopics any = make_topics(config.mqtt.base_topic, "+");
    topics = {any.get, any.set};
  }
  if (!config.bindings.empty()) topics.push_back(config.mqtt.base_topic + "/binding/+/set");
  if (config.follows_homeassistant()) topics.push_back(config.homeassistant.status_topic);
  return topics;
}

std::vector<std::string> Bridge::subscriptions() const { return command_topics(*config_); }

std::vector<std::string> Bridge::retained_subscriptions() const {
  std::vector<std::string> topics;
  const auto& ha = config_->homeassistant;
  if (ha.discovery) topics.push_back(device_topic(ha));
  // What Home Assistant said last, when a binding asks, even before we connected (subscribed after
  // subscriptions(): this subscription replaces the one that leaves out retained messages).
  for (const auto& binding : config_->bindings)
    if (binding.when == config::BindingConfig::When::kHaOffline) {
      topics.push_back(ha.status_topic);
      break;
    }
  return topics;
}

}  // namespace gpio2mqtt::bridge

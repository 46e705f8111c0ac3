// What the service reports (systemd STATUS, D-Bus) and what it can be asked to do (reload, lines).
#include <spdlog/spdlog.h>

#include <algorithm>
#include <cmath>

#include "bridge/devices/cover_device.h"
#include "gpio2mqtt/config/loader.h"
#include "service/service.h"
#include "util/text.h"

namespace gpio2mqtt::service {
namespace {

std::vector<std::string> minus(const std::vector<std::string>& a, const std::vector<std::string>& b) {
  std::vector<std::string> out;
  for (const auto& item : a)
    if (std::find(b.begin(), b.end(), item) == b.end()) out.push_back(item);
  return out;
}

std::string plural(std::size_t n, const char* word) { return std::to_string(n) + " " + word + (n == 1 ? "" : "s"); }

}  // namespace

Counters Service::counters() const {
  Counters out = bridge_.counters();
  out.kernel_events_dropped = lines_.kernel_dropped();
  out.messages_dropped = dropped_by_replaced_clients_ + client_->messages_dropped();
  if (sensors_) {
    auto sensors = sensors_->totals();
    out.sensor_reads = sensors.reads;
    out.sensor_failures = sensors.failures;
    out.sensor_timeouts = sensors.timeouts;
    out.sensor_readings_dropped = sensors.dropped;
  }
  return out;
}

std::string Service::describe_drops(const Counters& counters) {
  std::string text;
  if (counters.events_dropped) text += ", " + std::to_string(counters.events_dropped) + " queued events dropped";
  if (counters.kernel_events_dropped)
    text += ", " + std::to_string(counters.kernel_events_dropped) + " edge events dropped by the kernel (queue full)";
  if (counters.publishes_refused)
    text += ", " + std::to_string(counters.publishes_refused) + " publishes refused by the broker";
  if (counters.messages_dropped)
    text += ", " + std::to_string(counters.messages_dropped) + " messages dropped on the way to the broker";
  return text;
}

void Service::report_status() {
  std::size_t outputs = 0;
  for (const auto& line : config_->lines) outputs += line.direction == gpio::Direction::kOutput;
  const auto counters = this->counters();
  std::string text;
  if (bridge_.connected())
    text = "connected to " + connection_.server() + ", " + plural(config_->lines.size() - outputs, "input") + ", " +
           plural(outputs, "output") + ", " + std::to_string(counters.edges_published) + " edges published";
  else if (!connection_.problem().empty()) text = connection_.problem();
  else text = "connecting to " + connection_.server();
  if (!gpio_.problem().empty()) text += "; GPIO failing: " + gpio_.problem();
  text += describe_drops(counters);
  if (counters.line_errors) text += ", " + plural(counters.line_errors, "line error");
  if (counters.commands_rate_limited)
    text += ", " + std::to_string(counters.commands_rate_limited) + " commands rate-limited";
  if (sensors_ && (sensors_->size() > 0 || counters.sensor_reads || counters.sensor_failures))
    text += "; sensors: " + std::to_string(counters.sensor_reads) + " values read, " +
            std::to_string(counters.sensor_failures) + " reads failed (" + std::to_string(counters.sensor_timeouts) +
            " timed out), " + std::to_string(counters.sensor_readings_dropped) + " readings dropped";
  if (!last_error_.empty()) text += "; reload failed: " + last_error_;
  if (auto errors = loop_.handler_errors()) text += "; " + plural(errors, "internal error") + " (see the log)";
  systemd_.status(text);
  if (dbus_ && !(counters == reported_))
    dbus_->properties_changed({"EdgesPublished", "CommandsApplied", "CommandsRejected", "CommandsRateLimited",
                               "EventsDropped", "MessagesDropped", "KernelEventsDropped", "PublishesRefused",
                               "LineErrors", "Lines", "PwmOutputs", "SensorReads", "SensorFailures", "SensorTimeouts",
                               "SensorReadingsDropped", "Sensors"});
  reported_ = counters;
}

std::vector<dbus::LineView> Service::lines() const {
  std::vector<dbus::LineView> out;
  for (std::size_t i = 0; i < bridge_.size(); ++i) {
    const auto& line = bridge_.line_config(i);
    out.push_back({line.name, line.direction == gpio::Direction::kOutput, bridge_.level(i)});
  }
  return out;
}

std::optional<bool> Service::get_line(const std::string& name) const {
  auto index = bridge_.find(name);
  if (!index) return std::nullopt;
  return bridge_.level(*index);
}

std::optional<dbus::CallError> Service::set_line(const std::string& name, bool active) {
  auto index = bridge_.find(name);
  if (!index) return dbus::CallError{"UnknownLine", "no line '" + name + "' is configured"};
  if (bridge_.line_config(*index).direction != gpio::Direction::kOutput)
    return dbus::CallError{"NotAnOutput", "line '" + name + "' is an input"};
  auto error = bridge_.apply(*index, bridge::Command{bridge::Command::Kind::kSet, active, std::nullopt}, loop_.now());
  if (!error.empty()) return dbus::CallError{"LineFailed", error};
  spdlog::info("D-Bus: line {} set {}", name, bridge::state_word(active));
  return std::nullopt;
}

std::variant<std::uint64_t, dbus::CallError> Service::get_count(const std::string& name) const {
  auto index = bridge_.find(name);
  if (!index) return dbus::CallError{"UnknownLine", "no line '" + name + "' is configured"};
  auto reading = bridge_.counter_reading(*index);
  if (!reading) return dbus::CallError{"NotACounter", "line '" + name + "' is not in mode: counter"};
  return reading->count;
}

std::optional<dbus::CallError> Service::set_count(const std::string& name, std::uint64_t count) {
  auto known = get_count(name);
  if (auto* error = std::get_if<dbus::CallError>(&known)) return *error;
  bridge_.set_count(*bridge_.find(name), count, loop_.now());
  spdlog::info("D-Bus: counter {} set to {} pulses", name, count);
  return std::nullopt;
}

std::variant<dbus::CoverView, dbus::CallError> Service::get_cover(const std::string& name) const {
  auto* cover = dynamic_cast<const bridge::CoverDevice*>(bridge_.device(name));
  if (!cover) return dbus::CallError{"UnknownCover", "no cover '" + name + "' is configured"};
  auto position = cover->position(loop_.now());
  return dbus::CoverView{cover->state(loop_.now()), position ? static_cast<int>(std::lround(*position)) : -1};
}

std::optional<dbus::CallError> Service::set_cover(const std::string& name, const std::string& command) {
  auto* cover = dynamic_cast<bridge::CoverDevice*>(bridge_.device(name));
  if (!cover) return dbus::CallError{"UnknownCover", "no cover '" + name + "' is configured"};
  std::string error = cover->apply(command, loop_.now());
  if (!error.empty()) return dbus::CallError{"InvalidCommand", "cover '" + name + "': " + error};
  spdlog::info("D-Bus: cover {}: {}", name, command);
  return std::nullopt;
}

namespace {

dbus::PwmView view_of(const bridge::PwmDevice& device) {
  const bridge::PwmOutput* output = device.output();
  return {device.name(), output && output->on(), output ? output->target() * 100.0 / bridge::kFullLevel : 0.0};
}

}  // namespace

std::vector<dbus::PwmView> Service::pwm_outputs() const {
  std::vector<dbus::PwmView> out;
  for (const auto& device : bridge_.devices())
    if (auto* pwm = dynamic_cast<const bridge::PwmDevice*>(device.get())) out.push_back(view_of(*pwm));
  return out;
}

std::variant<dbus::PwmView, dbus::CallError> Service::get_pwm(const std::string& name) const {
  auto* pwm = dynamic_cast<const bridge::PwmDevice*>(bridge_.device(name));
  if (!pwm) return dbus::CallError{"UnknownPwm", "no PWM output '" + name + "' is configured"};
  return view_of(*pwm);
}

std::optional<dbus::CallError> Service::set_pwm(const std::string& name, const std::string& command) {
  auto* pwm = dynamic_cast<bridge::PwmDevice*>(bridge_.device(name));
  if (!pwm) return dbus::CallError{"UnknownPwm", "no PWM output '" + name + "' is configured"};
  if (auto error = pwm->command(command, loop_.now()); !error.empty())
    return dbus::CallError{"InvalidCommand", "pwm '" + name + "': " + error};
  spdlog::info("D-Bus: pwm {} set '{}'", name, printable(command));
  return std::nullopt;
}

void Service::write_quietly(std::size_t line, bool active) {
  try {
    lines_.write(line, active);
  } catch (const std::exception& e) {
    spdlog::warn("reload: cannot set {} {}: {}", lines_.describe(line), active ? "on" : "off", e.what());
  }
}

std::vector<dbus::BindingView> Service::bindings() const {
  const auto& bindings = bridge_.bindings();
  std::vector<dbus::BindingView> out;
  for (const auto& binding : bindings.configured()) {
    bool enabled = bindings.enabled(binding.name);
    out.push_back({binding.name, bridge::describe(binding), enabled, enabled && bindings.applies(binding.when)});
  }
  return out;
}

std::optional<dbus::CallError> Service::set_binding(const std::string& name, bool enabled) {
  if (!bridge_.set_binding(name, enabled, loop_.now()))
    return dbus::CallError{"UnknownBinding", "no binding '" + name + "' is configured"};
  return std::nullopt;
}

std::string Service::homeassistant_status() const {
  switch (bridge_.bindings().homeassistant_status()) {
    case bridge::HomeAssistantStatus::kOnline:
      return "online";
    case bridge::HomeAssistantStatus::kOffline:
      return "offline";
    case bridge::HomeAssistantStatus::kUnknown:
      break;
  }
  return "unknown";
}

std::vector<dbus::SensorView> Service::sensors() const {
  std::vector<dbus::SensorView> out;
  for (std::size_t i = 0; sensors_ && i < sensors_->size(); ++i) {
    const auto& sensor = sensors_->sensor(i);
    out.push_back({sensor.config().name, sensor.published().value_or(""), sensor.config().unit,
                   sensor.available().value_or(false)});
  }
  return out;
}

std::optional<dbus::CallError> Service::reload() {
  systemd_.notify("RELOADING=1\nMONOTONIC_USEC=" + std::to_string(monotonic_now().time_since_epoch().count() / 1000));
  auto failed = [&](const std::string& message) {
    last_error_ = message;
    spdlog::error("reload failed, keeping the running configuration: {}", message);
    report_status();
    if (dbus_) dbus_->properties_changed({"LastError"});
    systemd_.notify("READY=1");
    return dbus::CallError{"InvalidConfig", message};
  };
  std::unique_ptr<config::Config> next;
  bridge::ReloadPlan plan;
  std::optional<PwmSet::Next> pwm_next;
  try {
    next = std::make_unique<config::Config>(parts_.load_config());
    if (next->has_counters() && !counter_file_)
      return failed(
          "counters need a state directory when the daemon starts (state_directory or $STATE_DIRECTORY): "
          "restart it");
    // Everything that can fail comes before any output is switched: binding (chips opened, lines
    // found), the new PWM channels opened, then requesting; only then do the bridge and the PWM
    // outputs follow the same plan.
    auto binding = lines_.bind(*next);
    pwm_next = pwm_.prepare(*next);
    auto running = bridge_.running_lines();
    plan = bridge::plan_reload(*config_, running, *next, binding.kernel_debounce(), loop_.now());
    // A software PWM line the LineSet releases goes off first: most chips leave a released line
    // where it was. Back to its level if the lines stay as they are after all.
    auto released = PwmSet::released_lines(*config_, *next);
    for (std::size_t line : released) write_quietly(line, false);
    try {
      lines_.reconcile(std::move(binding), plan);
    } catch (...) {
      for (std::size_t line : released) write_quietly(line, running.at(line).level);
      throw;
    }
  } catch (const config::ConfigError& e) {
    return failed(e.what());
  } catch (const std::exception& e) {  // e.g. a new line is busy
    return failed(std::string("GPIO: ") + e.what());
  }
  for (const auto& warning : next->warnings) spdlog::warn("{}", warning);
  auto old_topics = bridge_.subscriptions();
  auto new_topics = bridge::command_topics(*next);
  config::StatusConfig old_status = config_->mqtt.status;
  // The outbox is sized and stored once, at start: those two keys alone need no new connection.
  auto connection_part = [](config::MqttConfig mqtt) {
    mqtt.buffer = 0;
    mqtt.persistence.clear();
    return mqtt;
  };
  bool mqtt_changed = !(connection_part(next->mqtt) == connection_part(config_->mqtt));
  if (next->mqtt.buffer != config_->mqtt.buffer || next->mqtt.persistence != config_->mqtt.persistence)
    spdlog::warn("reload: mqtt.buffer and mqtt.persistence take effect at the next start");
  if (next->has_counters() && next->state_directory != config_->state_directory)
    spdlog::warn("reload: state_directory takes effect at the next start; counters stay in {}",
                 config_->state_directory);
  bool dbus_changed = next->dbus != config_->dbus;
  // Subscribed before reconfigure() publishes the new lines' states: paho and the broker keep
  // the order, so a command sent by someone who saw a new state is not missed.
  bool same_connection = !mqtt_changed && bridge_.connected();
  if (auto added = minus(new_topics, old_topics); same_connection && !added.empty())
    client_->subscribe(added, config_->mqtt.subscribe_qos);
  pwm_.apply(std::move(*pwm_next), *next);
  bridge_.reconfigure(*next, plan, loop_.now());
  pwm_.finish();
  std::swap(config_, next);  // the old config lives until here: the bridge pointed into it
  next.reset();
  gpio_.watch(*config_);
  if (sensors_) sensors_->configure(*config_, loop_.now());  // read anew: their values come at once
  if (mqtt_changed) {
    spdlog::info("reload: the mqtt section changed: reconnecting to {}", broker());
    republish_timer_.disarm();
    bridge_.on_client_replaced();
    if (sensors_) sensors_->on_disconnected();
    client_->shutdown(Message{old_status.topic, old_status.offline, 1, true}, std::chrono::seconds(2));
    use_client(parts_.make_client(config_->mqtt));
    connection_.start_over(config_->mqtt);
  } else if (auto gone = minus(old_topics, new_topics); same_connection && !gone.empty()) {
    client_->unsubscribe(gone);
  }
  if (dbus_changed) open_dbus();
  bool had_error = !last_error_.empty();
  last_error_.clear();
  spdlog::info("reloaded {}: {} lines{}", config_->file, config_->lines.size(),
               config_->pwm.empty() ? "" : ", " + plural(config_->pwm.size(), "PWM output"));
  report_status();
  if (dbus_)
    dbus_->properties_changed(had_error
                                  ? std::vector<std::string>{"Lines", "PwmOutputs", "Broker", "Server", "LastError"}
                                  : std::vector<std::string>{"Lines", "PwmOutputs", "Broker", "Server"});
  systemd_.notify("READY=1");
  return std::nullopt;
}

}  // namespace gpio2mqtt::service

// The Bridge's counters (inputs in mode: counter): settings, readings, storage and commands.
#include <spdlog/spdlog.h>

#include "gpio2mqtt/bridge/bridge.h"

namespace gpio2mqtt::bridge {

using config::Edge;

CounterSettings Bridge::counter_settings(std::size_t index) const {
  const config::LineConfig& c = *lines_[index].config;
  CounterSettings settings;
  settings.debounce = port_.kernel_debounced(index) ? Nanos(0) : c.debounce;
  settings.count_rising = c.edge != Edge::kFalling;
  settings.count_falling = c.edge != Edge::kRising;
  settings.pulses_per_unit = c.counter.pulses_per_unit;
  settings.rate_timeout = c.counter.rate_timeout;
  settings.publish_interval = c.counter.publish_interval;
  settings.persist_every = c.counter.persist_every;
  return settings;
}

void Bridge::publish_reading(const Line& line, const CounterReading& reading) {
  // Retained plain numbers, not queued: every reading is published again on connect.
  int qos = config_->mqtt.qos;
  send({line.topics.count, std::to_string(reading.count), qos, true}, false);
  send({line.topics.total, format_number(reading.total), qos, true}, false);
  send({line.topics.rate, format_number(reading.rate), qos, true}, false);
}

void Bridge::store_count(const Line& line, std::uint64_t count) {
  if (counter_store_) counter_store_->save(line.config->name, count);
}

void Bridge::counter_time(Line& line, MonoTime now) {
  line.counter->on_time(now);
  if (connected_)
    if (auto reading = line.counter->take_reading(now)) publish_reading(line, *reading);
  if (auto count = line.counter->take_persist(now)) store_count(line, *count);
}

void Bridge::on_counter_command(std::size_t index, std::string_view topic, std::string_view payload, MonoTime now) {
  Line& line = lines_[index];
  auto parsed = parse_counter_command(payload);
  if (auto* error = std::get_if<std::string>(&parsed)) return reject(line, topic, payload, *error, now);
  const auto& command = std::get<CounterCommand>(parsed);
  if (command.reset) line.counter->set_count(0);
  else line.counter->set_total(command.total);
  ++counters_.commands_applied;
  spdlog::info("line {}: counter set to {} pulses ({} {})", line.config->name, line.counter->count(),
               format_number(line.counter->reading().total), line.config->counter.unit);
  set_count(index, line.counter->count(), now);
}

std::optional<CounterReading> Bridge::counter_reading(std::size_t index) const {
  const Line& line = lines_.at(index);
  if (!line.counter) return std::nullopt;
  return line.counter->reading();
}

std::string Bridge::set_count(std::size_t index, std::uint64_t count, MonoTime now) {
  Line& line = lines_.at(index);
  if (!line.counter) return "line '" + line.config->name + "' is not a counter";
  line.counter->set_count(count);
  // Stored at once: a user aligning the total with the meter must not see it undone by a power cut.
  if (auto stored = line.counter->take_unpersisted()) store_count(line, *stored);
  if (connected_) publish_reading(line, line.counter->take_reading_now(now));
  return {};
}

}  // namespace gpio2mqtt::bridge

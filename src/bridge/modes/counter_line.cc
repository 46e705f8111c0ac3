#include "bridge/modes/counter_line.h"

#include <spdlog/spdlog.h>

#include "gpio2mqtt/config/entity.h"

namespace gpio2mqtt::bridge {

using config::Edge;

CounterSettings CounterLine::counter_settings(bool kernel_debounces) const {
  CounterSettings s;
  static_cast<config::CounterConfig&>(s) = settings().counter;
  s.debounce = kernel_debounces ? Nanos(0) : settings().debounce;
  s.count_rising = settings().edge != Edge::kFalling;
  s.count_falling = settings().edge != Edge::kRising;
  s.counted_edges_only = settings().kernel_edges(kernel_debounces) != gpio::Edges::kBoth;
  return s;
}

void CounterLine::start(MonoTime /*now*/, bool kernel_debounces) {
  if (auto level = host().read_level(line())) level_ = *level;
  std::uint64_t count = host().counter_store() ? host().counter_store()->load(settings().name) : 0;
  counter_.emplace(counter_settings(kernel_debounces), count, level_);
}

void CounterLine::inherit(LineMode& predecessor) {
  // A counter keeps its count by its name even when its settings changed (stored already).
  auto* before = dynamic_cast<CounterLine*>(&predecessor);
  if (!before) return;
  counter_->set_count(before->counter_->count());
  counter_->take_unpersisted();
}

void CounterLine::retire() {
  if (auto count = counter_->take_unpersisted()) store(*count);
}

void CounterLine::on_edge(const gpio::EdgeEvent& event) {
  level_ = event.rising;
  counter_->on_edge(event.rising, from_kernel_ns(event.timestamp_ns), event.lost_before);
  // Readings go out from on_time(), at most once per publish_interval.
}

Refusal CounterLine::check_command(std::string_view payload) const {
  auto parsed = parse_counter_command(payload);
  if (auto* error = std::get_if<std::string>(&parsed)) return *error;
  return std::nullopt;
}

void CounterLine::on_command(std::string_view payload, MonoTime now) {
  const auto command = std::get<CounterCommand>(parse_counter_command(payload));
  if (command.reset) counter_->set_count(0);
  else counter_->set_total(command.total);
  ++host().tally().commands_applied;
  spdlog::info("line {}: counter set to {} pulses ({} {})", settings().name, counter_->count(),
               format_number(counter_->reading().total), settings().counter.unit);
  set_count(counter_->count(), now);
}

void CounterLine::set_count(std::uint64_t count, MonoTime now) {
  counter_->set_count(count);
  // Stored at once: a user aligning the total with the meter must not see it undone by a power cut.
  if (auto stored = counter_->take_unpersisted()) store(*stored);
  if (host().connected()) publish_reading(counter_->take_reading_now(now));
}

void CounterLine::publish_reading(const CounterReading& reading) const {
  // Retained plain numbers, not queued: every reading is published again on connect.
  host().send({topics().count, std::to_string(reading.count), qos(), true}, false);
  host().send({topics().total, format_number(reading.total), qos(), true}, false);
  host().send({topics().rate, format_number(reading.rate), qos(), true}, false);
}

void CounterLine::store(std::uint64_t count) const {
  if (auto* store = host().counter_store()) store->save(settings().name, count);
}

void CounterLine::publish_state(MonoTime now) { publish_reading(counter_->take_reading_now(now)); }

void CounterLine::on_time(MonoTime now) {
  counter_->on_time(now);
  if (host().connected())
    if (auto reading = counter_->take_reading(now)) publish_reading(*reading);
  if (auto count = counter_->take_persist(now)) store(*count);
}

std::optional<MonoTime> CounterLine::deadline() const {
  std::optional<MonoTime> next;
  auto consider = [&](std::optional<MonoTime> t) {
    if (t && (!next || *t < *next)) next = t;
  };
  consider(counter_->deadline());
  if (host().connected()) consider(counter_->publish_deadline());
  if (host().counter_store()) consider(counter_->persist_deadline());
  return next;
}

void CounterLine::on_stop(MonoTime now) {
  counter_->on_time(now);
  if (host().connected()) publish_reading(counter_->take_reading_now(now));
  retire();
}

void CounterLine::resync() {
  auto level = host().read_level(line());
  if (!level || *level == level_) return;
  level_ = *level;
  counter_->reset_level(*level);  // a change unseen is no pulse
}

}  // namespace gpio2mqtt::bridge

namespace gpio2mqtt::bridge {
namespace {

// A counter's unit as Home Assistant classes it, and the unit of its rate (the unit per hour).
struct MeterUnits {
  std::string_view device_class;       // of the total; empty: none
  std::string_view rate_device_class;  // of the rate
  std::string rate_unit;
};

MeterUnits meter_units(const config::LineConfig& line) {
  const std::string& unit = line.counter.unit;
  std::string device_class = line.entity.device_class;
  if (device_class.empty()) {
    if (unit == "Wh" || unit == "kWh" || unit == "MWh" || unit == "MJ" || unit == "GJ") device_class = "energy";
    else if (unit == "L" || unit == "m³" || unit == "gal" || unit == "ft³") device_class = "water";
  }
  if (device_class == "energy") {
    // kWh per hour is kW: the rate is the power.
    if (unit == "Wh" || unit == "kWh" || unit == "MWh") return {"energy", "power", unit.substr(0, unit.size() - 1)};
    return {"energy", "", unit + "/h"};
  }
  if (device_class == "water" || device_class == "gas") {
    bool flow = unit == "L" || unit == "m³" || unit == "gal";  // L/h, m³/h, gal/h are flow units
    return {device_class == "water" ? "water" : "gas", flow ? "volume_flow_rate" : "", unit + "/h"};
  }
  return {"", "", unit + "/h"};
}

}  // namespace

// The total, a meter Home Assistant's energy dashboard takes (total_increasing: a decrease, as
// after `reset`, is read as a new meter cycle), and the rate.
std::vector<std::pair<ComponentId, JsonObject>> CounterLine::components(const config::Config& config,
                                                                        const config::LineConfig& line) {
  auto topics = make_topics(config.mqtt.base_topic, line.name);
  std::string id = config::entity_object_id(line);
  std::string name = line.entity.name.empty() ? line.name : line.entity.name;
  MeterUnits units = meter_units(line);
  JsonObject total = entity_component(config, line, "sensor", id, name, topics.total);
  total.add("unit_of_measurement", line.counter.unit).add("state_class", "total_increasing");
  if (!units.device_class.empty()) total.add("device_class", units.device_class);
  JsonObject rate = entity_component(config, line, "sensor", id + "_rate", name + " rate", topics.rate);
  rate.add("unit_of_measurement", units.rate_unit).add("state_class", "measurement");
  if (!units.rate_device_class.empty()) rate.add("device_class", units.rate_device_class);
  return {{{id, "sensor"}, total}, {{id + "_rate", "sensor"}, rate}};
}

}  // namespace gpio2mqtt::bridge

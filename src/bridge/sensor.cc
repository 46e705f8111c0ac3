#include "gpio2mqtt/bridge/sensor.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>

#include "gpio2mqtt/bridge/command.h"
#include "gpio2mqtt/config/entity.h"

namespace gpio2mqtt::bridge {
namespace {

// The reader gives up at the timeout itself where the file lets it; a read the kernel holds, or
// one that waited behind others in the worker's queue, gets this much more.
constexpr Nanos kAnswerGrace = std::chrono::seconds(1);

double rounded(double value, int precision) {
  double scale = std::pow(10.0, precision);
  return std::round(value * scale) / scale;
}

Nanos retry_after(int failures_in_a_row) {
  Nanos delay = kFirstRetry;
  for (int i = 1; i < failures_in_a_row && delay < kLongestRetry; ++i) delay *= 2;
  return std::min(delay, kLongestRetry);
}

}  // namespace

SensorTopics sensor_topics(const std::string& base_topic, const config::SensorConfig& sensor) {
  SensorTopics topics{base_topic + "/" + sensor.name + "/state", base_topic + "/" + sensor.name + "/availability", {}};
  for (const auto& threshold : sensor.thresholds)
    topics.thresholds.push_back(base_topic + "/" + sensor.name + "/" + threshold.name + "/state");
  return topics;
}

std::string format_sensor_value(double value, int precision) {
  double r = rounded(value, precision);
  if (r == 0) r = 0;  // -0.0 prints as "-0"
  return fmt::format("{:.{}f}", r, precision);
}

std::vector<std::pair<ComponentId, JsonObject>> Sensor::components(const config::Config& config,
                                                                   const config::SensorConfig& sensor) {
  auto topics = sensor_topics(config.mqtt.base_topic, sensor);
  auto ids = config::sensor_object_ids(sensor);
  std::string name = sensor.title.empty() ? sensor.name : sensor.title;
  JsonObject own;
  own.add("topic", topics.availability);
  std::string available = "[" + availability(config.mqtt.status).str() + "," + own.str() + "]";
  auto component = [&](std::string_view platform, const std::string& id, const std::string& title,
                       const std::string& state_topic) {
    JsonObject c;
    c.add("p", platform).add("name", title).add("unique_id", config.homeassistant.device_id + "_" + id);
    c.add("state_topic", state_topic).add_raw("availability", available).add("availability_mode", "all");
    return c;
  };
  JsonObject value = component("sensor", ids[0], name, topics.state);
  if (!sensor.device_class.empty()) value.add("device_class", sensor.device_class);
  if (!sensor.unit.empty()) value.add("unit_of_measurement", sensor.unit);
  value.add("state_class", "measurement").add_raw("suggested_display_precision", std::to_string(sensor.precision));
  std::vector<std::pair<ComponentId, JsonObject>> out{{{ids[0], "sensor"}, value}};
  for (std::size_t i = 0; i < sensor.thresholds.size(); ++i) {
    const auto& threshold = sensor.thresholds[i];
    JsonObject binary = component("binary_sensor", ids[i + 1], name + " " + threshold.name, topics.thresholds[i]);
    binary.add("payload_on", state_word(true)).add("payload_off", state_word(false));
    if (sensor.device_class == "temperature") binary.add("device_class", threshold.above ? "heat" : "cold");
    out.push_back({{ids[i + 1], "binary_sensor"}, binary});
  }
  return out;
}

Sensor::Sensor(const config::SensorConfig& config, MonoTime now)
    : config_(config), due_(now), threshold_on_(config.thresholds.size()) {}

std::optional<MonoTime> Sensor::next_read() const {
  if (read_out_) return std::nullopt;
  return due_;
}

void Sensor::on_read_sent(MonoTime now) {
  read_out_ = true;
  late_ = false;
  sent_at_ = now;
}

std::optional<MonoTime> Sensor::answer_deadline() const {
  if (!read_out_ || late_) return std::nullopt;
  return sent_at_ + config_.timeout + kAnswerGrace;
}

SensorOutcome Sensor::on_result(const sensors::ReadResult& result, MonoTime now) {
  bool was_late = late_;
  read_out_ = false;
  late_ = false;
  if (was_late) {
    // Its failure was counted at the deadline; the retry waits for the backoff from then.
    due_ = std::max(due_, now);
    return {};
  }
  if (const double* value = std::get_if<double>(&result)) return on_value(*value, now);
  const auto& error = std::get<sensors::ReadError>(result);
  if (error.dropped()) {
    ++counts_.dropped;
    if (++dropped_in_a_row_ < kDroppedInARowIsAFailure) {
      due_ = now + std::min<Nanos>(config_.interval, kFirstRetry);
      return {};
    }
    dropped_in_a_row_ = 0;
    return on_failure(std::to_string(kDroppedInARowIsAFailure) + " readings in a row dropped, the last: " + error.text,
                      now);
  }
  if (error.kind == sensors::ReadError::Kind::kTimeout) ++counts_.timeouts;  // the source's own deadline
  return on_failure(error.text, now);
}

SensorOutcome Sensor::on_late(MonoTime now) {
  late_ = true;
  ++counts_.timeouts;
  return on_failure(
      "no answer within " + fmt::format("{}", std::chrono::duration<double>(config_.timeout).count()) + " s (timeout)",
      now);
}

SensorOutcome Sensor::on_failure(const std::string& why, MonoTime now) {
  SensorOutcome outcome;
  ++counts_.failures;
  ++failures_in_a_row_;
  due_ = now + retry_after(failures_in_a_row_);
  if (available_ != false) {
    available_ = false;
    outcome.available = false;
    outcome.warning = why;
  }
  return outcome;
}

SensorOutcome Sensor::on_value(double abi_value, MonoTime now) {
  SensorOutcome outcome;
  ++counts_.reads;
  dropped_in_a_row_ = 0;
  // Reads keep to the interval from when they were sent, not drifting by how long each took.
  due_ = std::max(now, sent_at_ + config_.interval);
  if (!std::isfinite(abi_value)) return on_failure("not a finite number", now);
  double value = abi_value * config_.factor * config_.multiply + config_.offset;
  bool back = available_ != true;
  if (back) {
    if (failures_in_a_row_ > 0)
      outcome.recovered = "back after " + std::to_string(failures_in_a_row_) + " failed reads";
    available_ = true;
    outcome.available = true;
  }
  failures_in_a_row_ = 0;
  double shown = rounded(value, config_.precision);
  bool moved = !published_value_ ||
               (config_.delta > 0 ? std::abs(shown - *published_value_) >= config_.delta : shown != *published_value_);
  bool stale = config_.max_interval.count() > 0 && now - published_at_ >= config_.max_interval;
  if (moved || stale || back) {
    published_value_ = shown;
    published_text_ = format_sensor_value(shown, config_.precision);
    published_at_ = now;
    outcome.state = published_text_;
  }
  update_thresholds(value, outcome);
  return outcome;
}

void Sensor::update_thresholds(double value, SensorOutcome& outcome) {
  for (std::size_t i = 0; i < config_.thresholds.size(); ++i) {
    const auto& threshold = config_.thresholds[i];
    bool beyond = threshold.above ? value > threshold.level : value < threshold.level;
    bool back = threshold.above ? value < threshold.level - threshold.hysteresis
                                : value > threshold.level + threshold.hysteresis;
    std::optional<bool>& on = threshold_on_[i];
    bool next = !on ? beyond : *on ? !back : beyond;
    if (on != next) {
      on = next;
      outcome.thresholds.emplace_back(i, next);
    }
  }
}

}  // namespace gpio2mqtt::bridge

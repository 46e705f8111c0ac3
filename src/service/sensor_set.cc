#include "service/sensor_set.h"

#include <spdlog/spdlog.h>

#include <algorithm>

#include "gpio2mqtt/bridge/command.h"

namespace gpio2mqtt::service {

SensorSet::SensorSet(EventLoop& loop, sensors::Source& source, bridge::Publisher& publisher)
    : loop_(loop), source_(source), publisher_(publisher), timer_(loop.timer("sensors", [this] { on_time(); })) {}

namespace {

std::vector<std::string> all_topics(const bridge::SensorTopics& topics) {
  std::vector<std::string> out{topics.state, topics.availability};
  out.insert(out.end(), topics.thresholds.begin(), topics.thresholds.end());
  return out;
}

}  // namespace

void SensorSet::configure(const config::Config& config, MonoTime now) {
  ++generation_;
  qos_ = config.mqtt.qos;
  std::vector<Entry> old = std::move(sensors_);
  sensors_.clear();
  for (const auto& sensor : config.sensors)
    sensors_.push_back({bridge::Sensor(sensor, now), bridge::sensor_topics(config.mqtt.base_topic, sensor)});
  std::vector<std::string> kept;
  for (const auto& entry : sensors_)
    for (auto& topic : all_topics(entry.topics)) kept.push_back(std::move(topic));
  for (const auto& entry : old) {
    earlier_ += entry.sensor.counts();
    for (auto& topic : all_topics(entry.topics))
      if (std::find(kept.begin(), kept.end(), topic) == kept.end() &&
          std::find(stale_.begin(), stale_.end(), topic) == stale_.end())
        stale_.push_back(std::move(topic));
  }
  // A sensor that comes back before the connect publishes its topics anew: nothing to clear.
  std::erase_if(stale_,
                [&](const std::string& topic) { return std::find(kept.begin(), kept.end(), topic) != kept.end(); });
  if (!stale_.empty() && connected_) clear_stale();
  if (!sensors_.empty() && !worker_) {
    worker_ = std::make_unique<SensorWorker>(source_, sensors_.size());
    answers_watch_ = loop_.watch(worker_->fd(), "sensor answers", [this] { on_answers(); });
  }
  if (worker_) worker_->restart(sensors_.size());
  rearm();
}

void SensorSet::clear_stale() {
  spdlog::info("sensors: clearing {} retained topics of sensors or thresholds no longer configured", stale_.size());
  for (const auto& topic : stale_) publish(topic, "");
  stale_.clear();
}

void SensorSet::on_connected() {
  connected_ = true;
  if (!stale_.empty()) clear_stale();
  for (const auto& entry : sensors_) {
    const auto& sensor = entry.sensor;
    if (auto available = sensor.available())
      publish(entry.topics.availability, *available ? bridge::kSensorOnline : bridge::kSensorOffline);
    if (const auto& value = sensor.published()) publish(entry.topics.state, *value);
    for (std::size_t i = 0; i < sensor.threshold_states().size(); ++i)
      if (auto on = sensor.threshold_states()[i]) publish(entry.topics.thresholds[i], bridge::state_word(*on));
  }
}

bridge::SensorCounts SensorSet::totals() const {
  bridge::SensorCounts totals = earlier_;
  for (const auto& entry : sensors_) totals += entry.sensor.counts();
  return totals;
}

void SensorSet::on_time() {
  MonoTime now = loop_.now();
  for (std::size_t i = 0; i < sensors_.size(); ++i) {
    Entry& entry = sensors_[i];
    if (auto deadline = entry.sensor.answer_deadline(); deadline && *deadline <= now)
      apply(entry, entry.sensor.on_late(now));
    auto due = entry.sensor.next_read();
    if (!due || *due > now) continue;
    const auto& config = entry.sensor.config();
    entry.sensor.on_read_sent(now);
    auto timeout = std::chrono::duration_cast<std::chrono::milliseconds>(config.timeout);
    if (!worker_->submit({i, generation_, config.channel, timeout}))  // cannot be: one read per sensor at most
      apply(entry, entry.sensor.on_result(sensors::ReadError{sensors::ReadError::Kind::kIo, "read queue full"}, now));
  }
  rearm();
}

void SensorSet::on_answers() {
  MonoTime now = loop_.now();
  for (auto& answer : worker_->take())
    if (answer.generation == generation_ && answer.sensor < sensors_.size())
      apply(sensors_[answer.sensor], sensors_[answer.sensor].sensor.on_result(answer.result, now));
  rearm();
}

void SensorSet::apply(Entry& entry, const bridge::SensorOutcome& outcome) {
  const std::string& name = entry.sensor.config().name;
  if (!outcome.warning.empty())
    spdlog::warn("sensor '{}': {}; unavailable, retrying (1 s doubling to 60 s)", name, outcome.warning);
  if (!outcome.recovered.empty()) spdlog::info("sensor '{}': {}", name, outcome.recovered);
  if (outcome.available)
    publish(entry.topics.availability, *outcome.available ? bridge::kSensorOnline : bridge::kSensorOffline);
  if (outcome.state) publish(entry.topics.state, *outcome.state);
  for (auto [index, on] : outcome.thresholds) publish(entry.topics.thresholds[index], bridge::state_word(on));
}

void SensorSet::publish(const std::string& topic, const std::string& payload) {
  if (connected_) publisher_.publish(Message{topic, payload, qos_, true});
}

void SensorSet::rearm() {
  std::optional<MonoTime> next;
  for (const auto& entry : sensors_)
    for (auto when : {entry.sensor.next_read(), entry.sensor.answer_deadline()})
      if (when && (!next || *when < *next)) next = when;
  if (next) timer_.arm_at(*next);
  else timer_.disarm();
}

}  // namespace gpio2mqtt::service

// The configured sensors, run on the service's loop: reads handed to a SensorWorker when due, the
// answers taken back through its eventfd, and what they change published (bridge/sensor.h).
// Sensor topics are retained states: nothing is queued while the broker is away, every sensor's
// topics are published again at each connect.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "gpio2mqtt/bridge/bridge.h"
#include "gpio2mqtt/bridge/sensor.h"
#include "gpio2mqtt/config/config.h"
#include "service/event_loop.h"
#include "service/sensor_worker.h"

namespace gpio2mqtt::service {

class SensorSet {
 public:
  // `source` and `publisher` are borrowed. Reads nothing until configure().
  SensorSet(EventLoop& loop, sensors::Source& source, bridge::Publisher& publisher);

  // Starts reading `config`'s sensors (at start, after a reload), each read at once; answers to
  // reads of the previous config are ignored. The retained topics the previous config published
  // and this one does not (a sensor or a threshold removed or renamed) are cleared (an empty
  // retained payload), at the next connect when the broker is away: Home Assistant would show
  // their last values forever (their components go through the bridge's announcement).
  void configure(const config::Config& config, MonoTime now);
  // Publishes every sensor's availability, value and thresholds as they are now.
  void on_connected();
  void on_disconnected() { connected_ = false; }
  // Values read, failures and dropped readings since the start (sensors a reload removed or read
  // anew included), for STATUS=, D-Bus and the log at a stop.
  bridge::SensorCounts totals() const;
  std::size_t size() const { return sensors_.size(); }
  const bridge::Sensor& sensor(std::size_t index) const { return sensors_.at(index).sensor; }

 private:
  struct Entry {
    bridge::Sensor sensor;
    bridge::SensorTopics topics;
  };
  void on_time();
  void on_answers();
  void apply(Entry& entry, const bridge::SensorOutcome& outcome);
  void publish(const std::string& topic, const std::string& payload);
  void clear_stale();
  void rearm();

  EventLoop& loop_;
  sensors::Source& source_;
  bridge::Publisher& publisher_;
  int qos_ = 1;
  bool connected_ = false;
  std::uint64_t generation_ = 0;
  std::vector<Entry> sensors_;
  bridge::SensorCounts earlier_;    // of the sensors before the last configure()
  std::vector<std::string> stale_;  // retained topics to clear at the next connect
  // Made with the first sensor. Its destructor waits for the read in progress; reads still queued
  // at a stop are dropped.
  std::unique_ptr<SensorWorker> worker_;
  FdWatch answers_watch_;  // after the worker whose fd it watches
  Timer timer_;
};

}  // namespace gpio2mqtt::service

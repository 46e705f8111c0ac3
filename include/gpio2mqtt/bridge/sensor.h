// A sensor's logic (a `sensors:` entry): when to read it, what a reading publishes, how failures
// show. Pure: time is passed in, reads happen elsewhere (service/sensor_worker.h) and come back
// as values in the ABI's unit or as errors.
//
// A value is the ABI's * factor * multiply + offset, rounded to `precision`. It is published when
// it moved by `delta` or more from the last one published (delta 0: when the rounded value
// changed), and at least every `max_interval`. A threshold turns on beyond its level and off once
// the value is back by its hysteresis. A read that fails (gone, I/O error, no answer within the
// timeout) makes the sensor unavailable, said once, and is retried after 1 s, doubling to 60 s;
// a dropped reading (a 1-Wire CRC failure, the 85 °C power-on value) is retried after at most a
// second and counted, and only three in a row count as a failure.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "gpio2mqtt/bridge/discovery.h"
#include "gpio2mqtt/config/config.h"
#include "gpio2mqtt/sensors/source.h"
#include "gpio2mqtt/util/clock.h"

namespace gpio2mqtt::bridge {

inline constexpr int kDroppedInARowIsAFailure = 3;
inline constexpr Nanos kFirstRetry = std::chrono::seconds(1);
inline constexpr Nanos kLongestRetry = std::chrono::seconds(60);

// What a reading or failure changed, for the caller to publish and log.
struct SensorOutcome {
  std::optional<std::string> state;                      // the value to publish, formatted
  std::optional<bool> available;                         // availability changed to this
  std::vector<std::pair<std::size_t, bool>> thresholds;  // (index, on) of thresholds that changed
  std::string warning;                                   // a failure to log (once per spell)
  std::string recovered;                                 // the sensor is back after failing
};

struct SensorCounts {
  std::uint64_t reads = 0;     // values read
  std::uint64_t failures = 0;  // reads that failed or timed out
  std::uint64_t timeouts = 0;  // of the failures, reads that did not answer within the timeout
  std::uint64_t dropped = 0;   // readings dropped (CRC, power-on value)
  SensorCounts& operator+=(const SensorCounts& other) {
    reads += other.reads;
    failures += other.failures;
    timeouts += other.timeouts;
    dropped += other.dropped;
    return *this;
  }
};

// <base>/<sensor>/state (the value, retained), <base>/<sensor>/availability (online/offline,
// retained) and <base>/<sensor>/<threshold>/state (ON/OFF, retained).
struct SensorTopics {
  std::string state, availability;
  std::vector<std::string> thresholds;  // in config order
};
SensorTopics sensor_topics(const std::string& base_topic, const config::SensorConfig& sensor);
inline constexpr const char* kSensorOnline = "online";
inline constexpr const char* kSensorOffline = "offline";

// The value with `precision` decimals, never "-0".
std::string format_sensor_value(double value, int precision);

class Sensor {
 public:
  // The first read is due at `now`.
  Sensor(const config::SensorConfig& config, MonoTime now);

  // Its Home Assistant components: a `sensor` with its device class, unit, state_class
  // measurement and display precision, and a `binary_sensor` per threshold; each available while
  // both the status will and the sensor's own availability topic say so.
  static std::vector<std::pair<ComponentId, JsonObject>> components(const config::Config& config,
                                                                    const config::SensorConfig& sensor);

  // When the next read is due; nullopt while one is out.
  std::optional<MonoTime> next_read() const;
  // A read was handed over at `now`; it is late at answer_deadline().
  void on_read_sent(MonoTime now);
  std::optional<MonoTime> answer_deadline() const;
  // The answer to the read sent last (a late one, after on_late(), is taken as nothing but the
  // end of that read).
  SensorOutcome on_result(const sensors::ReadResult& result, MonoTime now);
  // The read did not answer by its deadline: a failure (its answer, when it comes, is ignored).
  SensorOutcome on_late(MonoTime now);
  // True while a read handed over has not answered (late or not): no other read is sent.
  bool read_out() const { return read_out_; }

  // What the topics should hold now (after a connect): the last value published, availability
  // (nullopt before the first answer) and the thresholds' states.
  const std::optional<std::string>& published() const { return published_text_; }
  std::optional<bool> available() const { return available_; }
  const std::vector<std::optional<bool>>& threshold_states() const { return threshold_on_; }
  const SensorCounts& counts() const { return counts_; }
  const config::SensorConfig& config() const { return config_; }

 private:
  SensorOutcome on_value(double abi_value, MonoTime now);
  SensorOutcome on_failure(const std::string& why, MonoTime now);
  void update_thresholds(double value, SensorOutcome& outcome);

  config::SensorConfig config_;
  MonoTime due_;
  bool read_out_ = false;
  bool late_ = false;  // the read out passed its deadline
  MonoTime sent_at_{};
  std::optional<bool> available_;
  int failures_in_a_row_ = 0;
  int dropped_in_a_row_ = 0;
  std::optional<double> published_value_;
  std::optional<std::string> published_text_;
  MonoTime published_at_{};
  std::vector<std::optional<bool>> threshold_on_;
  SensorCounts counts_;
};

}  // namespace gpio2mqtt::bridge

// A sensor's logic with time passed in: calibration, when a value is published (delta,
// max_interval, precision), thresholds with hysteresis, dropped readings and failures.
#include "gpio2mqtt/bridge/sensor.h"

#include <gtest/gtest.h>

namespace gpio2mqtt::bridge {
namespace {

using namespace std::chrono_literals;
using sensors::ReadError;

config::SensorConfig thermometer() {
  config::SensorConfig c;
  c.name = "outdoor";
  c.channel = {sensors::Channel::Kind::kW1, "28-0316a2794bff", ""};
  c.factor = 0.001;  // millidegrees -> °C
  c.precision = 1;
  c.interval = 10s;
  c.max_interval = 5min;
  return c;
}

MonoTime at(Nanos since_start) { return MonoTime(since_start); }

// Sends a read at `when` and answers it with `result`.
SensorOutcome read(Sensor& sensor, sensors::ReadResult result, MonoTime when) {
  sensor.on_read_sent(when);
  return sensor.on_result(result, when + 10ms);
}

TEST(ASensor, ReadsAtOnceThenEveryIntervalFromWhenTheReadWasSent) {
  Sensor sensor(thermometer(), at(0s));
  EXPECT_EQ(sensor.next_read(), at(0s));
  sensor.on_read_sent(at(0s));
  EXPECT_EQ(sensor.next_read(), std::nullopt);
  sensor.on_result(21500.0, at(750ms));
  EXPECT_EQ(sensor.next_read(), at(10s));
}

TEST(ASensor, PublishesTheAbiValueScaledCalibratedAndRounded) {
  auto c = thermometer();
  c.multiply = 1.02;
  c.offset = -0.5;
  Sensor sensor(c, at(0s));
  auto outcome = read(sensor, 21125.0, at(0s));  // 21.125 * 1.02 - 0.5 = 21.0475
  EXPECT_EQ(outcome.state, "21.0");
  EXPECT_EQ(outcome.available, true);
  EXPECT_EQ(sensor.published(), "21.0");
}

TEST(ASensor, PublishesOnlyWhenTheRoundedValueChangesWithoutADelta) {
  Sensor sensor(thermometer(), at(0s));
  read(sensor, 21020.0, at(0s));
  EXPECT_EQ(read(sensor, 20990.0, at(10s)).state, std::nullopt);  // 21.0 again
  EXPECT_EQ(read(sensor, 21060.0, at(20s)).state, "21.1");
}

TEST(ASensor, PublishesOnceTheValueMovedByTheDelta) {
  auto c = thermometer();
  c.delta = 0.5;
  Sensor sensor(c, at(0s));
  read(sensor, 20000.0, at(0s));
  EXPECT_EQ(read(sensor, 20400.0, at(10s)).state, std::nullopt);
  EXPECT_EQ(read(sensor, 19600.0, at(20s)).state, std::nullopt);
  EXPECT_EQ(read(sensor, 20500.0, at(30s)).state, "20.5");
}

TEST(ASensor, PublishesAnUnchangedValueAgainAfterMaxInterval) {
  Sensor sensor(thermometer(), at(0s));
  read(sensor, 20000.0, at(0s));
  EXPECT_EQ(read(sensor, 20000.0, at(4min + 50s)).state, std::nullopt);
  EXPECT_EQ(read(sensor, 20000.0, at(5min)).state, "20.0");
}

TEST(ASensor, NeverPublishesMinusZero) { EXPECT_EQ(format_sensor_value(-0.04, 1), "0.0"); }

TEST(ASensor, DropsAPowerOnOrCrcReadingAndRetriesWithinASecond) {
  Sensor sensor(thermometer(), at(0s));
  read(sensor, 20000.0, at(0s));
  auto outcome = read(sensor, ReadError{ReadError::Kind::kPowerOn, "85"}, at(10s));
  EXPECT_EQ(outcome.state, std::nullopt);
  EXPECT_EQ(outcome.available, std::nullopt);
  EXPECT_EQ(sensor.next_read(), at(10s + 10ms + 1s));
  read(sensor, ReadError{ReadError::Kind::kCrc, "crc=00 NO"}, at(11s));
  EXPECT_EQ(sensor.counts().dropped, 2u);
  EXPECT_EQ(sensor.counts().failures, 0u);
  EXPECT_EQ(sensor.available(), true);
}

TEST(ASensor, TakesThreeDroppedReadingsInARowForAFailure) {
  Sensor sensor(thermometer(), at(0s));
  read(sensor, 20000.0, at(0s));
  read(sensor, ReadError{ReadError::Kind::kCrc, "crc=00 NO"}, at(10s));
  read(sensor, ReadError{ReadError::Kind::kCrc, "crc=00 NO"}, at(11s));
  auto outcome = read(sensor, ReadError{ReadError::Kind::kCrc, "crc=00 NO"}, at(12s));
  EXPECT_EQ(outcome.available, false);
  EXPECT_EQ(outcome.warning, "3 readings in a row dropped, the last: crc=00 NO");
}

TEST(ASensor, SaysAFailureOnceShowsItUnavailableAndBacksOff) {
  Sensor sensor(thermometer(), at(0s));
  read(sensor, 20000.0, at(0s));
  auto first = read(sensor, ReadError{ReadError::Kind::kGone, "no 1-Wire device"}, at(10s));
  EXPECT_EQ(first.available, false);
  EXPECT_EQ(first.warning, "no 1-Wire device");
  EXPECT_EQ(sensor.next_read(), at(10s + 10ms + 1s));
  auto second = read(sensor, ReadError{ReadError::Kind::kGone, "no 1-Wire device"}, at(11s + 10ms));
  EXPECT_EQ(second.available, std::nullopt);
  EXPECT_EQ(second.warning, "");
  EXPECT_EQ(sensor.next_read(), at(11s + 20ms + 2s));
  for (int i = 0; i < 10; ++i) read(sensor, ReadError{ReadError::Kind::kIo, "EIO"}, at(1h));
  EXPECT_EQ(sensor.next_read(), at(1h + 10ms + 60s));
  EXPECT_EQ(sensor.counts().failures, 12u);
}

TEST(ASensor, ComesBackAvailableAndRepublishesItsValue) {
  Sensor sensor(thermometer(), at(0s));
  read(sensor, 20000.0, at(0s));
  read(sensor, ReadError{ReadError::Kind::kIo, "EIO"}, at(10s));
  auto back = read(sensor, 20000.0, at(11s));
  EXPECT_EQ(back.available, true);
  EXPECT_EQ(back.state, "20.0");
  EXPECT_EQ(back.recovered, "back after 1 failed reads");
}

TEST(ASensor, FailsAReadThatMissesItsDeadlineAndIgnoresItsLateAnswer) {
  auto c = thermometer();
  c.timeout = 2s;
  Sensor sensor(c, at(0s));
  sensor.on_read_sent(at(0s));
  EXPECT_EQ(sensor.answer_deadline(), at(3s));
  auto late = sensor.on_late(at(3s));
  EXPECT_EQ(late.available, false);
  EXPECT_EQ(sensor.answer_deadline(), std::nullopt);
  EXPECT_TRUE(sensor.read_out());
  EXPECT_EQ(sensor.next_read(), std::nullopt);  // the worker still holds it
  auto answer = sensor.on_result(20000.0, at(5s));
  EXPECT_EQ(answer.state, std::nullopt);
  EXPECT_EQ(sensor.next_read(), at(5s));  // its backoff (1 s from 3 s) is over
  EXPECT_EQ(sensor.counts().failures, 1u);
  EXPECT_EQ(sensor.counts().timeouts, 1u);  // the late answer counts for nothing more
  read(sensor, ReadError{ReadError::Kind::kIo, "EIO"}, at(5s));
  EXPECT_EQ(sensor.counts().failures, 2u);
  EXPECT_EQ(sensor.counts().timeouts, 1u);                                          // an I/O error is no timeout
  read(sensor, ReadError{ReadError::Kind::kTimeout, "no answer in time"}, at(7s));  // the source's own deadline
  EXPECT_EQ(sensor.counts().failures, 3u);
  EXPECT_EQ(sensor.counts().timeouts, 2u);
}

config::SensorConfig with_threshold(bool above, double level, double hysteresis) {
  auto c = thermometer();
  c.thresholds.push_back({"limit", above, level, hysteresis, {}});
  return c;
}

TEST(AThreshold, TurnsOnBelowItsLevelAndOffOnlyPastTheHysteresis) {
  Sensor sensor(with_threshold(false, 3, 0.5), at(0s));
  auto first = read(sensor, 5000.0, at(0s));
  ASSERT_EQ(first.thresholds.size(), 1u);
  EXPECT_EQ(first.thresholds[0], (std::pair<std::size_t, bool>{0, false}));
  EXPECT_EQ(read(sensor, 2900.0, at(10s)).thresholds, (std::vector<std::pair<std::size_t, bool>>{{0, true}}));
  EXPECT_TRUE(read(sensor, 3400.0, at(20s)).thresholds.empty());  // within the hysteresis
  EXPECT_EQ(read(sensor, 3600.0, at(30s)).thresholds, (std::vector<std::pair<std::size_t, bool>>{{0, false}}));
}

TEST(AThreshold, TurnsOnAboveItsLevelAndOffOnlyPastTheHysteresis) {
  Sensor sensor(with_threshold(true, 30, 1), at(0s));
  EXPECT_EQ(read(sensor, 31000.0, at(0s)).thresholds, (std::vector<std::pair<std::size_t, bool>>{{0, true}}));
  EXPECT_TRUE(read(sensor, 29500.0, at(10s)).thresholds.empty());
  EXPECT_EQ(read(sensor, 28900.0, at(20s)).thresholds, (std::vector<std::pair<std::size_t, bool>>{{0, false}}));
  EXPECT_EQ(sensor.threshold_states()[0], false);
}

}  // namespace
}  // namespace gpio2mqtt::bridge

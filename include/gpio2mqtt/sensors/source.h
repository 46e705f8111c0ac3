// The sensor seam: values the kernel computes from sensors it has drivers for, read through sysfs.
// Two kinds: an Industrial I/O (IIO) channel (ADCs, temperature, humidity, pressure: ads1015,
// mcp3008, bme280, sht3x, ...) and a 1-Wire thermometer of the w1_therm driver (DS18B20, ...).
// Reads block (a 1-Wire conversion takes up to 750 ms): they run off the loop thread
// (service/sensor_worker.h). sensors/sysfs_source.h implements it over a sysfs tree.
#pragma once

#include <chrono>
#include <string>
#include <variant>
#include <vector>

namespace gpio2mqtt::sensors {

// What a sensor reads.
struct Channel {
  enum class Kind { kIio, kW1 };
  Kind kind = Kind::kIio;
  // IIO: the device's `name` attribute (bme280, ads1015) or its sysfs path (absolute, under /sys).
  // 1-Wire: the slave's id, family and serial (28-0316a2794bff).
  std::string device;
  std::string channel;  // IIO: in_temp, in_voltage0, in_humidityrelative, ...; 1-Wire: empty
  bool operator==(const Channel&) const = default;
};

// Why a read gave no value.
struct ReadError {
  enum class Kind {
    kGone,     // no such device or channel (unplugged, module unloaded)
    kIo,       // the read failed, or gave no number
    kTimeout,  // no answer within the read's timeout
    kCrc,      // 1-Wire: the scratchpad's CRC did not match (a noisy bus): dropped
    kPowerOn,  // 1-Wire: 85 °C, the value a DS18B20 holds before its first conversion: dropped
  };
  Kind kind = Kind::kIo;
  std::string text;  // what failed, for the log
  // A dropped reading says nothing about the sensor being there: counted, not shown as a failure.
  bool dropped() const { return kind == Kind::kCrc || kind == Kind::kPowerOn; }
};

// A value in the unit the kernel's ABI gives the channel (millidegrees Celsius, milli-percent,
// kPa, mV, ...), or why there is none.
using ReadResult = std::variant<double, ReadError>;

class Source {
 public:
  virtual ~Source() = default;
  // Reads one value; gives up with kTimeout after `timeout` where the file lets it wait (a read
  // the kernel itself blocks in cannot be cut short: the caller bounds it too). Thread-safe.
  virtual ReadResult read(const Channel& channel, std::chrono::milliseconds timeout) = 0;
  // The ids of the 1-Wire thermometers the kernel lists now, sorted.
  virtual std::vector<std::string> w1_thermometers() = 0;
  // What the machine has for `channel`, for --check-config: the device found and its files.
  virtual std::string describe(const Channel& channel) = 0;
};

}  // namespace gpio2mqtt::sensors

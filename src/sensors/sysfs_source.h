// sensors::Source over sysfs: IIO devices under <root>/bus/iio/devices, 1-Wire slaves under
// <root>/bus/w1/devices, as Documentation/ABI/testing/sysfs-bus-iio and sysfs-driver-w1_therm
// describe them. The root is /sys on a machine, a file tree in tests.
#pragma once

#include <string>

#include "gpio2mqtt/sensors/source.h"

namespace gpio2mqtt::sensors {

class SysfsSource : public Source {
 public:
  explicit SysfsSource(std::string root = "/sys") : root_(std::move(root)) {}

  // IIO: `<channel>_input` where the driver gives one, else (`_raw` + `_offset`) * `_scale`, each
  // of these from the channel's own attribute or the one its type shares (`in_voltage_scale`).
  // 1-Wire: `temperature` (millidegrees; empty after a CRC failure) where the kernel has it, else
  // `w1_slave` (`... crc=xx YES|NO`, then `... t=23125`).
  ReadResult read(const Channel& channel, std::chrono::milliseconds timeout) override;
  std::vector<std::string> w1_thermometers() override;
  std::string describe(const Channel& channel) override;

 private:
  // The IIO device's directory, or an empty string with `why` set.
  std::string iio_device(const std::string& device, std::string& why) const;
  ReadResult read_iio(const Channel& channel, std::chrono::milliseconds timeout) const;
  ReadResult read_w1(const Channel& channel, std::chrono::milliseconds timeout) const;

  std::string root_;
};

// The number a `w1_slave` text holds, or why it holds none (kCrc, kPowerOn, kIo).
ReadResult parse_w1_slave(const std::string& text);

}  // namespace gpio2mqtt::sensors

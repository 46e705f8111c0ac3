// Hardware PWM through the kernel's sysfs PWM class (Documentation/ABI/testing/sysfs-class-pwm):
// /sys/class/pwm/pwmchipN/{npwm,export,unexport,device} and pwmM/{period,duty_cycle,polarity,enable}.
#pragma once

#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include "gpio2mqtt/pwm/pwm.h"

namespace gpio2mqtt::pwm {

class SysfsPwm : public ChipProvider {
 public:
  // `root` is where sysfs is mounted: tests point it at a file tree that follows the ABI.
  // `export_wait`: how long a channel's directory (and udev's permissions on it) may take to
  // appear after the export.
  explicit SysfsPwm(std::string root = "/sys", std::chrono::milliseconds export_wait = std::chrono::milliseconds(2000));

  std::vector<ChipInfo> chips() override;
  // Exports the channel unless it already is (a previous run that was killed); the channel
  // unexports it when destroyed if it exported it. The kernel keeps a channel's last state
  // through the unexport, so an output stays at its stop level.
  std::unique_ptr<Channel> open(const std::string& name, unsigned channel) override;

 private:
  std::string class_directory() const { return root_ + "/class/pwm"; }
  std::string root_;
  std::chrono::milliseconds export_wait_;
};

}  // namespace gpio2mqtt::pwm

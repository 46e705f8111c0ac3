// A PWM output (`pwm:`) as a device of the bridge (bridge/device.h): its set and get topics come
// through the command intake (retained, oversized and malformed commands refused, rate-limited,
// counted) like a line's, local bindings make it act (on, off, toggle, brighter, dimmer), and the
// bridge gives it time, the broker's loss, the stop and reloads. Its logic is PwmOutput; a software
// output switches its GPIO line through the switchboard (the line is the switchboard's after the
// configured lines, as the LineSet requests it), a hardware one its channel, which the service
// opens and lends through PwmPort.
#pragma once

#include <cstddef>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "gpio2mqtt/bridge/device.h"
#include "gpio2mqtt/bridge/pwm_output.h"

namespace gpio2mqtt::bridge {

// What the service opened for the PWM outputs (service/pwm_set.h).
class PwmPort {
 public:
  virtual ~PwmPort() = default;
  // The channel of the hardware output `name`, open for the config the bridge serves; null when
  // there is none.
  virtual PwmDrive* channel(const std::string& name) = 0;
  // Where their levels survive a restart; null when nothing is kept.
  virtual PwmMemoryStore* memory() = 0;
};

class PwmDevice : public Device {
 public:
  // `line`: a software output's line, by its index in the switchboard.
  PwmDevice(const config::PwmOutputConfig& config, std::optional<std::size_t> line, ModeHost& host);
  ~PwmDevice() override;

  const std::string& name() const override { return config_.name; }
  bool takes_commands() const override { return true; }
  Refusal check_command(std::string_view payload) const override;
  void on_command(std::string_view payload, MonoTime now) override;
  void publish_state(MonoTime now) override;
  // Takes its level (initial, or what the state directory kept); driven at the first on_time(),
  // after inherit() when a reload made it.
  void start(MonoTime now) override;
  // on, off, toggle; brighter and dimmer by the action's step (percent points).
  std::string act(const Action& action, MonoTime now) override;
  void on_time(MonoTime now) override;
  std::optional<MonoTime> deadline() const override;
  void on_disconnected(MonoTime now) override;
  void inherit(Device& predecessor) override;

  // D-Bus SetPwm: a payload as its set topic takes it, not rate-limited; why not, empty when applied.
  std::string command(std::string_view payload, MonoTime now);
  // Null before start().
  const PwmOutput* output() const { return output_ ? &*output_ : nullptr; }

 private:
  class HostPublisher;
  class Drive;

  config::PwmOutputConfig config_;
  ModeHost& host_;
  std::unique_ptr<HostPublisher> publisher_;
  std::unique_ptr<Drive> drive_;
  std::optional<PwmOutput> output_;
  std::optional<MonoTime> first_drive_;  // set by start(), done by the first on_time()
  MonoTime started_{};
};

// The config's PWM outputs as devices (bridge/devices/registry.cc).
std::vector<std::unique_ptr<Device>> make_pwm_devices(const config::Config& config, ModeHost& host);

}  // namespace gpio2mqtt::bridge

// One dimmable output of the `pwm:` section as pure logic, time passed in: its topics, the
// commands it takes, the level it starts at and falls to without a broker, and driving its PWM
// (a hardware channel's duty, or a GPIO line switched by SlowPwm) at the times it asks for.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "gpio2mqtt/bridge/bridge.h"
#include "gpio2mqtt/bridge/dimmer.h"
#include "gpio2mqtt/bridge/rate_limit.h"
#include "gpio2mqtt/bridge/slow_pwm.h"
#include "gpio2mqtt/config/config.h"

namespace gpio2mqtt::bridge {

// Where an output's PWM goes. Implementations log and count their own failures: a failed
// write leaves the output where it was and is tried again at the next change.
class PwmDrive {
 public:
  virtual ~PwmDrive() = default;
  // Hardware PWM: the duty cycle (0..1) of the channel.
  virtual void set_duty(double duty) = 0;
  // Software PWM: the GPIO line's logical level.
  virtual void set_line(bool on) = 0;
};

// Keeps each output's on/off and last level across restarts (the state directory).
class PwmMemoryStore {
 public:
  virtual ~PwmMemoryStore() = default;
  // nullopt when nothing was kept (a new output) or it cannot be read (logged).
  virtual std::optional<DimmerMemory> load(const std::string& name) = 0;
  virtual void save(const std::string& name, const DimmerMemory& memory) = 0;
};

class PwmOutput {
 public:
  // Drives the output to its `initial` level at once, or to `level` when given (a reload that
  // changed its settings: it goes on at the level it had). `memory` may be null (no state
  // directory). With `drive_now` false it is driven at the first on_time() (after a reload's
  // continue_from()).
  PwmOutput(const config::PwmOutputConfig& config, const config::MqttConfig& mqtt, PwmDrive& drive,
            PwmMemoryStore* memory, Publisher& publisher, MonoTime now, std::optional<int> level = std::nullopt,
            bool drive_now = true);

  const config::PwmOutputConfig& config() const { return config_; }
  // Takes what arrives on its set and get topics; false for any other topic.
  bool on_message(std::string_view topic, std::string_view payload, bool retained, MonoTime now);
  // A payload as its set topic takes it (D-Bus SetPwm): applied, stored and published; returns
  // why not (empty when applied). Not rate-limited: the caller is no flood from the network.
  std::string command(std::string_view payload, MonoTime now);
  // A command already parsed (a set the intake checked, a local binding's action): applied, stored
  // and published.
  void apply(const DimmerCommand& command, MonoTime now);
  // A reload made it anew in place of `predecessor` (same name), before it was first driven: with
  // the same settings and topics it goes on exactly where that one is (a fade, the software PWM's
  // cycle, what was written), else at its level.
  void continue_from(const PwmOutput& predecessor, MonoTime now);
  void on_connected() { publish_state(); }
  const std::string& state_topic() const { return topics_.state; }
  // Falls to `on_disconnect` (at once, without a fade); also at a clean stop.
  void on_disconnected(MonoTime now);
  // Drives the output for `now` (a fade's next step, a software PWM switching).
  void on_time(MonoTime now) { update(now); }
  std::optional<MonoTime> next_deadline() const;

  int level_at(MonoTime now) const { return dimmer_.level_at(now); }
  // What the state topic says: on or off, and the level it is at or fading to (0 while off).
  bool on() const { return dimmer_.on(); }
  // Software PWM: the line's level last written; nullopt before the first write, and for hardware.
  std::optional<bool> line_level() const { return line_on_; }
  int target() const { return dimmer_.target(); }
  std::string state_json() const { return dimmer_.state_json(); }
  std::uint64_t commands_applied() const { return applied_; }
  std::uint64_t commands_rejected() const { return rejected_; }

 private:
  void update(MonoTime now);
  void publish_state();
  int level_for(const config::PwmLevel& level, const DimmerMemory& memory) const;

  config::PwmOutputConfig config_;
  int qos_;
  LineTopics topics_;
  PwmDrive& drive_;
  PwmMemoryStore* memory_;
  Publisher& publisher_;
  DimmerMemory loaded_;  // what the store held at start
  Dimmer dimmer_;
  std::optional<SlowPwm> slow_;  // software PWM
  std::optional<double> duty_;   // hardware: the duty last set
  std::optional<bool> line_on_;  // software: the level last set
  std::optional<MonoTime> next_switch_, next_fade_step_;
  RateLimit sets_{kCommandRate, kCommandBurst};
  std::uint64_t applied_ = 0, rejected_ = 0;
};

}  // namespace gpio2mqtt::bridge

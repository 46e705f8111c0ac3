// One object per line mode: it owns its state, its topics, the commands it takes, its timers and
// its Home Assistant components. The Bridge routes edges, commands and time to the modes and owns
// what they share (bridge/bridge.h). docs/design.md says how to add one.
#pragma once

#include <cstddef>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "gpio2mqtt/bridge/bindings.h"
#include "gpio2mqtt/bridge/discovery.h"
#include "gpio2mqtt/config/config.h"
#include "gpio2mqtt/counters.h"
#include "gpio2mqtt/gpio/gpio.h"
#include "gpio2mqtt/message.h"
#include "gpio2mqtt/util/clock.h"

namespace gpio2mqtt::bridge {

class Switchboard;
class CounterStore;
class DeviceStore;
class PwmPort;

// What a mode may use of the bridge.
class ModeHost {
 public:
  virtual ~ModeHost() = default;
  // Hands `message` to the broker. While disconnected it is queued when `queue_if_down` (events),
  // else dropped (states and readings: every one is published again on connect). False when it
  // did not go out now.
  virtual bool send(Message message, bool queue_if_down) = 0;
  virtual bool connected() const = 0;
  virtual const config::Config& config() const = 0;
  // What the daemon counts, for the mode to add to.
  virtual Counters& tally() = 0;
  // The line's level now; nullopt (logged and counted) when the chip does not answer.
  virtual std::optional<bool> read_level(std::size_t line) = 0;
  // Drives outputs, through their interlocks.
  virtual Switchboard& switchboard() = 0;
  // Where counts survive a restart; null when there is none.
  virtual CounterStore* counter_store() = 0;
  // Where devices keep what survives a restart (bridge/device.h); null when there is none.
  virtual DeviceStore* device_store() = 0;
  // What the service opened for the PWM outputs (bridge/pwm_device.h); null when nothing was.
  virtual PwmPort* pwm_port() { return nullptr; }
  // An input's debounced level changed (at the time of the edge that made it), or a button made a
  // gesture: local bindings may act on it.
  virtual void triggered(std::size_t line, const Trigger& trigger, MonoTime at) = 0;
};

// What a mode says to a command: nullopt when it took it, else why not (the intake logs and
// counts the refusal).
using Refusal = std::optional<std::string>;

// What takes commands on a set topic and answers a get (bridge/command_intake.h): a line mode, a
// binding's switch.
class CommandTaker {
 public:
  virtual ~CommandTaker() = default;
  // Whether `payload` is a command it takes; checked before the rate limit, so that a flood of
  // garbage cannot keep the valid commands out.
  virtual Refusal check_command(std::string_view /*payload*/) const { return "takes no commands"; }
  // A command check_command() took, within the rate limit.
  virtual void on_command(std::string_view /*payload*/, MonoTime /*now*/) {}
  // Publishes every state it has: after a connect, Home Assistant's birth, a get.
  virtual void publish_state(MonoTime now) = 0;
};

class LineMode : public CommandTaker {
 public:
  // The configured line it serves, by its index in Config::lines, and that line's settings.
  virtual std::size_t line() const = 0;
  virtual const config::LineConfig& settings() const = 0;
  // A reload kept the line (same settings): it serves `settings` now, at index `line`, under
  // `base_topic`, with its state as it was.
  virtual void rebind(std::size_t line, const config::LineConfig& settings, const std::string& base_topic) = 0;

  // After the line is requested: reads its level and takes it as the state it has, publishing
  // nothing (a connect publishes every state). `kernel_debounces`: the kernel debounces the line.
  virtual void start(MonoTime now, bool kernel_debounces) = 0;
  // A reload replaced `predecessor` (same name, other settings or mode) with this one, which has
  // started: what should carry over does (a counter's count).
  virtual void inherit(LineMode& /*predecessor*/) {}
  // A reload is taking it away or replacing it: keeps what must outlive it.
  virtual void retire() {}

  virtual void on_edge(const gpio::EdgeEvent& /*event*/) {}
  // Whether <base>/<name>/set is one of its commands (else a set there is noted, not refused).
  virtual bool takes_commands() const { return false; }
  // A local binding's action (bridge/bindings.h), through the same path as its commands. Returns
  // an error text, empty on success. The loader let only targets that take the action be bound.
  virtual std::string act(const Action& /*action*/, MonoTime /*now*/) { return "takes no actions"; }
  virtual void on_time(MonoTime /*now*/) {}
  // When on_time() next has something to do.
  virtual std::optional<MonoTime> deadline() const { return std::nullopt; }
  // The broker went away (or the daemon stops): outputs go to their on_disconnect level.
  virtual void on_disconnected(MonoTime /*now*/) {}
  // A clean stop, still connected: last readings out, counts stored.
  virtual void on_stop(MonoTime /*now*/) {}
  // Reads the line again (it was reopened, or its request is new); publishes a change.
  virtual void resync() {}
  // The level last published for an input or driven on an output.
  virtual bool level() const = 0;
};

// A line mode as the bridge registers it: which lines it serves, how one is made, its Home
// Assistant components (a pure function of the config: bridge/announcer.h sends them).
struct ModeKind {
  const char* name;
  bool (*serves)(const config::LineConfig& line);
  std::unique_ptr<LineMode> (*make)(std::size_t line, const config::LineConfig& settings, ModeHost& host);
  std::vector<std::pair<ComponentId, JsonObject>> (*components)(const config::Config& config,
                                                                const config::LineConfig& line);
};

// The registered mode that serves `line` (bridge/modes/registry.cc: one entry per mode).
const ModeKind& mode_kind(const config::LineConfig& line);

}  // namespace gpio2mqtt::bridge

// What the bridge serves that is not one configured line: a cover (two motor outputs and end
// stops), a PWM channel (no GPIO line at all). A device has a name (one topic level, like a line's:
// <base>/<name>/set and /get are routed to it by the command intake), takes commands and local
// bindings' actions, has deadlines, and may claim configured lines: outputs it drives through the
// switchboard (interlocks, dead times) and inputs whose debounced changes it hears. The line modes
// keep serving the claimed lines' levels; the loader makes sure a claimed line takes no commands
// of its own. docs/design.md ("Devices") says how to add a kind.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include "gpio2mqtt/bridge/bindings.h"
#include "gpio2mqtt/bridge/discovery.h"
#include "gpio2mqtt/bridge/line_mode.h"
#include "gpio2mqtt/config/config.h"
#include "gpio2mqtt/util/clock.h"

namespace gpio2mqtt::bridge {

// Where devices keep numbers that must survive a restart and a power cut (a cover's position, a
// light's level), by the device's kind and name. An implementation handles its own I/O errors.
class DeviceStore {
 public:
  virtual ~DeviceStore() = default;
  // The number last saved; nullopt when none was ever saved (or it was lost: the store says so).
  virtual std::optional<std::uint64_t> load(const std::string& kind, const std::string& name) = 0;
  virtual void save(const std::string& kind, const std::string& name, std::uint64_t value) = 0;
};

class Device : public CommandTaker {
 public:
  // One topic level, unique among the lines and devices (the loader checks).
  virtual const std::string& name() const = 0;
  // Whether <base>/<name>/set is one of its commands (else a set there is noted, not refused).
  virtual bool takes_commands() const { return false; }
  // The configured lines it claims, by index in Config::lines (none for a hardware PWM channel).
  virtual std::vector<std::size_t> lines() const { return {}; }

  // After the line modes started (lines read, outputs adopted by the switchboard): takes its state
  // (stored, read from its inputs), publishes nothing, drives nothing.
  virtual void start(MonoTime /*now*/) {}
  // A claimed input's debounced level changed at `at` (the kernel's time of the edge that made it).
  virtual void on_line_edge(std::size_t /*line*/, bool /*level*/, MonoTime /*at*/) {}
  // A local binding's action (bridge/bindings.h), through the same path as its commands. Returns an
  // error text, empty on success. The loader let only targets that take the action be bound.
  virtual std::string act(const Action& /*action*/, MonoTime /*now*/) { return "takes no actions"; }
  virtual void on_time(MonoTime /*now*/) {}
  // When on_time() next has something to do.
  virtual std::optional<MonoTime> deadline() const { return std::nullopt; }
  // The broker went away, or the daemon stops (then before on_stop): what it does without one (a
  // cover stops, by default).
  virtual void on_disconnected(MonoTime /*now*/) {}
  // A clean stop, still connected, after on_disconnected: it drives nothing any more, stores what
  // it keeps, publishes its last state.
  virtual void on_stop(MonoTime /*now*/) {}
  // A reload is replacing it (every device is made anew from the new config), while the running
  // config and its switchboard still hold: it stops what it drives and stores what it keeps.
  virtual void retire(MonoTime /*now*/) {}
  // Made anew by a reload, after start(): `predecessor` had its name (perhaps another kind).
  virtual void inherit(Device& /*predecessor*/) {}
};

// A kind of device as the bridge registers it (bridge/devices/registry.cc): how the config's
// devices of the kind are made, and their Home Assistant components (a pure function of the
// config: bridge/announcer.h sends them).
struct DeviceKind {
  const char* name;
  // Whether the config has any device of the kind.
  bool (*configured)(const config::Config& config);
  std::vector<std::unique_ptr<Device>> (*make)(const config::Config& config, ModeHost& host);
  std::vector<std::pair<ComponentId, JsonObject>> (*components)(const config::Config& config);
};

// Every registered kind, in the order the bridge makes, routes and announces them.
std::span<const DeviceKind> device_kinds();

}  // namespace gpio2mqtt::bridge

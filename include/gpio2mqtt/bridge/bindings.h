// Local bindings (the `bindings:` section): an input's change or a button's gesture makes a target
// act in the daemon itself, so that a wall switch works while the broker or Home Assistant is
// down. This is the engine, pure, time passed in: which bindings act on a trigger, given whether
// each is switched on, the broker connection and Home Assistant's last status. The bridge makes
// the targets act, through the same path as an MQTT command.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "gpio2mqtt/bridge/rate_limit.h"
#include "gpio2mqtt/config/config.h"
#include "gpio2mqtt/util/clock.h"

namespace gpio2mqtt::bridge {

// What a target is asked to do: the binding's action as the target's kind names it (an output:
// on, off, toggle, pulse; a PWM output: on, off, toggle, brighter, dimmer), a pulse's length and
// a brightness step.
struct Action {
  std::string verb;
  std::optional<Nanos> length;
  std::optional<int> step{};  // a PWM output's brighter/dimmer: percent points
};

// Where a binding's run-time switch survives a restart.
class BindingStore {
 public:
  virtual ~BindingStore() = default;
  // Whether `name` was last switched on; nullopt when it never was switched (it is on then).
  virtual std::optional<bool> load(const std::string& name) = 0;
  virtual void save(const std::string& name, bool enabled) = 0;
};

// What Home Assistant's status topic last said. Unknown (nothing heard since the start) counts as
// online: Home Assistant publishes its birth unretained, so a bridge that starts after it hears
// nothing, and a binding for when it is offline must not act while it runs.
enum class HomeAssistantStatus { kUnknown, kOnline, kOffline };

// Something that happened on an input line: its debounced level changed, or it made a gesture.
struct Trigger {
  std::string line;
  std::optional<bool> level;
  std::optional<config::Gesture> gesture;
};

class Bindings {
 public:
  // Without a store, switches are kept in memory (and on again after a restart).
  explicit Bindings(BindingStore* store) : store_(store) {}

  // The bindings from now on (the start, a reload); a binding that keeps its name keeps its
  // switch and its rate limit.
  void configure(const std::vector<config::BindingConfig>& bindings);
  const std::vector<config::BindingConfig>& configured() const { return bindings_; }

  void on_broker(bool connected) {
    if (connected != connected_) ++changes_;
    connected_ = connected;
  }
  // A message on Home Assistant's status topic, retained or not: `online` or `offline` (anything
  // else is ignored).
  void on_homeassistant_status(std::string_view payload);
  HomeAssistantStatus homeassistant_status() const { return homeassistant_; }
  // Whether a binding with this `when` acts now.
  bool applies(config::BindingConfig::When when) const;

  // The bindings that act on `trigger` at `now`: switched on, their `when` met, within their rate
  // limit (a chattering contact must not wear out a relay). `rate_limited` counts the ones dropped.
  std::vector<const config::BindingConfig*> fire(const Trigger& trigger, MonoTime now, std::uint64_t& rate_limited);

  bool enabled(const std::string& name) const;
  // Switches a binding on or off (stored); false when there is no such binding.
  bool set_enabled(const std::string& name, bool enabled);
  // Where the switches are kept: false when only in memory.
  bool stored() const { return store_ != nullptr; }
  // Grows whenever what a reader of the bindings sees may have changed (configured, switched,
  // the broker connection, Home Assistant's status): the service signals D-Bus when it did.
  std::uint64_t changes() const { return changes_; }

 private:
  struct State {
    bool enabled = true;
    RateLimit actions{kActionRate, kActionBurst};
  };
  static constexpr double kActionRate = 10;  // as commands: bridge/command.h
  static constexpr double kActionBurst = 20;

  BindingStore* store_;
  std::vector<config::BindingConfig> bindings_;
  std::unordered_map<std::string, State> states_;  // by binding name
  bool connected_ = false;
  HomeAssistantStatus homeassistant_ = HomeAssistantStatus::kUnknown;
  std::uint64_t changes_ = 0;
};

// "wall single → toggle light, when Home Assistant is offline", for --check-config and the log.
std::string describe(const config::BindingConfig& binding);

}  // namespace gpio2mqtt::bridge

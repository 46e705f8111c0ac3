#include "gpio2mqtt/bridge/bindings.h"

#include <chrono>

namespace gpio2mqtt::bridge {

using config::BindingConfig;
using When = BindingConfig::When;
using On = BindingConfig::On;

void Bindings::configure(const std::vector<BindingConfig>& bindings) {
  bindings_ = bindings;
  std::unordered_map<std::string, State> states;
  for (const auto& binding : bindings_) {
    if (auto kept = states_.find(binding.name); kept != states_.end()) {
      states.emplace(binding.name, std::move(kept->second));
      continue;
    }
    State state;
    if (store_) state.enabled = store_->load(binding.name).value_or(true);
    states.emplace(binding.name, std::move(state));
  }
  states_ = std::move(states);
  ++changes_;
}

void Bindings::on_homeassistant_status(std::string_view payload) {
  HomeAssistantStatus was = homeassistant_;
  if (payload == "online") homeassistant_ = HomeAssistantStatus::kOnline;
  else if (payload == "offline") homeassistant_ = HomeAssistantStatus::kOffline;
  if (homeassistant_ != was) ++changes_;
}

bool Bindings::applies(When when) const {
  switch (when) {
    case When::kAlways:
      return true;
    case When::kBrokerOffline:
      return !connected_;
    case When::kHaOffline:
      return !connected_ || homeassistant_ == HomeAssistantStatus::kOffline;
  }
  return false;
}

namespace {

bool matches(const BindingConfig& binding, const Trigger& trigger) {
  if (binding.trigger != trigger.line) return false;
  switch (binding.on) {
    case On::kOn:
      return trigger.level == true;
    case On::kOff:
      return trigger.level == false;
    case On::kChange:
      return trigger.level.has_value();
    case On::kGesture:
      return trigger.gesture == binding.gesture;
  }
  return false;
}

}  // namespace

std::vector<const BindingConfig*> Bindings::fire(const Trigger& trigger, MonoTime now, std::uint64_t& rate_limited) {
  std::vector<const BindingConfig*> out;
  for (const auto& binding : bindings_) {
    if (!matches(binding, trigger) || !applies(binding.when)) continue;
    State& state = states_.at(binding.name);
    if (!state.enabled) continue;
    if (!state.actions.allow(now)) {
      ++rate_limited;
      continue;
    }
    out.push_back(&binding);
  }
  return out;
}

bool Bindings::enabled(const std::string& name) const {
  auto it = states_.find(name);
  return it != states_.end() && it->second.enabled;
}

bool Bindings::set_enabled(const std::string& name, bool enabled) {
  auto it = states_.find(name);
  if (it == states_.end()) return false;
  if (it->second.enabled != enabled) ++changes_;
  it->second.enabled = enabled;
  if (store_) store_->save(name, enabled);
  return true;
}

std::string describe(const BindingConfig& binding) {
  std::string on;
  switch (binding.on) {
    case On::kOn:
      on = "on";
      break;
    case On::kOff:
      on = "off";
      break;
    case On::kChange:
      on = "change";
      break;
    case On::kGesture:
      on = std::string(config::gesture_name(binding.gesture));
      break;
  }
  std::string action = binding.action;
  if (binding.length)
    action +=
        " " + std::to_string(std::chrono::duration_cast<std::chrono::milliseconds>(*binding.length).count()) + " ms";
  const char* when = binding.when == When::kAlways          ? "always"
                     : binding.when == When::kBrokerOffline ? "when the broker is unreachable"
                                                            : "when Home Assistant is offline";
  std::string by = binding.step ? " by " + std::to_string(*binding.step) + " %" : "";
  return binding.trigger + " " + on + " → " + action + " " + binding.target + by + ", " + when;
}

}  // namespace gpio2mqtt::bridge

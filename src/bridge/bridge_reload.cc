// The Bridge's side of a reload: the plan (bridge/reload_plan.h) applied to the line modes.
#include <spdlog/spdlog.h>

#include <string>
#include <unordered_map>

#include "bridge/binding_switch.h"
#include "bridge/command_intake.h"
#include "gpio2mqtt/bridge/bridge.h"

namespace gpio2mqtt::bridge {

void Bridge::reconfigure(const config::Config& next, const ReloadPlan& plan, MonoTime now) {
  if (switchboard_.deadline()) spdlog::info("reload: switch-ons waiting for an interlock's dead time are dropped");
  for (const auto& warning : plan.warnings) spdlog::warn("{}", warning);
  std::vector<RunningLine> running = switchboard_.running();
  std::vector<std::unique_ptr<LineMode>> old = std::move(modes_);
  const std::vector<bool> kept = plan.kept(old.size());
  std::unordered_map<std::string, std::size_t> old_index;  // by name, for a line requested anew
  for (std::size_t i = 0; i < old.size(); ++i) {
    if (!kept[i]) old[i]->retire();
    old_index.emplace(old[i]->settings().name, i);
  }
  // Devices are made anew; the old ones stop what they drive while the running switchboard holds.
  std::vector<std::unique_ptr<Device>> old_devices = std::move(devices_);
  for (auto& device : old_devices) device->retire(now);
  running = switchboard_.running();
  config_ = &next;
  switchboard_.configure(next);
  modes_.clear();
  std::vector<std::size_t> started;  // lines requested anew
  for (std::size_t i = 0; i < next.lines.size(); ++i) {
    const config::LineConfig& settings = next.lines[i];
    const LinePlan& line = plan.lines.at(i);
    if (line.kept_from) {
      std::unique_ptr<LineMode>& mode = modes_.emplace_back(std::move(old.at(*line.kept_from)));
      mode->rebind(i, settings, next.mqtt.base_topic);
      const RunningLine& was = running.at(*line.kept_from);
      switchboard_.adopt(i, was.level, was.went_off);
      continue;
    }
    modes_.push_back(mode_kind(settings).make(i, settings, *this));
    started.push_back(i);
  }
  for (std::size_t i : started) {
    LineMode& mode = *modes_[i];
    mode.start(now, plan.lines[i].kernel_debounces);
    auto predecessor = old_index.find(mode.settings().name);  // of the same name, retired
    if (predecessor != old_index.end() && old[predecessor->second]) mode.inherit(*old[predecessor->second]);
    mode.publish_state(now);
  }
  // Kept inputs: their request may be new (a chip's inputs are requested together).
  for (std::size_t i = 0; i < modes_.size(); ++i)
    if (plan.lines[i].kept_from) modes_[i]->resync();
  for (std::size_t i : plan.switch_off) switchboard_.drive(i, false, now);
  make_devices();
  for (auto& device : devices_) {
    device->start(now);
    for (auto& was : old_devices)
      if (was->name() == device->name()) device->inherit(*was);
    device->publish_state(now);
  }
  switch_on_as_planned(plan, now);
  bindings_.configure(next.bindings);
  route_commands();
  for (auto& binding_switch : switches_) binding_switch->publish_state(now);
  announce();  // components of removed, renamed or hidden lines go; new ones come
}

}  // namespace gpio2mqtt::bridge

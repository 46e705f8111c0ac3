#include "gpio2mqtt/bridge/reload_plan.h"

#include <algorithm>

namespace gpio2mqtt::bridge {
namespace {

using config::Config;
using config::LineConfig;
using gpio::Direction;

bool chip_unchanged(const Config& running, const Config& next, const LineConfig& line) {
  if (line.chip.empty()) {  // searched on every chip: all of them must be as they were
    if (running.chips.size() != next.chips.size()) return false;
    for (std::size_t i = 0; i < next.chips.size(); ++i)
      if (!running.chips[i].same_settings(next.chips[i])) return false;
    return true;
  }
  const auto* before = running.find_chip(line.chip);
  const auto* after = next.find_chip(line.chip);
  return before && after && before->same_settings(*after);
}

std::optional<std::size_t> kept_from(const Config& running, const Config& next, const LineConfig& line) {
  for (std::size_t i = 0; i < running.lines.size(); ++i)
    if (running.lines[i].same_settings(line) && chip_unchanged(running, next, line)) return i;
  return std::nullopt;
}

// The plan of each line on its own; interlock rules come after.
ReloadPlan plan_lines(const Config* running, const Config& next, const KernelDebounce& kernel_debounce) {
  ReloadPlan plan;
  for (std::size_t i = 0; i < next.lines.size(); ++i) {
    const LineConfig& line = next.lines[i];
    LinePlan& p = plan.lines.emplace_back();
    if (running) p.kept_from = kept_from(*running, next, line);
    p.kernel_debounces = line.direction == Direction::kInput && line.debounce.count() > 0 &&
                         i < kernel_debounce.size() && kernel_debounce[i];
    if (p.kept_from || line.direction != Direction::kOutput) continue;
    bool interlocked = next.interlocked(line.name);
    p.request_on = line.initial && !interlocked;
    p.switch_on = line.initial && interlocked;
  }
  return plan;
}

std::size_t index_of(const Config& config, const std::string& name) {
  auto it = std::find_if(config.lines.begin(), config.lines.end(), [&](const auto& l) { return l.name == name; });
  return static_cast<std::size_t>(it - config.lines.begin());
}

}  // namespace

bool ReloadPlan::keeps(std::size_t running_index) const {
  return std::any_of(lines.begin(), lines.end(), [&](const LinePlan& p) { return p.kept_from == running_index; });
}

ReloadPlan plan_start(const Config& config, const KernelDebounce& kernel_debounce) {
  return plan_lines(nullptr, config, kernel_debounce);
}

ReloadPlan plan_reload(const Config& running, const std::vector<RunningLine>& state, const Config& next,
                       const KernelDebounce& kernel_debounce, MonoTime now) {
  ReloadPlan plan = plan_lines(&running, next, kernel_debounce);
  for (const auto& group : next.interlocks) {
    std::vector<std::size_t> on;  // kept lines that are on, by new index
    bool busy = false;            // one of them is on or in its dead time
    for (const auto& name : group.lines) {
      std::size_t index = index_of(next, name);
      auto from = plan.lines[index].kept_from;
      if (!from || *from >= state.size()) continue;
      const RunningLine& was = state[*from];
      if (was.level) on.push_back(index);
      busy = busy || was.level || (was.went_off && now < *was.went_off + group.dead_time);
    }
    if (on.size() > 1)
      for (std::size_t index : on) {
        plan.switch_off.push_back(index);
        plan.warnings.push_back("reload: line " + next.lines[index].name +
                                " is switched off: another line of its new interlock group is on too");
      }
    if (!busy) continue;
    for (const auto& name : group.lines) {
      LinePlan& p = plan.lines[index_of(next, name)];
      if (!p.switch_on) continue;
      p.switch_on = false;
      plan.warnings.push_back("reload: line " + name +
                              " starts off, not at its initial on: another line of its interlock group is on or "
                              "was just switched off");
    }
  }
  return plan;
}

}  // namespace gpio2mqtt::bridge

#include "gpio2mqtt/bridge/reload_plan.h"

#include <string_view>
#include <unordered_map>
#include <unordered_set>

namespace gpio2mqtt::bridge {
namespace {

using config::Config;
using config::LineConfig;
using gpio::Direction;

// The running config's lines by name, and which chips kept their settings: the lookups a plan
// makes for each new line, made once. A search per line, and a copy of two chips' settings per
// line (a simulated chip's hold all its line names), made a reload of 500 lines quadratic.
class RunningLines {
 public:
  RunningLines(const Config& running, const Config& next) : running_(running) {
    index_.reserve(running.lines.size());
    for (std::size_t i = 0; i < running.lines.size(); ++i) index_.emplace(running.lines[i].name, i);
    all_chips_unchanged_ = running.chips.size() == next.chips.size();
    for (std::size_t i = 0; i < next.chips.size(); ++i) {
      const auto* before = running.find_chip(next.chips[i].name);
      bool same = before && before->same_settings(next.chips[i]);
      if (same) unchanged_chips_.insert(next.chips[i].name);
      // A line searched on every chip is kept only if all of them are as they were, in order.
      all_chips_unchanged_ = all_chips_unchanged_ && same && running.chips[i].name == next.chips[i].name;
    }
  }

  // The running line `line` continues: same settings (names are unique, and the same settings
  // include the name) on a chip whose settings did not change.
  std::optional<std::size_t> kept_from(const LineConfig& line) const {
    auto it = index_.find(line.name);
    if (it == index_.end() || !running_.lines[it->second].same_settings(line)) return std::nullopt;
    bool chip_unchanged = line.chip.empty() ? all_chips_unchanged_ : unchanged_chips_.count(line.chip) > 0;
    return chip_unchanged ? std::optional(it->second) : std::nullopt;
  }

 private:
  const Config& running_;
  std::unordered_map<std::string_view, std::size_t> index_;
  std::unordered_set<std::string_view> unchanged_chips_;
  bool all_chips_unchanged_ = true;
};

// The plan of each line on its own; interlock rules come after.
ReloadPlan plan_lines(const Config* running, const Config& next, const KernelDebounce& kernel_debounce) {
  ReloadPlan plan;
  std::optional<RunningLines> before;
  if (running) before.emplace(*running, next);
  std::unordered_set<std::string_view> interlocked;
  for (const auto& group : next.interlocks) interlocked.insert(group.lines.begin(), group.lines.end());
  for (std::size_t i = 0; i < next.lines.size(); ++i) {
    const LineConfig& line = next.lines[i];
    LinePlan& p = plan.lines.emplace_back();
    if (before) p.kept_from = before->kept_from(line);
    p.kernel_debounces = line.direction == Direction::kInput && line.debounce.count() > 0 &&
                         i < kernel_debounce.size() && kernel_debounce[i];
    if (p.kept_from || line.direction != Direction::kOutput) continue;
    bool in_group = interlocked.count(line.name) > 0;
    p.request_on = line.initial && !in_group;
    p.switch_on = line.initial && in_group;
  }
  return plan;
}

std::unordered_map<std::string_view, std::size_t> indices(const Config& config) {
  std::unordered_map<std::string_view, std::size_t> out;
  out.reserve(config.lines.size());
  for (std::size_t i = 0; i < config.lines.size(); ++i) out.emplace(config.lines[i].name, i);
  return out;
}

}  // namespace

std::vector<bool> ReloadPlan::kept(std::size_t running_count) const {
  std::vector<bool> out(running_count, false);
  for (const LinePlan& p : lines)
    if (p.kept_from && *p.kept_from < running_count) out[*p.kept_from] = true;
  return out;
}

ReloadPlan plan_start(const Config& config, const KernelDebounce& kernel_debounce) {
  return plan_lines(nullptr, config, kernel_debounce);
}

ReloadPlan plan_reload(const Config& running, const std::vector<RunningLine>& state, const Config& next,
                       const KernelDebounce& kernel_debounce, MonoTime now) {
  ReloadPlan plan = plan_lines(&running, next, kernel_debounce);
  const auto index_of = indices(next);  // an interlock group names only lines of its config
  for (const auto& group : next.interlocks) {
    std::vector<std::size_t> on;  // kept lines that are on, by new index
    bool busy = false;            // one of them is on or in its dead time
    for (const auto& name : group.lines) {
      std::size_t index = index_of.at(name);
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
      LinePlan& p = plan.lines[index_of.at(name)];
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

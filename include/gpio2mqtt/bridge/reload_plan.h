// How the daemon moves from one config to the next (a reload, and the start, which is a reload
// from nothing): a pure function of the running config, what its lines are now and the new
// config. The lines (service/line_set) and the bridge apply the same plan; nothing in it writes
// into a config. The service makes it after everything that can fail but requesting the lines
// (parsing, opening chips), and the lines are requested before the bridge switches any output:
// a reload that fails changes no output.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <vector>

#include "gpio2mqtt/config/config.h"
#include "gpio2mqtt/util/clock.h"

namespace gpio2mqtt::bridge {

struct LinePlan {
  // The running line this one continues: same settings on a chip whose settings did not change.
  // It keeps its request (an output its level), its state, sequence numbers and running pulse.
  // nullopt: the line is requested anew.
  std::optional<std::size_t> kept_from;
  // An output requested anew: the level to request it at. Interlocked outputs are requested off
  // (what was on before is unknown), whatever their initial level.
  bool request_on = false;
  // An interlocked output requested anew whose initial level is on: the bridge switches it on
  // through its interlock, once the group's dead time has passed.
  bool switch_on = false;
  // An input with a debounce period on a chip whose kernel debounces (libgpiod 2.x): the period
  // goes with the request and the bridge does not debounce it again.
  bool kernel_debounces = false;
};

struct ReloadPlan {
  std::vector<LinePlan> lines;  // by index in the new config
  // Kept lines (new indices) that are on while another of their new interlock group is on: the
  // bridge switches them off first.
  std::vector<std::size_t> switch_off;
  // Said at warning level when the plan is applied.
  std::vector<std::string> warnings;
  // Which of the `running_count` running lines a line of the new config continues, by running index.
  std::vector<bool> kept(std::size_t running_count) const;
};

// What the bridge knows of a running line, by its index in the running config.
struct RunningLine {
  bool level = false;
  std::optional<MonoTime> went_off;  // an output's last switch-off, for dead times
};

// Which chips debounce in the kernel: true for a line whose chip does (see LinePlan).
using KernelDebounce = std::vector<bool>;  // by index in the config planned for; missing: false

// The start: every line requested anew.
ReloadPlan plan_start(const config::Config& config, const KernelDebounce& kernel_debounce = {});

// From `running` (whose lines are in `state`) to `next`, at `now`.
ReloadPlan plan_reload(const config::Config& running, const std::vector<RunningLine>& state, const config::Config& next,
                       const KernelDebounce& kernel_debounce, MonoTime now);

}  // namespace gpio2mqtt::bridge

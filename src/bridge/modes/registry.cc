// The line modes, one entry each: adding a mode is adding its files and a line here.
#include "bridge/modes/button_line.h"
#include "bridge/modes/counter_line.h"
#include "bridge/modes/input_line.h"
#include "bridge/modes/output_line.h"

namespace gpio2mqtt::bridge {
namespace {

using config::Mode;
using gpio::Direction;

template <typename M>
std::unique_ptr<LineMode> make(std::size_t line, const config::LineConfig& settings, ModeHost& host) {
  return std::make_unique<M>(line, settings, host);
}

const ModeKind kModes[] = {
    {"output", [](const config::LineConfig& l) { return l.direction == Direction::kOutput; }, make<OutputLine>,
     OutputLine::components},
    {"counter", [](const config::LineConfig& l) { return l.mode == Mode::kCounter; }, make<CounterLine>,
     CounterLine::components},
    {"button", [](const config::LineConfig& l) { return l.mode == Mode::kButton; }, make<ButtonLine>,
     ButtonLine::components},
    {"level", [](const config::LineConfig&) { return true; }, make<InputLine>, InputLine::components},
};

}  // namespace

const ModeKind& mode_kind(const config::LineConfig& line) {
  for (const ModeKind& kind : kModes)
    if (kind.serves(line)) return kind;
  return kModes[std::size(kModes) - 1];
}

}  // namespace gpio2mqtt::bridge

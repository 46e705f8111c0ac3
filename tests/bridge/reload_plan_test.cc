// plan_reload on its own: which lines a reload keeps, which it requests anew and at what level.
// The service and bridge tests apply plans; these pin down the matching (issue 22 made it a lookup
// by name and a chip's settings compared once).
#include "gpio2mqtt/bridge/reload_plan.h"

#include <gtest/gtest.h>

#include "gpio2mqtt/config/loader.h"

namespace gpio2mqtt::bridge {
namespace {

using namespace std::chrono_literals;

const std::string kSimulated = "chips:\n  main: {simulated: {lines: [A, B, C, D]}}\n";
// Two hardware chips: a line without chip: is searched on both at start-up.
const std::string kHardware = "chips:\n  one: {path: /dev/gpiochip0}\n  two: {path: /dev/gpiochip1}\n";

config::Config parse(const std::string& yaml) { return config::parse_config(yaml, "test.yaml", "host"); }

std::vector<std::optional<std::size_t>> kept_from(const ReloadPlan& plan) {
  std::vector<std::optional<std::size_t>> out;
  for (const auto& line : plan.lines) out.push_back(line.kept_from);
  return out;
}

ReloadPlan plan(const config::Config& running, const config::Config& next, std::vector<RunningLine> state = {},
                MonoTime now = MonoTime(10s)) {
  state.resize(running.lines.size());
  return plan_reload(running, state, next, KernelDebounce(next.lines.size(), false), now);
}

TEST(AReloadPlan, KeepsEachLineWhoseSettingsAreTheSameWhereverItMoved) {
  auto running = parse(kSimulated + "lines:\n  a: {line: A}\n  b: {line: B, direction: output}\n  c: {line: C}\n");
  auto next = parse(kSimulated + "lines:\n  c: {line: C}\n  new: {line: D}\n  b: {line: B, direction: output}\n");
  auto p = plan(running, next);
  EXPECT_EQ(kept_from(p), (std::vector<std::optional<std::size_t>>{2, std::nullopt, 1}));
  EXPECT_EQ(p.kept(running.lines.size()), (std::vector<bool>{false, true, true}));
}

TEST(AReloadPlan, RequestsALineAnewWhenASettingOrItsNameChanged) {
  auto running = parse(kSimulated + "lines:\n  a: {line: A}\n  b: {line: B}\n");
  auto next = parse(kSimulated + "lines:\n  a: {line: A, active_low: true}\n  renamed: {line: B}\n");
  EXPECT_EQ(kept_from(plan(running, next)), (std::vector<std::optional<std::size_t>>{std::nullopt, std::nullopt}));
}

TEST(AReloadPlan, RequestsEveryLineOfAChipAnewWhoseSettingsChanged) {
  auto lines = "lines:\n  a: {chip: one, line: A}\n  b: {chip: two, line: B}\n";
  auto running = parse(kHardware + lines);
  auto next = parse("chips:\n  one: {path: /dev/gpiochip0}\n  two: {path: /dev/gpiochip9}\n" + std::string(lines));
  EXPECT_EQ(kept_from(plan(running, next)), (std::vector<std::optional<std::size_t>>{0, std::nullopt}));
}

TEST(AReloadPlan, KeepsALineSearchedOnEveryChipOnlyWhileAllChipsAreAsTheyWere) {
  auto running = parse(kHardware + "lines:\n  a: {line: A}\n");
  EXPECT_EQ(kept_from(plan(running, parse(kHardware + "lines:\n  a: {line: A}\n"))),
            (std::vector<std::optional<std::size_t>>{0}));
  auto three = kHardware + "  three: {path: /dev/gpiochip2}\n";
  EXPECT_EQ(kept_from(plan(running, parse(three + "lines:\n  a: {line: A}\n"))),
            (std::vector<std::optional<std::size_t>>{std::nullopt}));
  auto swapped = "chips:\n  two: {path: /dev/gpiochip1}\n  one: {path: /dev/gpiochip0}\n";
  EXPECT_EQ(kept_from(plan(running, parse(swapped + std::string("lines:\n  a: {line: A}\n")))),
            (std::vector<std::optional<std::size_t>>{std::nullopt}));
}

TEST(AReloadPlan, RequestsANewOutputAtItsInitialLevelUnlessItIsInterlocked) {
  auto running = parse(kSimulated + "lines:\n  a: {line: A}\n");
  auto next = parse(kSimulated +
                    "lines:\n  up: {line: A, direction: output, initial: on}\n"
                    "  down: {line: B, direction: output}\n  lamp: {line: C, direction: output, initial: on}\n"
                    "interlocks:\n  - {lines: [up, down], dead_time: 500ms}\n");
  auto p = plan(running, next);
  EXPECT_FALSE(p.lines[0].request_on);
  EXPECT_TRUE(p.lines[0].switch_on);
  EXPECT_FALSE(p.lines[1].switch_on);
  EXPECT_TRUE(p.lines[2].request_on);
  EXPECT_FALSE(p.lines[2].switch_on);
}

TEST(AReloadPlan, SwitchesOffKeptLinesThatANewInterlockGroupFindsBothOn) {
  auto outputs = kSimulated + "lines:\n  up: {line: A, direction: output}\n  down: {line: B, direction: output}\n" +
                 "  lamp: {line: C, direction: output, initial: on}\n";
  auto running = parse(outputs);
  auto next = parse(outputs + "interlocks:\n  - {lines: [down, up], dead_time: 500ms}\n");
  auto p = plan(running, next, {{true, {}}, {true, {}}, {false, {}}});
  EXPECT_EQ(p.switch_off, (std::vector<std::size_t>{1, 0}));
  EXPECT_EQ(p.warnings.size(), 2u);
}

TEST(AReloadPlan, HoldsANewInterlockedLineOffWhileAnotherOfItsGroupIsInItsDeadTime) {
  auto running = parse(kSimulated + "lines:\n  up: {line: A, direction: output}\n");
  auto next = parse(kSimulated +
                    "lines:\n  up: {line: A, direction: output}\n  down: {line: B, direction: output, initial: on}\n"
                    "interlocks:\n  - {lines: [up, down], dead_time: 500ms}\n");
  EXPECT_FALSE(plan(running, next, {{false, MonoTime(10s) - 100ms}}).lines[1].switch_on);
  EXPECT_TRUE(plan(running, next, {{false, MonoTime(10s) - 600ms}}).lines[1].switch_on);
}

}  // namespace
}  // namespace gpio2mqtt::bridge

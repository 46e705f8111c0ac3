// A dimmable output's arithmetic and its fades: levels from Home Assistant's 0-255 and from
// percents, the duty curve, the commands, fades as levels over time, and what a plain ON restores.
#include "gpio2mqtt/bridge/dimmer.h"

#include <gtest/gtest.h>

namespace gpio2mqtt::bridge {
namespace {

using namespace std::chrono_literals;
constexpr MonoTime kStart = MonoTime(1000s);

DimmerCommand on(std::optional<int> level = std::nullopt, std::optional<Nanos> transition = std::nullopt) {
  return {DimmerCommand::Kind::kOn, level, transition};
}
DimmerCommand off(std::optional<Nanos> transition = std::nullopt) {
  return {DimmerCommand::Kind::kOff, std::nullopt, transition};
}
DimmerCommand parsed(std::string_view payload) {
  auto result = parse_dimmer_command(payload);
  if (auto* error = std::get_if<std::string>(&result)) ADD_FAILURE() << payload << ": " << *error;
  return std::get_if<DimmerCommand>(&result) ? std::get<DimmerCommand>(result) : DimmerCommand{};
}
std::string refusal(std::string_view payload) {
  auto result = parse_dimmer_command(payload);
  return std::holds_alternative<std::string>(result) ? std::get<std::string>(result) : "accepted";
}

TEST(DimmerLevels, KeepEveryBrightnessAndEveryPercentThroughARoundTrip) {
  for (int b = 0; b <= 255; ++b) EXPECT_EQ(brightness_from_level(level_from_brightness(b)), b);
  for (int p = 0; p <= 100; ++p) EXPECT_EQ(percent_from_level(level_from_percent(p)), p);
  EXPECT_EQ(level_from_brightness(128), 502);
  EXPECT_EQ(level_from_percent(12.5), 125);
  EXPECT_EQ(level_from_brightness(255), kFullLevel);
}

TEST(DutyCurves, AreOffAtZeroAndSpanMinToMax) {
  DutyCurve curve{0.2, 0.8, 1};
  EXPECT_DOUBLE_EQ(curve.duty(0), 0);
  EXPECT_DOUBLE_EQ(curve.duty(1), 0.2 + 0.6 / 1000);
  EXPECT_DOUBLE_EQ(curve.duty(500), 0.5);
  EXPECT_DOUBLE_EQ(curve.duty(kFullLevel), 0.8);
}

TEST(DutyCurves, BendTheMiddleWithGamma) {
  DutyCurve curve{0, 1, 2.2};
  EXPECT_NEAR(curve.duty(500), 0.2176, 1e-4);  // 0.5^2.2: half brightness to the eye
  EXPECT_DOUBLE_EQ(curve.duty(kFullLevel), 1);
  EXPECT_LT(curve.duty(100), 0.01);
}

TEST(DimmerCommands, AcceptWordsPercentsAndHomeAssistantsJson) {
  EXPECT_EQ(parsed(" on "), on());
  EXPECT_EQ(parsed("OFF"), off());
  EXPECT_EQ(parsed("Toggle"), (DimmerCommand{DimmerCommand::Kind::kToggle, {}, {}}));
  EXPECT_EQ(parsed("50"), on(500));
  EXPECT_EQ(parsed("1"), on(10));  // a percent, not ON
  EXPECT_EQ(parsed("0"), off());
  EXPECT_EQ(parsed("12.5"), on(125));
  EXPECT_EQ(parsed(R"({"state":"ON","brightness":128,"transition":2})"), on(502, 2s));
  EXPECT_EQ(parsed(R"({"state":"OFF","transition":0.5})"), off(500ms));
  EXPECT_EQ(parsed(R"({"state":"ON"})"), on());
  EXPECT_EQ(parsed(R"({"percentage":30})"), on(300));
  EXPECT_EQ(parsed(R"({"state":"ON","brightness":0})"), off());
}

TEST(DimmerCommands, RefuseWhatTheyCannotMean) {
  EXPECT_EQ(refusal("101"), "a percent is from 0 to 100");
  EXPECT_EQ(refusal("-1"), "a percent is from 0 to 100");
  EXPECT_EQ(refusal("dim"), "expected ON, OFF, TOGGLE, a percent or a JSON object");
  EXPECT_EQ(refusal("nan"), "expected ON, OFF, TOGGLE, a percent or a JSON object");
  EXPECT_EQ(refusal(R"({"state":"ON","brightness":256})"), "\"brightness\" must be a whole number from 0 to 255");
  EXPECT_EQ(refusal(R"({"state":"ON","brightness":1.5})"), "\"brightness\" must be a whole number from 0 to 255");
  EXPECT_EQ(refusal(R"({"state":"OFF","brightness":10})"),
            "a brightness or percentage goes with \"state\":\"ON\" only");
  EXPECT_EQ(refusal(R"({"state":"ON","transition":-1})"), "\"transition\" must be a number of seconds from 0 to 3600");
  EXPECT_EQ(refusal(R"({"state":"ON","effect":"rainbow"})"),
            "unknown key \"effect\" (expected state, brightness, percentage, transition)");
  EXPECT_EQ(refusal(R"({"state":"ON","brightness":1,"percentage":1})"),
            "give \"brightness\" or \"percentage\", not both");
  EXPECT_EQ(refusal(R"({"state":"ON")"), "expected a JSON object");
  EXPECT_EQ(refusal(R"({"transition":1})"), "expected \"state\", \"brightness\" or \"percentage\"");
}

TEST(ADimmer, FadesLinearlyInLevelOverTheTransition) {
  Dimmer dimmer({0, 1, 1}, 1s, {}, 0, kStart);
  dimmer.command(on(800), kStart);
  EXPECT_EQ(dimmer.target(), 800);
  std::vector<int> levels;
  for (auto t = 0ms; t <= 1250ms; t += 250ms) levels.push_back(dimmer.level_at(kStart + t));
  EXPECT_EQ(levels, (std::vector<int>{0, 200, 400, 600, 800, 800}));
  EXPECT_EQ(dimmer.state_json(), R"({"state":"ON","brightness":204,"percentage":80})");
}

TEST(ADimmer, StepsAFadeAtMostEveryFadeStepAndEndsOnTheTarget) {
  Dimmer dimmer({0, 1, 1}, 0s, {}, 0, kStart);
  dimmer.command(on(kFullLevel, 100ms), kStart);
  std::vector<MonoTime> steps;
  for (auto next = dimmer.next_step(kStart); next; next = dimmer.next_step(*next)) steps.push_back(*next);
  ASSERT_EQ(steps.size(), 5u);
  EXPECT_EQ(steps.front(), kStart + kFadeStep);
  EXPECT_EQ(steps.back(), kStart + 100ms);
  EXPECT_EQ(dimmer.level_at(steps.back()), kFullLevel);
  // A slow fade over few levels steps once per level.
  dimmer.command(on(990, 10s), kStart + 100ms);
  EXPECT_EQ(dimmer.next_step(kStart + 100ms), kStart + 1100ms);
}

TEST(ADimmer, StartsANewFadeFromWhereTheRunningOneIs) {
  Dimmer dimmer({0, 1, 1}, 1s, {}, 0, kStart);
  dimmer.command(on(kFullLevel), kStart);
  dimmer.command(off(), kStart + 500ms);
  EXPECT_EQ(dimmer.level_at(kStart + 500ms), 500);
  EXPECT_EQ(dimmer.level_at(kStart + 1s), 250);
  EXPECT_EQ(dimmer.level_at(kStart + 1500ms), 0);
  EXPECT_EQ(dimmer.state_json(), R"({"state":"OFF","brightness":0,"percentage":0})");
}

TEST(ADimmer, BringsBackTheLastLevelWithAPlainOn) {
  Dimmer dimmer({0, 1, 1}, 0s, {}, 0, kStart);
  dimmer.command(on(300), kStart);
  dimmer.command(off(), kStart + 1s);
  dimmer.command(on(), kStart + 2s);
  EXPECT_EQ(dimmer.level_at(kStart + 2s), 300);
  dimmer.command({DimmerCommand::Kind::kToggle, {}, {}}, kStart + 3s);
  EXPECT_EQ(dimmer.target(), 0);
  EXPECT_EQ(dimmer.memory(), (DimmerMemory{false, 300}));
  dimmer.command({DimmerCommand::Kind::kToggle, {}, {}}, kStart + 4s);
  EXPECT_EQ(dimmer.target(), 300);
}

TEST(ADimmer, RestoresWhatAPreviousRunRemembered) {
  DimmerMemory remembered{true, 420};
  Dimmer dimmer({0, 1, 1}, 0s, remembered, 0, kStart);  // initial: off
  EXPECT_EQ(dimmer.level_at(kStart), 0);
  dimmer.command(on(), kStart);
  EXPECT_EQ(dimmer.level_at(kStart), 420);
  Dimmer restored({0, 1, 1}, 0s, remembered, remembered.last_level, kStart);  // initial: restore
  EXPECT_EQ(restored.memory(), remembered);
}

TEST(ADimmer, JumpsWithoutAFadeAndKeepsTheLevelForOn) {
  Dimmer dimmer({0, 1, 1}, 5s, {true, 700}, 700, kStart);
  dimmer.jump(0, kStart + 1s);  // on_disconnect: off
  EXPECT_EQ(dimmer.level_at(kStart + 1s), 0);
  EXPECT_FALSE(dimmer.next_step(kStart + 1s));
  dimmer.command(on(std::nullopt, 0s), kStart + 2s);
  EXPECT_EQ(dimmer.level_at(kStart + 2s), 700);
}

TEST(ADimmer, DrivesTheCurvesDutyDuringAFade) {
  Dimmer dimmer({0.1, 0.9, 1}, 1s, {}, 0, kStart);
  EXPECT_DOUBLE_EQ(dimmer.duty_at(kStart), 0);
  dimmer.command(on(kFullLevel), kStart);
  EXPECT_DOUBLE_EQ(dimmer.duty_at(kStart + 500ms), 0.5);
  EXPECT_DOUBLE_EQ(dimmer.duty_at(kStart + 1s), 0.9);
}

}  // namespace
}  // namespace gpio2mqtt::bridge

// Interlocked and momentary outputs through the Bridge: every path that drives a line (MQTT set,
// TOGGLE, pulses, D-Bus's apply(), on_disconnect, reloads), and a property test of random
// sequences over all of them, checked on a recording of every level written with its time.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdlib>
#include <deque>
#include <random>

#include "fakes.h"
#include "gpio2mqtt/bridge/bridge.h"
#include "gpio2mqtt/config/loader.h"

namespace gpio2mqtt::bridge {
namespace {

using namespace std::chrono_literals;

constexpr std::size_t kUp = 0, kDown = 1, kOpener = 2, kLeft = 3, kRight = 4;
const char* const kNames[] = {"up", "down", "opener", "left", "right"};

std::string shutter_config(const std::string& interlocks =
                               "interlocks:\n"
                               "  - lines: [up, down]\n"
                               "    dead_time: 500ms\n"
                               "  - lines: [left, right]\n",
                           const std::string& up_extra = ", on_disconnect: off") {
  return R"(
mqtt: {base_topic: pi}
chips:
  main: {simulated: {lines: [A, B, C, D, E]}}
lines:
  up: {line: A, direction: output)" +
         up_extra + R"(}
  down: {line: B, direction: output, on_disconnect: off}
  opener: {line: C, direction: output, momentary: 500ms}
  left: {line: D, direction: output}
  right: {line: E, direction: output}
)" + interlocks;
}

// A level written to a line, at the time the bridge was told it is.
struct Write {
  std::size_t line;
  bool active;
  MonoTime at;
};

class AnInterlockedBridge : public ::testing::Test {
 protected:
  void SetUp() override {
    lines_.on_write = [this](std::size_t line, bool active) { log_.push_back({line, active, now_}); };
    make(shutter_config());
  }
  void make(const std::string& yaml) {
    bridge_.emplace(configs_.emplace_back(config::parse_config(yaml, "t.yaml", "h")), publisher_, lines_);
    start(*bridge_, configs_.back(), lines_, now_);
    bridge_->on_connected(now_);
  }
  void set(std::size_t line, std::string_view payload) {
    bridge_->on_message("pi/" + std::string(kNames[line]) + "/set", payload, false, now_);
  }
  // Moves the time on, running every deadline on the way as the service's timer would.
  void advance(Nanos by) {
    MonoTime end = now_ + by;
    while (auto deadline = bridge_->next_deadline()) {
      if (*deadline > end) break;
      now_ = std::max(now_, *deadline);
      bridge_->on_time(now_);
    }
    now_ = end;
    bridge_->on_time(now_);
  }
  bool level(std::size_t line) { return lines_.levels[line]; }
  // Up runs for a second, then `payload` arrives for down.
  void up_then_down(std::string_view payload) {
    set(kUp, "ON");
    advance(1s);
    set(kDown, payload);
  }
  // As the service reloads: the old config lives on (the bridge points into the current one).
  void reload(const std::string& yaml) {
    config::Config& next = configs_.emplace_back(config::parse_config(yaml, "t.yaml", "h"));
    bridge::reload(*bridge_, configs_[configs_.size() - 2], next, lines_, now_);
  }

  std::deque<config::Config> configs_;
  RecordingPublisher publisher_;
  FakeLines lines_;
  std::optional<Bridge> bridge_;
  MonoTime now_{10s};
  std::vector<Write> log_;
};

TEST_F(AnInterlockedBridge, SwitchesTheOtherOffAndWaitsTheDeadTimeBeforeSwitchingOn) {
  up_then_down("ON");
  EXPECT_FALSE(level(kUp));
  EXPECT_FALSE(level(kDown));
  advance(499ms);
  EXPECT_FALSE(level(kDown));
  advance(1ms);
  EXPECT_TRUE(level(kDown));
  EXPECT_EQ(log_.back().at - log_[log_.size() - 2].at, 500ms);
}

// Under TSan a write took ~70 µs, and the reversal's ON came 70 µs short of the dead time on the
// chip: it was counted from the time read before the OFF was written. It counts from the stamp
// the port gives the OFF write.
TEST_F(AnInterlockedBridge, CountsTheDeadTimeFromWhenTheOffWriteWasDone) {
  lines_.write_takes = 70us;
  up_then_down("ON");
  ASSERT_FALSE(level(kUp));
  ASSERT_EQ(lines_.writes.back(), (std::pair<std::size_t, bool>{kUp, false}));
  MonoTime off_done = lines_.written_at.back();
  advance(500ms);
  EXPECT_FALSE(level(kDown)) << "on before the OFF write was done + the dead time";
  advance(70us);
  EXPECT_TRUE(level(kDown));
  EXPECT_GE(log_.back().at, off_done + 500ms);
}

TEST_F(AnInterlockedBridge, ANewerCommandDuringTheWaitReplacesThePendingOne) {
  up_then_down("ON");
  advance(100ms);
  set(kUp, "ON");  // down never went on: up goes back on at once
  EXPECT_TRUE(level(kUp));
  advance(1s);
  EXPECT_TRUE(level(kUp));
  EXPECT_FALSE(level(kDown));
}

TEST_F(AnInterlockedBridge, SwitchingThePendingLineOffOrTogglingItCancelsIt) {
  up_then_down("ON");
  set(kDown, "OFF");
  advance(1s);
  EXPECT_FALSE(level(kDown));
  set(kDown, "ON");  // 1 s after up went off: at once
  EXPECT_TRUE(level(kDown));
  set(kUp, "ON");
  set(kUp, "TOGGLE");  // it was waiting to go on: TOGGLE takes it off
  advance(1s);
  EXPECT_FALSE(level(kUp));
  EXPECT_FALSE(level(kDown));
}

TEST_F(AnInterlockedBridge, StartsAPulseWhenTheLineIsOnAfterTheDeadTime) {
  up_then_down(R"({"state":"ON","pulse_ms":300})");
  advance(500ms);
  EXPECT_TRUE(level(kDown));
  advance(299ms);
  EXPECT_TRUE(level(kDown));
  advance(1ms);
  EXPECT_FALSE(level(kDown));
}

TEST_F(AnInterlockedBridge, EndsThePulsesOfTheOthersWhenALineIsSwitchedOn) {
  set(kUp, "ON");
  set(kUp, R"({"state":"OFF","pulse_ms":2000})");  // up off for 2 s, then back on
  advance(1s);
  set(kDown, "ON");
  advance(5s);
  EXPECT_TRUE(level(kDown));  // up's pulse ended with down's ON: it does not take the motor back
  EXPECT_FALSE(level(kUp));
}

TEST_F(AnInterlockedBridge, SwitchesAnOutputStartingOnOnOnlyAfterTheDeadTime) {
  // Requested off (the service's LineSet does so): what the previous run left on is unknown.
  make(shutter_config("interlocks: [{lines: [up, down], dead_time: 500ms}]\n", ", initial: on"));
  EXPECT_FALSE(level(kUp));
  advance(499ms);
  EXPECT_FALSE(level(kUp));
  advance(1ms);
  EXPECT_TRUE(level(kUp));
}

TEST_F(AnInterlockedBridge, ADBusSetLineGoesThroughTheInterlock) {
  set(kLeft, "ON");
  // The entry point Service::set_line() uses.
  EXPECT_EQ(bridge_->apply(kRight, Command{Command::Kind::kSet, true, std::nullopt}, now_), "");
  EXPECT_FALSE(level(kLeft));
  EXPECT_TRUE(level(kRight));  // no dead time in this group
  ASSERT_GE(log_.size(), 2u);
  EXPECT_EQ(log_[log_.size() - 2].line, kLeft);  // off first
}

TEST_F(AnInterlockedBridge, GoesToTheOnDisconnectLevelsThroughTheInterlock) {
  make(shutter_config("interlocks: [{lines: [up, down], dead_time: 500ms}]\n", ", on_disconnect: on"));
  set(kDown, "ON");
  advance(1s);
  bridge_->on_disconnected(now_);
  EXPECT_FALSE(level(kDown));
  EXPECT_FALSE(level(kUp));
  advance(500ms);
  EXPECT_TRUE(level(kUp));
}

TEST_F(AnInterlockedBridge, RefusesToSwitchOnWhileAnotherOfItsGroupCouldNotBeSwitchedOff) {
  set(kLeft, "ON");
  lines_.fail = true;
  EXPECT_NE(bridge_->apply(kRight, Command{Command::Kind::kSet, true, std::nullopt}, now_), "");
  lines_.fail = false;
  advance(1s);
  EXPECT_TRUE(level(kLeft));
  EXPECT_FALSE(level(kRight));
}

TEST_F(AnInterlockedBridge, SwitchesOffLinesAReloadPutsInOneGroupWhileBothAreOn) {
  advance(1s);  // the dead time from the start
  set(kUp, "ON");
  set(kLeft, "ON");
  reload(shutter_config("interlocks: [{lines: [up, down, left]}]\n"));
  EXPECT_FALSE(level(kUp));
  EXPECT_FALSE(level(kLeft));
}

TEST_F(AnInterlockedBridge, CountsALineAReloadRequestsAnewAsJustSwitchedOff) {
  advance(1s);
  set(kUp, "ON");
  advance(1s);
  lines_.levels[kUp] = false;  // up's settings change: the service's LineSet requests it anew, off
  reload(
      shutter_config("interlocks: [{lines: [up, down], dead_time: 500ms}]\n", ", on_disconnect: off, bias: pull-down"));
  set(kDown, "ON");
  EXPECT_FALSE(level(kDown));
  advance(499ms);
  EXPECT_FALSE(level(kDown));
  advance(1ms);
  EXPECT_TRUE(level(kDown));
}

TEST_F(AnInterlockedBridge, SwitchesOnALineAReloadMakesStartOnWhenItsGroupIsIdle) {
  advance(1s);
  // up is requested anew, off (interlocked lines always are); with down long off it goes on at once.
  reload(shutter_config("interlocks: [{lines: [up, down], dead_time: 500ms}]\n", ", initial: on"));
  EXPECT_TRUE(level(kUp));
  set(kDown, "ON");  // and the group's rules hold for it
  EXPECT_FALSE(level(kUp));
  EXPECT_FALSE(level(kDown));
}

using AMomentaryOutput = AnInterlockedBridge;

TEST_F(AMomentaryOutput, StillEndsItsPulseWhenAPressDuringItIsRefused) {
  set(kOpener, "ON");
  advance(100ms);
  lines_.fail = true;  // the second press cannot be written
  set(kOpener, "ON");
  lines_.fail = false;
  advance(400ms);
  EXPECT_FALSE(level(kOpener));
}

TEST_F(AMomentaryOutput, PulsesForItsLengthOnEveryOn) {
  for (const char* on : {"ON", "1", "true", "TOGGLE", R"({"state":"ON"})"}) {
    set(kOpener, on);
    EXPECT_TRUE(level(kOpener)) << on;
    advance(499ms);
    EXPECT_TRUE(level(kOpener)) << on;
    advance(1ms);
    EXPECT_FALSE(level(kOpener)) << on;
    advance(1s);
  }
  EXPECT_EQ(bridge_->apply(kOpener, Command{Command::Kind::kSet, true, std::nullopt}, now_), "");  // D-Bus
  advance(500ms);
  EXPECT_FALSE(level(kOpener));
}

TEST_F(AMomentaryOutput, EndsItsPulseOnOff) {
  set(kOpener, "ON");
  advance(100ms);
  set(kOpener, "OFF");
  EXPECT_FALSE(level(kOpener));
  std::size_t writes = log_.size();
  advance(1s);
  EXPECT_EQ(log_.size(), writes);  // nothing left to end
}

TEST_F(AMomentaryOutput, TakesAnExplicitPulseLengthAndAlwaysGoesBackOff) {
  set(kOpener, R"({"state":"ON","pulse_ms":2000})");
  advance(1999ms);
  EXPECT_TRUE(level(kOpener));
  set(kOpener, "ON");  // a new press: 500 ms from now, back to off (not to the ON before)
  advance(500ms);
  EXPECT_FALSE(level(kOpener));
}

// A random walk over every path that drives a line; from the writes and their times, no two
// lines of a group are ever on at once and every switch-over leaves the dead time.
TEST_F(AnInterlockedBridge, NeverHasTwoOfAGroupOnWhateverArrives) {
  const std::string configs[] = {
      shutter_config(),
      shutter_config("interlocks:\n  - lines: [up, down, left]\n    dead_time: 300ms\n"),
      shutter_config("interlocks:\n  - lines: [down, up]\n    dead_time: 200ms\n  - lines: [opener, right]\n"),
  };
  // The groups, by line, and dead times of each config, to check the log against.
  struct Rule {
    std::vector<std::vector<std::size_t>> groups;
    std::vector<Nanos> dead;
  };
  const Rule rules[] = {{{{kUp, kDown}, {kLeft, kRight}}, {500ms, 0ms}},
                        {{{kUp, kDown, kLeft}}, {300ms}},
                        {{{kDown, kUp}, {kOpener, kRight}}, {200ms, 0ms}}};
  // A fixed sequence by default, so that a run can be repeated; another seed explores others.
  unsigned seed = 20261201;
  if (const char* given = std::getenv("GPIO2MQTT_TEST_SEED")) seed = static_cast<unsigned>(std::stoul(given));
  SCOPED_TRACE("seed " + std::to_string(seed) + " (rerun with GPIO2MQTT_TEST_SEED)");
  std::mt19937 random(seed);
  auto pick = [&](int n) { return static_cast<int>(random() % static_cast<unsigned>(n)); };
  std::size_t current = 0;
  // Checked from the start of each config's period: a reload may regroup lines.
  auto check = [&](std::size_t from, const Rule& rule) {
    std::vector<bool> on(5);
    std::vector<std::optional<MonoTime>> went_off(5);
    for (std::size_t i = 0; i < from; ++i) {  // the levels and off times when the period began
      if (!log_[i].active && on[log_[i].line]) went_off[log_[i].line] = log_[i].at;
      on[log_[i].line] = log_[i].active;
    }
    for (std::size_t i = from; i < log_.size(); ++i) {
      const Write& w = log_[i];
      for (std::size_t g = 0; g < rule.groups.size(); ++g) {
        const auto& group = rule.groups[g];
        if (!w.active || std::find(group.begin(), group.end(), w.line) == group.end()) continue;
        for (std::size_t other : group) {
          if (other == w.line) continue;
          ASSERT_FALSE(on[other]) << kNames[w.line] << " on while " << kNames[other] << " is, write " << i;
          if (went_off[other]) {
            ASSERT_GE(w.at - *went_off[other], rule.dead[g])
                << kNames[w.line] << " on too soon after " << kNames[other] << ", write " << i;
          }
        }
      }
      if (!w.active && on[w.line]) went_off[w.line] = w.at;
      on[w.line] = w.active;
    }
  };
  std::size_t period_start = 0;
  for (int step = 0; step < 3000; ++step) {
    std::size_t line = static_cast<std::size_t>(pick(5));
    switch (pick(12)) {
      case 0:
      case 1:
      case 2:
        set(line, "ON");
        break;
      case 3:
      case 4:
        set(line, "OFF");
        break;
      case 5:
        set(line, "TOGGLE");
        break;
      case 6:
        set(line, R"({"state":"ON","pulse_ms":)" + std::to_string(1 + pick(700)) + "}");
        break;
      case 7:
        set(line, R"({"state":"OFF","pulse_ms":)" + std::to_string(1 + pick(700)) + "}");
        break;
      case 8:
        bridge_->apply(line, Command{Command::Kind::kSet, pick(2) == 0, std::nullopt}, now_);
        break;
      case 9:
        if (pick(4) == 0) bridge_->connected() ? bridge_->on_disconnected(now_) : bridge_->on_connected(now_);
        break;
      case 10:
        if (pick(6) == 0) {
          check(period_start, rules[current]);
          current = static_cast<std::size_t>(pick(3));
          period_start = log_.size();
          reload(configs[current]);
          for (const auto& group : rules[current].groups)
            ASSERT_LE(std::count_if(group.begin(), group.end(), [&](std::size_t l) { return level(l); }), 1)
                << "after a reload";
        }
        break;
      default:
        break;
    }
    advance(Nanos(pick(250) * 1'000'000));  // within the command rate, on average
  }
  check(period_start, rules[current]);
  EXPECT_GT(log_.size(), 1000u);
}

}  // namespace
}  // namespace gpio2mqtt::bridge

#include "gpio2mqtt/bridge/interlock.h"

#include <gtest/gtest.h>

namespace gpio2mqtt::bridge {
namespace {

using namespace std::chrono_literals;
using Switches = std::vector<Interlock::Switch>;

constexpr std::size_t kUp = 0, kDown = 1, kLamp = 2, kLeft = 3, kRight = 4;

MonoTime at(Nanos t) { return MonoTime(t); }

class AnInterlock : public ::testing::Test {
 protected:
  // Drives what the machine says, as the bridge does.
  Switches drive(const Switches& switches, MonoTime now) {
    for (const auto& s : switches) machine_.driven(s.line, s.active, now);
    return switches;
  }
  Switches request(std::size_t line, bool active, MonoTime now) {
    return drive(machine_.request(line, active, now), now);
  }
  Switches on_time(MonoTime now) { return drive(machine_.on_time(now), now); }

  Interlock machine_{{{{kUp, kDown}, 500ms}, {{kLeft, kRight}, 0ms}}};
};

TEST_F(AnInterlock, SwitchesALineOnAtOnceWhenTheOthersHaveLongBeenOff) {
  EXPECT_EQ(request(kUp, true, at(10s)), (Switches{{kUp, true}}));
  EXPECT_FALSE(machine_.deadline());
}

TEST_F(AnInterlock, DrivesALineInNoGroupAsAsked) {
  EXPECT_FALSE(machine_.interlocked(kLamp));
  EXPECT_EQ(request(kLamp, true, at(1s)), (Switches{{kLamp, true}}));
  EXPECT_TRUE(machine_.clear_to_switch_on(kLamp, at(1s)));
}

TEST_F(AnInterlock, SwitchesTheOtherOffAndHoldsTheOnForTheDeadTime) {
  request(kUp, true, at(1s));
  EXPECT_EQ(request(kDown, true, at(2s)), (Switches{{kUp, false}}));
  EXPECT_TRUE(machine_.held(kDown));
  EXPECT_EQ(machine_.deadline(), at(2500ms));
  EXPECT_FALSE(machine_.clear_to_switch_on(kDown, at(2499ms)));
  EXPECT_TRUE(on_time(at(2499ms)).empty());
  EXPECT_EQ(on_time(at(2500ms)), (Switches{{kDown, true}}));
  EXPECT_FALSE(machine_.held(kDown));
  EXPECT_FALSE(machine_.deadline());
}

TEST_F(AnInterlock, CountsTheDeadTimeFromWhenTheOtherWentOffByItself) {
  request(kUp, true, at(1s));
  request(kUp, false, at(2s));
  EXPECT_TRUE(request(kDown, true, at(2200ms)).empty());
  EXPECT_EQ(machine_.deadline(), at(2500ms));
  EXPECT_EQ(request(kUp, true, at(3s)), (Switches{{kUp, true}}));  // long enough after down's last off
}

TEST_F(AnInterlock, ANewerOnDuringTheWaitReplacesTheHeldOne) {
  request(kUp, true, at(1s));
  request(kDown, true, at(2s));
  // Down never went on: up may come back at once, and down waits no more.
  EXPECT_EQ(request(kUp, true, at(2100ms)), (Switches{{kUp, true}}));
  EXPECT_FALSE(machine_.held(kDown));
  EXPECT_FALSE(machine_.deadline());
  request(kDown, true, at(3s));
  request(kUp, false, at(3100ms));
  EXPECT_TRUE(request(kDown, true, at(3200ms)).empty());  // still 300 ms of up's dead time
  EXPECT_EQ(machine_.deadline(), at(3500ms));
}

TEST_F(AnInterlock, AnOffForTheHeldLineCancelsIt) {
  request(kUp, true, at(1s));
  request(kDown, true, at(2s));
  EXPECT_EQ(request(kDown, false, at(2200ms)), (Switches{{kDown, false}}));
  EXPECT_FALSE(machine_.deadline());
  EXPECT_TRUE(on_time(at(3s)).empty());
}

TEST_F(AnInterlock, AnOffForAnotherLineLeavesTheHeldOneWaiting) {
  request(kUp, true, at(1s));
  request(kDown, true, at(2s));
  request(kUp, false, at(2200ms));
  EXPECT_EQ(on_time(at(2500ms)), (Switches{{kDown, true}}));
}

TEST_F(AnInterlock, WithoutADeadTimeSwitchesOverAtOnceOffFirst) {
  request(kLeft, true, at(1s));
  EXPECT_EQ(request(kRight, true, at(1s)), (Switches{{kLeft, false}, {kRight, true}}));
}

TEST_F(AnInterlock, RefusesToBeClearWhileAnotherIsStillOn) {
  request(kLeft, true, at(1s));
  // A failed write: the bridge never tells driven() that left went off.
  auto switches = machine_.request(kRight, true, at(2s));
  EXPECT_EQ(switches.front(), (Interlock::Switch{kLeft, false}));
  EXPECT_FALSE(machine_.clear_to_switch_on(kRight, at(2s)));
}

TEST_F(AnInterlock, AnOnForALineAlreadyOnChangesNothing) {
  request(kUp, true, at(1s));
  EXPECT_EQ(request(kUp, true, at(1100ms)), (Switches{{kUp, true}}));
  EXPECT_FALSE(machine_.deadline());
}

TEST_F(AnInterlock, AdoptsLevelsAndOffTimesFoundAfterAReload) {
  machine_.adopt(kUp, false, at(5s));
  EXPECT_TRUE(request(kDown, true, at(5200ms)).empty());
  EXPECT_EQ(machine_.deadline(), at(5500ms));
  machine_.adopt(kDown, false);  // adopting drops what was held for it
  EXPECT_FALSE(machine_.deadline());
}

TEST_F(AnInterlock, NamesTheOthersOfALinesGroup) {
  EXPECT_EQ(machine_.others(kDown), (std::vector<std::size_t>{kUp}));
  EXPECT_TRUE(machine_.others(kLamp).empty());
}

TEST_F(AnInterlock, CancelsEverythingHeld) {
  request(kUp, true, at(1s));
  request(kDown, true, at(2s));
  machine_.cancel_held();
  EXPECT_FALSE(machine_.deadline());
  EXPECT_TRUE(on_time(at(10s)).empty());
}

}  // namespace
}  // namespace gpio2mqtt::bridge

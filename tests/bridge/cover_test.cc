// A cover's logic on timestamp sequences: position from time, partial moves, a reversal through
// stop and dead time, a position command, end stops, calibration overrun, the travel limit, a
// failing write, restore; and a one-button operator's presses.
#include "gpio2mqtt/bridge/cover.h"

#include <gtest/gtest.h>

#include <vector>

namespace gpio2mqtt::bridge {
namespace {

using namespace std::chrono_literals;
using M = CoverMotion;

MonoTime at(Nanos t) { return MonoTime(t); }
long ms(MonoTime t) { return std::chrono::duration_cast<std::chrono::milliseconds>(t.time_since_epoch()).count(); }

class RecordingDrive : public CoverDrive {
 public:
  struct Drive {
    std::string what;
    long at_ms;
    bool operator==(const Drive&) const = default;
    friend void PrintTo(const Drive& d, std::ostream* os) { *os << d.what << "@" << d.at_ms; }
  };
  std::vector<Drive> drives;
  bool fail = false;
  Nanos write_takes{0};  // how long after the time it is given a write is done (its port's stamp)
  bool motor(CoverMotion motion, MonoTime now) override {
    drives.push_back({motion == M::kOpening ? "open" : motion == M::kClosing ? "close" : "stop", ms(now)});
    if (motion == M::kStopped) off_done_ = now + write_takes;
    return !fail;
  }
  bool button(bool on, MonoTime now) override {
    drives.push_back({on ? "press" : "release", ms(now)});
    if (!on) off_done_ = now + write_takes;
    return !fail;
  }
  MonoTime quiet_since(MonoTime now) const override { return std::max(now, off_done_); }
  std::vector<Drive> take() { return std::exchange(drives, {}); }

 private:
  MonoTime off_done_{};
};
using Drives = std::vector<RecordingDrive::Drive>;

CoverCommand open() { return {CoverCommand::Kind::kOpen}; }
CoverCommand close() { return {CoverCommand::Kind::kClose}; }
CoverCommand stop() { return {CoverCommand::Kind::kStop}; }
CoverCommand to(double p) { return {CoverCommand::Kind::kPosition, p}; }

class ACover : public ::testing::Test {
 protected:
  // 10 s to open, 20 s to close, 1 s margin, 500 ms dead time.
  void make(std::optional<double> position, bool one_button = false) {
    CoverSettings s;
    s.one_button = one_button;
    s.open_time = 10s;
    s.close_time = 20s;
    s.margin = 1s;
    s.dead_time = 500ms;
    s.press = 300ms;
    cover_.emplace(s, drive_);
    cover_->restore(position, at(0s));
  }
  // Runs on_time at every deadline up to `until`, as the service's timer does.
  void run_until(Nanos until) {
    while (auto d = cover_->deadline()) {
      if (*d > at(until)) break;
      cover_->on_time(*d);
    }
  }
  double position(Nanos t) { return cover_->position(at(t)).value_or(-1); }
  // A command at `t`, the timer having run until then.
  std::string command(const CoverCommand& c, Nanos t) {
    run_until(t);
    return cover_->command(c, at(t));
  }

  RecordingDrive drive_;
  std::optional<Cover> cover_;
};

TEST(ACoverCommand, TakesTheWordsInAnyCaseAndPositionsFrom0To100) {
  EXPECT_EQ(parse_cover_command("OPEN")->kind, CoverCommand::Kind::kOpen);
  EXPECT_EQ(parse_cover_command("close")->kind, CoverCommand::Kind::kClose);
  EXPECT_EQ(parse_cover_command("Stop")->kind, CoverCommand::Kind::kStop);
  EXPECT_EQ(parse_cover_command("42.5")->position, 42.5);
  EXPECT_EQ(parse_cover_command("0")->kind, CoverCommand::Kind::kPosition);
  for (const char* bad : {"", "101", "-1", "nan", "50%", "OPEN ", "ON", "1e9"})
    EXPECT_FALSE(parse_cover_command(bad)) << bad;
}

TEST_F(ACover, DrivesNothingAtStart) {
  make(40);
  EXPECT_TRUE(drive_.drives.empty());
  EXPECT_EQ(cover_->deadline(), std::nullopt);
  EXPECT_EQ(cover_->state_word(at(0s)), "stopped");
}

TEST_F(ACover, OpensFullyWithTheMarginAndIsOpenAfterwards) {
  make(0);
  command(open(), 2s);
  EXPECT_EQ(position(7s), 50);
  EXPECT_EQ(cover_->state_word(at(7s)), "opening");
  run_until(60s);
  // 10 s of travel and the 1 s margin.
  EXPECT_EQ(drive_.take(), (Drives{{"open", 2000}, {"stop", 13000}}));
  EXPECT_EQ(position(60s), 100);
  EXPECT_EQ(cover_->state_word(at(60s)), "open");
}

TEST_F(ACover, StopsWhereItIsAndKeepsThePartialPosition) {
  make(0);
  command(open(), 1s);
  command(stop(), 5s);
  EXPECT_EQ(drive_.take(), (Drives{{"open", 1000}, {"stop", 5000}}));
  EXPECT_EQ(position(9s), 40);
  EXPECT_EQ(cover_->state_word(at(9s)), "stopped");
  EXPECT_EQ(cover_->deadline(), std::nullopt);
}

TEST_F(ACover, WaitsTheDeadTimeAfterTheStartBeforeItsFirstRun) {
  make(0);
  command(open(), 100ms);
  EXPECT_TRUE(drive_.drives.empty());
  EXPECT_EQ(cover_->deadline(), at(500ms));
  run_until(600ms);
  EXPECT_EQ(drive_.take(), (Drives{{"open", 500}}));
}

TEST_F(ACover, GoesToAPositionAndStopsThereWithoutMargin) {
  make(20);
  command(to(70), 1s);
  run_until(60s);
  EXPECT_EQ(drive_.take(), (Drives{{"open", 1000}, {"stop", 6000}}));  // 50 % of 10 s
  EXPECT_EQ(position(60s), 70);
  command(to(45), 61s);
  run_until(90s);
  EXPECT_EQ(drive_.take(), (Drives{{"close", 61000}, {"stop", 66000}}));  // 25 % of 20 s
  EXPECT_EQ(position(90s), 45);
}

TEST_F(ACover, ReversesThroughAStopAndTheDeadTime) {
  make(0);
  command(open(), 1s);
  command(close(), 5s);  // at 40 %
  EXPECT_EQ(drive_.take(), (Drives{{"open", 1000}, {"stop", 5000}}));
  EXPECT_EQ(cover_->deadline(), at(5500ms));
  run_until(60s);
  // 40 % down in 8 s, and the margin.
  EXPECT_EQ(drive_.take(), (Drives{{"close", 5500}, {"stop", 14500}}));
  EXPECT_EQ(position(60s), 0);
  EXPECT_EQ(cover_->state_word(at(60s)), "closed");
}

// The reversal's ON came 299.93 ms after the OFF on the chip (TSan, 300 ms dead time): the dead
// time counted from the time read before the stop's write. It counts from when the write was done.
TEST_F(ACover, CountsTheDeadTimeFromWhenTheStopWasWritten) {
  make(0);
  drive_.write_takes = 70us;
  command(open(), 1s);
  command(close(), 5s);
  EXPECT_EQ(cover_->deadline(), at(5500ms + 70us));
  cover_->on_time(at(5500ms));
  EXPECT_EQ(drive_.take(), (Drives{{"open", 1000}, {"stop", 5000}}));  // not yet
  run_until(6s);
  EXPECT_EQ(drive_.take(), (Drives{{"close", 5500}}));
}

TEST_F(ACover, AStopDuringTheDeadTimeCancelsTheReversal) {
  make(0);
  command(open(), 1s);
  command(close(), 5s);
  command(stop(), 5200ms);
  run_until(60s);
  EXPECT_EQ(drive_.take(), (Drives{{"open", 1000}, {"stop", 5000}}));
}

TEST_F(ACover, NeverRunsLongerThanTheTravelAndMarginWhateverComes) {
  make(std::nullopt);  // unknown: every run is a full one
  command(open(), 1s);
  for (int i = 2; i < 30; ++i) command(open(), (Nanos(std::chrono::seconds(i)) / 2 + 1s));
  run_until(60s);
  EXPECT_EQ(drive_.take(), (Drives{{"open", 1000}, {"stop", 12000}}));
  EXPECT_EQ(position(60s), 100);  // calibrated by the full travel
}

TEST_F(ACover, RefusesAPositionWhileItsPositionIsUnknown) {
  make(std::nullopt);
  EXPECT_NE(command(to(50), 1s), "");
  EXPECT_TRUE(drive_.drives.empty());
  EXPECT_EQ(command(to(100), 1s), "");  // an end is a travel, not a position
}

TEST_F(ACover, StopsAtItsEndStopAndTakesItsPositionFromIt) {
  make(30);
  command(close(), 1s);
  cover_->on_end_stop(false, true, at(5s));  // earlier than its time says (30 % is 6 s)
  EXPECT_EQ(drive_.take(), (Drives{{"close", 1000}, {"stop", 5000}}));
  EXPECT_EQ(position(6s), 0);
  EXPECT_EQ(cover_->deadline(), std::nullopt);
  command(close(), 10s);  // already there
  run_until(60s);
  EXPECT_TRUE(drive_.drives.empty());
}

TEST_F(ACover, CorrectsItsPositionFromAnEndStopWhileStill) {
  make(30);
  cover_->on_end_stop(true, true, at(1s));
  EXPECT_EQ(position(1s), 100);
  EXPECT_TRUE(drive_.drives.empty());
}

TEST_F(ACover, AFailingWriteStopsBothDirections) {
  make(0);
  drive_.fail = true;
  command(open(), 1s);
  EXPECT_EQ(drive_.take(), (Drives{{"open", 1000}, {"stop", 1000}}));
  EXPECT_EQ(cover_->motion(), M::kStopped);
  run_until(60s);
  EXPECT_TRUE(drive_.drives.empty());  // nothing retried by itself
}

TEST_F(ACover, HaltStopsAMotorAtOnce) {
  make(0);
  command(open(), 1s);
  cover_->halt(at(3s));
  EXPECT_EQ(drive_.take(), (Drives{{"open", 1000}, {"stop", 3000}}));
  EXPECT_EQ(position(3s), 20);
  run_until(60s);
  EXPECT_TRUE(drive_.drives.empty());
}

TEST_F(ACover, AfterAPowerCutRestartsStoppedAtThePositionLastKept) {
  make(63.5);  // kept at the last persist, wherever the motor was when the power went
  EXPECT_EQ(position(0s), 63.5);
  EXPECT_EQ(cover_->state_word(at(0s)), "stopped");
  EXPECT_TRUE(drive_.drives.empty());
}

TEST_F(ACover, OneButtonOpensWithOnePressAndStopsByItselfAtTheEnd) {
  make(0, true);
  command(open(), 1s);
  run_until(60s);
  EXPECT_EQ(drive_.take(), (Drives{{"press", 1000}, {"release", 1300}}));
  EXPECT_EQ(position(60s), 100);
  EXPECT_EQ(cover_->state_word(at(60s)), "open");
}

TEST_F(ACover, OneButtonStopsAtAPositionWithASecondPress) {
  make(0, true);
  command(to(30), 1s);
  run_until(60s);
  EXPECT_EQ(drive_.take(), (Drives{{"press", 1000}, {"release", 1300}, {"press", 4000}, {"release", 4300}}));
  EXPECT_EQ(position(60s), 30);
}

TEST_F(ACover, OneButtonReversesWithAStopPressAndAStartPress) {
  make(0, true);
  command(open(), 1s);
  command(close(), 5s);  // at 40 %
  run_until(60s);
  EXPECT_EQ(
      drive_.take(),
      (Drives{
          {"press", 1000}, {"release", 1300}, {"press", 5000}, {"release", 5300}, {"press", 5800}, {"release", 6100}}));
  EXPECT_EQ(position(60s), 0);
}

TEST_F(ACover, OneButtonWhoseNextDirectionIsWrongGoesThereThroughThreePresses) {
  make(50, true);
  command(close(), 1s);
  command(stop(), 3s);  // the operator goes up next
  run_until(5s);
  drive_.take();
  command(close(), 10s);
  run_until(10900ms);
  // up (briefly), stop, down
  EXPECT_EQ(drive_.take(), (Drives{{"press", 10000}, {"release", 10300}, {"press", 10800}}));
  EXPECT_EQ(cover_->motion(), M::kStopped);
  run_until(11700ms);
  EXPECT_EQ(drive_.take(), (Drives{{"release", 11100}, {"press", 11600}}));
  EXPECT_EQ(cover_->motion(), M::kClosing);
}

TEST_F(ACover, OneButtonIsNeverPressedByAHalt) {
  make(0, true);
  command(open(), 1s);
  cover_->halt(at(1100ms));
  EXPECT_EQ(drive_.take(), (Drives{{"press", 1000}, {"release", 1100}}));
  cover_->halt(at(5s));
  EXPECT_TRUE(drive_.drives.empty());
}

TEST_F(ACover, OneButtonFollowsADoorItsRemoteStarted) {
  make(0, true);
  cover_->on_end_stop(false, true, at(0s));
  cover_->on_end_stop(false, false, at(2s));
  EXPECT_EQ(cover_->state_word(at(3s)), "opening");
  command(stop(), 4s);
  EXPECT_EQ(drive_.take(), (Drives{{"press", 4000}}));
  EXPECT_EQ(position(5s), 20);
}

}  // namespace
}  // namespace gpio2mqtt::bridge

// The gesture recogniser on sequences of debounced presses and releases with their timestamps.
#include "gpio2mqtt/bridge/button.h"

#include <gtest/gtest.h>

#include "gpio2mqtt/bridge/debounce.h"

namespace gpio2mqtt::bridge {
namespace {

using namespace std::chrono_literals;
using G = Gesture;

ButtonSettings settings(std::vector<Gesture> gestures = {std::begin(kAllGestures), std::end(kAllGestures)}) {
  ButtonSettings s;
  s.window = 400ms;
  s.long_press = 800ms;
  s.gestures = std::move(gestures);
  return s;
}

// Drives a button as the bridge does: on_time() at every deadline up to each change, then the
// change; collects what it sent, in order.
class Presses {
 public:
  explicit Presses(ButtonSettings s) : button_(std::move(s), false) {}
  Presses& run_to(MonoTime t) {
    while (auto d = button_.deadline()) {
      if (*d > t) break;
      if (auto g = button_.on_time(*d)) sent_.push_back(*g);
    }
    now_ = t;
    return *this;
  }
  Presses& change(bool pressed, MonoTime t) {
    run_to(t);
    for (G g : button_.on_change(pressed, t)) sent_.push_back(g);
    return *this;
  }
  // Pressed at `at`, released `held` later.
  Presses& press(MonoTime at, Nanos held = 100ms) { return change(true, at).change(false, at + held); }
  std::vector<G> sent() const { return sent_; }
  Button& button() { return button_; }

 private:
  Button button_;
  MonoTime now_{};
  std::vector<G> sent_;
};

MonoTime at(Nanos t) { return MonoTime(t); }

TEST(AButton, SendsSingleOnceTheWindowPassedWithoutAnotherPress) {
  Presses p(settings());
  p.press(at(1s));
  EXPECT_TRUE(p.sent().empty()) << "a second press may still come";
  EXPECT_EQ(p.button().deadline(), at(1s + 100ms + 400ms));
  p.run_to(at(1s + 500ms - 1ns));
  EXPECT_TRUE(p.sent().empty());
  p.run_to(at(1s + 500ms));
  EXPECT_EQ(p.sent(), std::vector<G>{G::kSingle});
  EXPECT_EQ(p.button().deadline(), std::nullopt);
}

TEST(AButton, CountsAPressOneNanosecondInsideTheWindowIntoTheGesture) {
  Presses p(settings());
  p.press(at(1s)).press(at(1s + 100ms + 400ms - 1ns)).run_to(at(5s));
  EXPECT_EQ(p.sent(), std::vector<G>{G::kDouble});
}

TEST(AButton, StartsANewGestureWithAPressExactlyAtTheWindowsEnd) {
  Presses p(settings());
  p.press(at(1s)).press(at(1s + 100ms + 400ms)).run_to(at(5s));
  EXPECT_EQ(p.sent(), (std::vector<G>{G::kSingle, G::kSingle}));
}

TEST(AButton, MeasuresTheWindowFromTheChangesTimestampsNotFromWhenTheyAreSeen) {
  // The second press is handed over late (no on_time() ran): its timestamp decides.
  Button button(settings(), false);
  EXPECT_TRUE(button.on_change(true, at(1s)).empty());
  EXPECT_TRUE(button.on_change(false, at(1100ms)).empty());
  EXPECT_TRUE(button.on_change(true, at(1400ms)).empty());
  EXPECT_EQ(button.on_change(false, at(1500ms)), std::vector<G>{});
  EXPECT_EQ(button.on_time(at(1900ms)), G::kDouble);
}

TEST(AButton, SendsATripleAtTheThirdReleaseWithoutWaiting) {
  Presses p(settings());
  p.press(at(1s)).press(at(1300ms)).press(at(1600ms));
  EXPECT_EQ(p.sent(), std::vector<G>{G::kTriple});
  EXPECT_EQ(p.button().deadline(), std::nullopt);
}

TEST(AButton, ConfiguredForSinglePressesOnlySendsSingleAtTheRelease) {
  Presses p(settings({G::kSingle}));
  p.change(true, at(1s));
  EXPECT_TRUE(p.sent().empty());
  p.change(false, at(1100ms));
  EXPECT_EQ(p.sent(), std::vector<G>{G::kSingle}) << "no double-press window to wait for";
  EXPECT_EQ(p.button().deadline(), std::nullopt);
  p.press(at(1200ms));
  EXPECT_EQ(p.sent(), (std::vector<G>{G::kSingle, G::kSingle}));
}

TEST(AButton, ConfiguredForSingleAndLongSendsSingleAtTheReleaseAndLongWhileHeld) {
  Presses p(settings({G::kSingle, G::kLong}));
  p.press(at(1s), 200ms);
  EXPECT_EQ(p.sent(), std::vector<G>{G::kSingle});
  p.change(true, at(2s)).run_to(at(2800ms));
  EXPECT_EQ(p.sent(), (std::vector<G>{G::kSingle, G::kLong}));
  p.change(false, at(3s));
  EXPECT_EQ(p.sent(), (std::vector<G>{G::kSingle, G::kLong})) << "long_release is not configured";
}

TEST(AButton, FiresLongWhileStillHeldOnceTheLongPressTimePassed) {
  Presses p(settings());
  p.change(true, at(1s));
  EXPECT_EQ(p.button().deadline(), at(1800ms));
  p.run_to(at(1800ms - 1ns));
  EXPECT_TRUE(p.sent().empty());
  p.run_to(at(1800ms));
  EXPECT_EQ(p.sent(), std::vector<G>{G::kLong}) << "before the release";
  p.run_to(at(10s));
  EXPECT_EQ(p.sent(), std::vector<G>{G::kLong}) << "once per hold";
  p.change(false, at(10s));
  EXPECT_EQ(p.sent(), (std::vector<G>{G::kLong, G::kLongRelease}));
  EXPECT_EQ(p.button().deadline(), std::nullopt);
}

TEST(AButton, TreatsAPressReleasedJustBeforeTheLongPressTimeAsShort) {
  Presses p(settings());
  p.press(at(1s), 800ms - 1ns).run_to(at(5s));
  EXPECT_EQ(p.sent(), std::vector<G>{G::kSingle});
}

TEST(AButton, SendsLongAndItsReleaseTogetherWhenTheTimerWasLate) {
  Button button(settings(), false);
  button.on_change(true, at(1s));
  EXPECT_EQ(button.on_change(false, at(2s)), (std::vector<G>{G::kLong, G::kLongRelease}));
}

TEST(AButton, StartsANewGestureWithAPressRightAfterALongPress) {
  // Released after a long press and pressed again within the window: a single, not a double.
  Presses p(settings());
  p.press(at(1s), 1s).press(at(2100ms)).run_to(at(5s));
  EXPECT_EQ(p.sent(), (std::vector<G>{G::kLong, G::kLongRelease, G::kSingle}));
}

TEST(AButton, MakesASecondPressHeldLongALongPressNotADouble) {
  Presses p(settings());
  p.press(at(1s)).change(true, at(1300ms));
  p.run_to(at(2100ms));
  EXPECT_EQ(p.sent(), std::vector<G>{G::kLong});
  p.change(false, at(2500ms)).run_to(at(5s));
  EXPECT_EQ(p.sent(), (std::vector<G>{G::kLong, G::kLongRelease}));
}

TEST(AButton, WithoutLongGesturesCountsAPressHeldLongAsAPress) {
  Presses p(settings({G::kSingle, G::kDouble}));
  p.press(at(1s), 3s).press(at(4200ms)).run_to(at(10s));
  EXPECT_EQ(p.sent(), std::vector<G>{G::kDouble});
}

TEST(AButton, IgnoresAPressHeldSinceBeforeItsStart) {
  Button button(settings(), true);
  EXPECT_EQ(button.deadline(), std::nullopt) << "when that press began is unknown";
  EXPECT_TRUE(button.on_change(false, at(5s)).empty());
  EXPECT_EQ(button.deadline(), std::nullopt);
}

TEST(AButton, ForgetsAGestureUnderWayWhenReset) {
  Presses p(settings());
  p.press(at(1s));
  p.button().reset(false);
  p.run_to(at(5s));
  EXPECT_TRUE(p.sent().empty());
}

TEST(AButton, IgnoresARepeatedLevel) {
  Button button(settings(), false);
  button.on_change(true, at(1s));
  EXPECT_TRUE(button.on_change(true, at(1100ms)).empty());
  EXPECT_EQ(button.deadline(), at(1800ms)) << "the hold counts from the first press";
}

// Bounces are the debouncer's: what it reports is what the button counts.
TEST(AButton, BehindTheDebouncerCountsABouncingPressOnce) {
  Debouncer debounce(20ms, false);
  Presses p(settings());
  auto edge = [&](bool level, MonoTime t) {
    p.run_to(t);
    if (auto d = debounce.deadline(); d && *d <= t)
      if (auto r = debounce.on_time(*d)) p.change(r->active, r->timestamp);
    if (auto r = debounce.on_edge(level, t)) p.change(r->active, r->timestamp);
  };
  // A press bouncing for 3 ms, held 100 ms, a release bouncing for 3 ms.
  for (auto t : {0ms, 1ms, 2ms}) {
    edge(true, at(1s + t));
    edge(false, at(1s + t + 500us));
  }
  edge(true, at(1s + 3ms));
  for (auto t : {0ms, 1ms, 2ms}) {
    edge(false, at(1100ms + t));
    edge(true, at(1100ms + t + 500us));
  }
  edge(false, at(1100ms + 3ms));
  edge(false, at(3s));  // settles the debouncer, runs the timers
  p.run_to(at(5s));
  EXPECT_EQ(p.sent(), std::vector<G>{G::kSingle});
}

TEST(AGestureName, IsWhatTheActionTopicCarriesAndParsesBack) {
  for (G g : kAllGestures) EXPECT_EQ(config::parse_gesture(gesture_name(g)), g);
  EXPECT_EQ(gesture_name(G::kLongRelease), "long_release");
  EXPECT_EQ(config::parse_gesture("quadruple"), std::nullopt);
}

}  // namespace
}  // namespace gpio2mqtt::bridge

#include "gpio2mqtt/bridge/button.h"

#include <algorithm>

namespace gpio2mqtt::bridge {

bool Button::uses(Gesture gesture) const {
  return std::find(settings_.gestures.begin(), settings_.gestures.end(), gesture) != settings_.gestures.end();
}

int Button::max_presses() const {
  if (uses(Gesture::kTriple)) return 3;
  if (uses(Gesture::kDouble)) return 2;
  return 1;
}

std::optional<Gesture> Button::counted(int presses) const {
  static constexpr Gesture kByPresses[] = {Gesture::kSingle, Gesture::kDouble, Gesture::kTriple};
  if (presses < 1 || presses > 3 || !uses(kByPresses[presses - 1])) return std::nullopt;
  return kByPresses[presses - 1];
}

std::vector<Gesture> Button::on_change(bool pressed, MonoTime timestamp) {
  std::vector<Gesture> out;
  if (pressed == pressed_) return out;  // an edge between was lost: nothing to count on
  // Edges come in order, but one settled late by the debouncer may be older than the last timer.
  timestamp = std::max(timestamp, changed_at_);
  if (auto due = on_time(timestamp)) out.push_back(*due);
  pressed_ = pressed;
  changed_at_ = timestamp;
  if (pressed) {
    ++presses_;
    return out;
  }
  if (std::exchange(held_long_, false)) {
    if (uses(Gesture::kLongRelease)) out.push_back(Gesture::kLongRelease);
  } else if (presses_ >= max_presses()) {
    // No further press could make a larger gesture: no reason to wait for one.
    if (auto gesture = counted(presses_)) out.push_back(*gesture);
    presses_ = 0;
  }
  return out;
}

std::optional<Gesture> Button::on_time(MonoTime now) {
  if (pressed_ && presses_ > 0 && !held_long_ && detects_long() && now - changed_at_ >= settings_.long_press) {
    held_long_ = true;
    presses_ = 0;  // the short presses before it are part of the long press
    if (uses(Gesture::kLong)) return Gesture::kLong;
    return std::nullopt;
  }
  if (!pressed_ && presses_ > 0 && now - changed_at_ >= settings_.window) return counted(std::exchange(presses_, 0));
  return std::nullopt;
}

std::optional<MonoTime> Button::deadline() const {
  if (pressed_ && presses_ > 0 && !held_long_ && detects_long()) return changed_at_ + settings_.long_press;
  if (!pressed_ && presses_ > 0) return changed_at_ + settings_.window;
  return std::nullopt;
}

void Button::reset(bool pressed) {
  pressed_ = pressed;
  presses_ = 0;
  held_long_ = false;
}

}  // namespace gpio2mqtt::bridge

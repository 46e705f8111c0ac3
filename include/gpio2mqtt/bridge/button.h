// Press gestures of a wall button (an input in `mode: button`): single, double and triple presses,
// a long press while still held, and the release that ends it. Time is passed in; presses and
// releases come debounced, with the kernel's timestamps of the edges that made them.
//
// A press that follows a release within `window` belongs to the same gesture; once the window
// passed without one, the gesture is the number of presses. When no larger gesture is configured
// (single presses only, or the third press of a triple), the gesture is sent at the release
// without waiting. A press held `long_press` is `long` at once, whatever presses came before it in
// its gesture; its release is `long_release`, and the next press starts a new gesture.
#pragma once

#include <optional>
#include <utility>
#include <vector>

#include "gpio2mqtt/config/config.h"
#include "gpio2mqtt/util/clock.h"

namespace gpio2mqtt::bridge {

// The gestures and their names are the config's (config/config.h): the loader checks them.
using config::Gesture;
using config::gesture_name;
using config::kAllGestures;

// A button's settings are its config's (window, long_press, gestures; defaults there).
using ButtonSettings = config::ButtonConfig;

class Button {
 public:
  // `pressed`: the line's level now, read directly.
  Button(ButtonSettings settings, bool pressed) : settings_(std::move(settings)), pressed_(pressed) {}

  // The debounced level changed to `pressed` at `timestamp`; returns the gestures this ends, in
  // order (a release seen late may end a long press and its release at once).
  std::vector<Gesture> on_change(bool pressed, MonoTime timestamp);
  // Ends a window that passed, fires a long press; returns the gesture that is due.
  std::optional<Gesture> on_time(MonoTime now);
  // When on_time() next has something to do.
  std::optional<MonoTime> deadline() const;
  // The level was read directly (start-up, lines reopened): what was under way is forgotten.
  void reset(bool pressed);

 private:
  bool uses(Gesture gesture) const;
  // The most presses a gesture can have: 3 with triple, 2 with double, else 1.
  int max_presses() const;
  // A gesture of `presses` short presses, if the line uses it.
  std::optional<Gesture> counted(int presses) const;
  bool detects_long() const { return uses(Gesture::kLong) || uses(Gesture::kLongRelease); }

  ButtonSettings settings_;
  bool pressed_;
  int presses_ = 0;         // in the gesture under way; a press held since before reset() is none
  bool held_long_ = false;  // the press held now became a long press
  MonoTime changed_at_{};   // of the last press or release
};

}  // namespace gpio2mqtt::bridge

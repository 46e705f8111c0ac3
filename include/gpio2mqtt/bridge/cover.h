// A cover's logic (shutters, blinds, awnings, garage doors, gates), free of I/O, time passed in:
// where it is from how long its motor ran, what it drives to get where it is asked, end stops,
// and the limits no command can get past. It says what to drive through a CoverDrive; the device
// (bridge/devices/cover_device.h) drives the lines through the switchboard.
//
// Two kinds: a motor with two directions (an output each; switching over stops the motor and waits
// out the dead time before the other direction), and a one-button operator (one momentary output:
// a press starts the door, stops it, or starts it the other way, as garage operators do). Both are
// the same machine: what is wanted (open, close, stopped) against what runs; each step that brings
// them together is one drive (a motor's switch, a button's press) and waits out the dead time.
//
// Position is percent open, 0 closed, 100 open, from the travel times. A travel to 0 or 100 runs
// `margin` longer than computed, so that the cover re-calibrates at its mechanical end (or end
// stop); no run lasts longer than the full travel time plus the margin, whatever comes.
#pragma once

#include <optional>
#include <string>

#include "gpio2mqtt/util/clock.h"

namespace gpio2mqtt::bridge {

enum class CoverMotion { kStopped, kOpening, kClosing };

// What a cover drives. False when a write failed (then the cover stops everything it drives).
class CoverDrive {
 public:
  virtual ~CoverDrive() = default;
  // A motor: the direction's output on (the other off), or both off.
  virtual bool motor(CoverMotion motion, MonoTime now) = 0;
  // A one-button operator: its output on (a press begins) or off.
  virtual bool button(bool on, MonoTime now) = 0;
  // When what it drives last went off, no earlier than `now`: the dead time counts from there, and
  // a write done after `now` (its port's stamp, see LinePort::write) must not shorten it.
  virtual MonoTime quiet_since(MonoTime now) const { return now; }
};

struct CoverSettings {
  bool one_button = false;  // else a motor with two directions
  Nanos open_time{std::chrono::seconds(30)};
  Nanos close_time{std::chrono::seconds(30)};
  Nanos margin{std::chrono::seconds(2)};            // added to travels to 0 and 100
  Nanos dead_time{std::chrono::milliseconds(500)};  // between a motor's runs; between presses
  Nanos press{std::chrono::milliseconds(500)};      // a one-button operator's press
  bool has_opened_stop = false;
  bool has_closed_stop = false;
};

// What a command asks: OPEN, CLOSE, STOP or a position 0-100.
struct CoverCommand {
  enum class Kind { kOpen, kClose, kStop, kPosition } kind = Kind::kStop;
  double position = 0;
};
// Parses a set payload: OPEN, CLOSE, STOP (any case) or a number 0-100; nullopt when it is neither.
std::optional<CoverCommand> parse_cover_command(std::string_view payload);

class Cover {
 public:
  Cover(CoverSettings settings, CoverDrive& drive) : settings_(settings), drive_(drive) {}

  // At start: the position kept by the previous run (nullopt: unknown), nothing running; the
  // outputs may have been on until `now`, so the first run waits out the dead time from now.
  void restore(std::optional<double> position, MonoTime now);
  // An end stop's level (at start, and each debounced change at the time of its edge).
  void on_end_stop(bool opened_stop, bool active, MonoTime at);

  // Returns an error text, empty when taken.
  std::string command(const CoverCommand& command, MonoTime now);
  void on_time(MonoTime now);
  std::optional<MonoTime> deadline() const;
  // Stops at once, whatever runs (the broker's loss with on_disconnect: stop, the stop, a reload).
  void halt(MonoTime now);

  CoverMotion motion() const { return motion_; }
  // Percent open at `now`; nullopt while unknown.
  std::optional<double> position(MonoTime now) const;
  // open, opening, closed, closing, stopped (stopped too while the position is unknown).
  std::string state_word(MonoTime now) const;
  // Whether what runs was started by this cover (not followed from its end stops: a remote's).
  bool commanded() const { return commanded_; }
  // A press is under way or another is due (one-button operator), or a motor waits for its dead time.
  bool busy() const;

 private:
  Nanos travel(CoverMotion motion) const;
  // Starts or stops what runs to get closer to what is wanted; once per dead time.
  void step(MonoTime now);
  void start_run(CoverMotion motion, MonoTime now);
  // When the run under way stops by itself: at its target, at the end with the margin, or at the limit.
  MonoTime end_of_run() const;
  // The run reached run_end_.
  void end_run(MonoTime now);
  // What runs stopped at `now` (the position taken from the time it ran).
  void stopped(MonoTime now);
  void failed(MonoTime now);
  bool at_end(CoverMotion motion) const;               // its end stop says so
  bool there(CoverMotion motion, MonoTime now) const;  // at the end `motion` goes to

  CoverSettings settings_;
  CoverDrive& drive_;
  std::optional<double> position_;  // at run_start_ while running
  CoverMotion motion_ = CoverMotion::kStopped;
  CoverMotion wanted_ = CoverMotion::kStopped;
  std::optional<double> target_;  // where a position command stops; nullopt: the end
  MonoTime run_start_{};
  MonoTime run_end_{};                 // when the run stops by itself (target reached, or the limit)
  bool to_end_ = false;                // the run goes to its end (and calibrates there), not to target_
  MonoTime quiet_since_{};             // the last switch-off or press end: the dead time counts from there
  std::optional<MonoTime> press_end_;  // a one-button operator's press under way
  std::optional<CoverMotion> next_;    // a one-button operator's direction at its next press
  bool opened_stop_ = false, closed_stop_ = false;
  bool commanded_ = false;
};

}  // namespace gpio2mqtt::bridge

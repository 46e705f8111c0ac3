// Interlocked outputs, with time passed in: of each group at most one output is on at any instant
// (a shutter's up and down, a motor's directions), and after one goes off another comes on only
// once the group's dead time has passed.
//
// Switching one on first switches the others off, then waits out the dead time; a newer ON for the
// group during the wait replaces the one held, an OFF for the held line cancels it. The machine
// says what to drive; the caller drives it and tells driven() what the lines really did, so a
// write that failed is never taken for an output that went off.
#pragma once

#include <cstddef>
#include <optional>
#include <vector>

#include "gpio2mqtt/util/clock.h"

namespace gpio2mqtt::bridge {

class Interlock {
 public:
  struct Group {
    std::vector<std::size_t> lines;  // the caller's line indices
    Nanos dead_time{0};
  };
  struct Switch {
    std::size_t line;
    bool active;
    bool operator==(const Switch&) const = default;
  };

  Interlock() = default;
  explicit Interlock(std::vector<Group> groups);

  bool interlocked(std::size_t line) const { return group_of(line) != nullptr; }
  // `line` is wanted `active` at `now`: what to drive now, in order (offs first). An ON that must
  // wait is held and comes out of on_time(). A line in no group is driven as asked.
  std::vector<Switch> request(std::size_t line, bool active, MonoTime now);
  // What the caller drove: `line` is now `active` (since `now`, when the write was done). An OFF
  // moves a held ON of its group to `now` + the dead time if that is later.
  void driven(std::size_t line, bool active, MonoTime now);
  // The level of a line the caller found (at start, after a reload), and when it last went off
  // if known; nothing is held any more for it.
  void adopt(std::size_t line, bool active, std::optional<MonoTime> went_off = std::nullopt);
  // True when `line` may go on at `now`: no other of its group on, the dead time over.
  bool clear_to_switch_on(std::size_t line, MonoTime now) const;
  // The held ONs that are due at `now`, no longer held.
  std::vector<Switch> on_time(MonoTime now);
  std::optional<MonoTime> deadline() const;
  bool held(std::size_t line) const;
  // The other lines of `line`'s group (none when it is in no group).
  std::vector<std::size_t> others(std::size_t line) const;
  // Drops every held ON (the broker went away, or the service stops).
  void cancel_held();

 private:
  struct Member {
    std::size_t line;
    bool on = false;
    std::optional<MonoTime> went_off{};
  };
  struct State {
    std::vector<Member> members;
    Nanos dead_time{0};
    std::optional<std::size_t> held;  // the line waiting to go on
    MonoTime due{};
  };
  State* group_of(std::size_t line);
  const State* group_of(std::size_t line) const;
  Member* member(std::size_t line);
  // When `line` may go on, given the others' levels and off times (an on one counts as off now).
  MonoTime earliest_on(const State& group, std::size_t line, MonoTime now) const;

  std::vector<State> groups_;
};

}  // namespace gpio2mqtt::bridge

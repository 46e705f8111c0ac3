#include "gpio2mqtt/bridge/interlock.h"

#include <algorithm>
#include <utility>

namespace gpio2mqtt::bridge {

Interlock::Interlock(std::vector<Group> groups) {
  for (auto& group : groups) {
    State state;
    state.dead_time = group.dead_time;
    for (std::size_t line : group.lines) state.members.push_back({line, false, std::nullopt});
    groups_.push_back(std::move(state));
  }
}

const Interlock::State* Interlock::group_of(std::size_t line) const {
  for (const State& group : groups_)
    for (const Member& m : group.members)
      if (m.line == line) return &group;
  return nullptr;
}

Interlock::State* Interlock::group_of(std::size_t line) {
  return const_cast<State*>(std::as_const(*this).group_of(line));
}

Interlock::Member* Interlock::member(std::size_t line) {
  State* group = group_of(line);
  if (!group) return nullptr;
  return &*std::find_if(group->members.begin(), group->members.end(), [&](const Member& m) { return m.line == line; });
}

MonoTime Interlock::earliest_on(const State& group, std::size_t line, MonoTime now) const {
  MonoTime earliest = now;
  for (const Member& m : group.members) {
    if (m.line == line) continue;
    if (m.on) earliest = std::max(earliest, now + group.dead_time);
    else if (m.went_off) earliest = std::max(earliest, *m.went_off + group.dead_time);
  }
  return earliest;
}

std::vector<Interlock::Switch> Interlock::request(std::size_t line, bool active, MonoTime now) {
  State* group = group_of(line);
  if (!group) return {{line, active}};
  if (!active) {
    if (group->held == line) group->held.reset();
    return {{line, false}};
  }
  group->held.reset();  // a newer ON replaces the one held
  if (member(line)->on) return {{line, true}};
  std::vector<Switch> out;
  for (const Member& m : group->members)
    if (m.line != line && m.on) out.push_back({m.line, false});
  MonoTime due = earliest_on(*group, line, now);
  if (due <= now) {
    out.push_back({line, true});
  } else {
    group->held = line;
    group->due = due;
  }
  return out;
}

void Interlock::driven(std::size_t line, bool active, MonoTime now) {
  Member* m = member(line);
  if (!m) return;
  if (!active && m->on) {
    m->went_off = now;
    // request() held the ON until its own time + the dead time, before this OFF was written:
    // the dead time counts from the OFF.
    State* group = group_of(line);
    if (group->held) group->due = std::max(group->due, now + group->dead_time);
  }
  m->on = active;
}

void Interlock::adopt(std::size_t line, bool active, std::optional<MonoTime> went_off) {
  Member* m = member(line);
  if (!m) return;
  m->on = active;
  m->went_off = went_off;
  State* group = group_of(line);
  if (group->held == line) group->held.reset();
}

bool Interlock::clear_to_switch_on(std::size_t line, MonoTime now) const {
  const State* group = group_of(line);
  if (!group) return true;
  bool already_on = false;
  for (const Member& m : group->members) {
    if (m.line != line && m.on) return false;
    if (m.line == line) already_on = m.on;
  }
  // One that is on may stay on (a pulse started again): the dead time is for a switch-over.
  return already_on || earliest_on(*group, line, now) <= now;
}

std::vector<Interlock::Switch> Interlock::on_time(MonoTime now) {
  std::vector<Switch> out;
  for (State& group : groups_) {
    if (!group.held || group.due > now) continue;
    out.push_back({*group.held, true});
    group.held.reset();
  }
  return out;
}

std::optional<MonoTime> Interlock::deadline() const {
  std::optional<MonoTime> next;
  for (const State& group : groups_)
    if (group.held && (!next || group.due < *next)) next = group.due;
  return next;
}

bool Interlock::held(std::size_t line) const {
  const State* group = group_of(line);
  return group && group->held == line;
}

std::vector<std::size_t> Interlock::others(std::size_t line) const {
  std::vector<std::size_t> out;
  if (const State* group = group_of(line))
    for (const Member& m : group->members)
      if (m.line != line) out.push_back(m.line);
  return out;
}

void Interlock::cancel_held() {
  for (State& group : groups_) group.held.reset();
}

}  // namespace gpio2mqtt::bridge

#include "gpio2mqtt/bridge/cover.h"

#include <algorithm>
#include <charconv>
#include <cmath>

#include "util/text.h"

namespace gpio2mqtt::bridge {
namespace {

bool equals_word(std::string_view payload, std::string_view word) {
  return payload.size() == word.size() && std::equal(payload.begin(), payload.end(), word.begin(), [](char a, char b) {
           return std::tolower(static_cast<unsigned char>(a)) == b;
         });
}

CoverMotion opposite(CoverMotion motion) {
  return motion == CoverMotion::kOpening ? CoverMotion::kClosing : CoverMotion::kOpening;
}

double end_of(CoverMotion motion) { return motion == CoverMotion::kOpening ? 100 : 0; }

}  // namespace

std::optional<CoverCommand> parse_cover_command(std::string_view payload) {
  if (equals_word(payload, "open")) return CoverCommand{CoverCommand::Kind::kOpen};
  if (equals_word(payload, "close")) return CoverCommand{CoverCommand::Kind::kClose};
  if (equals_word(payload, "stop")) return CoverCommand{CoverCommand::Kind::kStop};
  double value = 0;
  auto [end, error] = std::from_chars(payload.data(), payload.data() + payload.size(), value);
  if (payload.empty() || error != std::errc() || end != payload.data() + payload.size() || !(value >= 0) || value > 100)
    return std::nullopt;
  return CoverCommand{CoverCommand::Kind::kPosition, value};
}

Nanos Cover::travel(CoverMotion motion) const {
  return motion == CoverMotion::kOpening ? settings_.open_time : settings_.close_time;
}

bool Cover::at_end(CoverMotion motion) const {
  return (motion == CoverMotion::kOpening && opened_stop_) || (motion == CoverMotion::kClosing && closed_stop_);
}

bool Cover::there(CoverMotion motion, MonoTime now) const {
  if (at_end(motion)) return true;
  // Still at the end it went to: no run again (a shutter's motor would press on its own limit).
  return motion_ == CoverMotion::kStopped && position(now) == end_of(motion);
}

void Cover::restore(std::optional<double> position, MonoTime now) {
  if (position) position = std::clamp(*position, 0.0, 100.0);
  position_ = position;
  motion_ = wanted_ = CoverMotion::kStopped;
  target_.reset();
  quiet_since_ = now;
  next_.reset();
  if (position && *position <= 0) next_ = CoverMotion::kOpening;
  if (position && *position >= 100) next_ = CoverMotion::kClosing;
}

std::optional<double> Cover::position(MonoTime now) const {
  if (!position_ || motion_ == CoverMotion::kStopped) return position_;
  double moved = 100.0 * std::chrono::duration<double>(now - run_start_).count() /
                 std::chrono::duration<double>(travel(motion_)).count();
  double p = motion_ == CoverMotion::kOpening ? *position_ + moved : *position_ - moved;
  return std::clamp(p, 0.0, 100.0);
}

std::string Cover::state_word(MonoTime now) const {
  if (motion_ == CoverMotion::kOpening) return "opening";
  if (motion_ == CoverMotion::kClosing) return "closing";
  auto p = position(now);
  if (p && *p >= 100) return "open";
  if (p && *p <= 0) return "closed";
  return "stopped";
}

bool Cover::busy() const { return press_end_.has_value() || motion_ != wanted_; }

void Cover::on_end_stop(bool opened_stop, bool active, MonoTime at) {
  (opened_stop ? opened_stop_ : closed_stop_) = active;
  CoverMotion towards = opened_stop ? CoverMotion::kOpening : CoverMotion::kClosing;
  if (!active) {
    // A door that leaves its end while we run nothing was started by someone else (its remote):
    // followed, so that the next press is known to stop it.
    if (settings_.one_button && motion_ == CoverMotion::kStopped && !press_end_) {
      position_ = end_of(towards);
      motion_ = wanted_ = opposite(towards);
      commanded_ = false;
      to_end_ = true;  // it runs to the other end, where its operator stops it
      target_.reset();
      run_start_ = at;
      run_end_ = at + travel(motion_) + settings_.margin;
      next_.reset();
    }
    return;
  }
  if (motion_ == towards) {  // arrived
    if (!settings_.one_button && !drive_.motor(CoverMotion::kStopped, at)) failed(at);
    motion_ = wanted_ = CoverMotion::kStopped;
    quiet_since_ = std::max(quiet_since_, drive_.quiet_since(at));
    target_.reset();
  } else if (motion_ != CoverMotion::kStopped) {
    return;  // running away from it: the stop is wired to the other end, or it bounced
  }
  if (wanted_ == towards) wanted_ = CoverMotion::kStopped;  // waiting to go where it is
  position_ = end_of(towards);
  next_ = opposite(towards);
}

std::string Cover::command(const CoverCommand& command, MonoTime now) {
  using Kind = CoverCommand::Kind;
  target_.reset();
  switch (command.kind) {
    case Kind::kStop:
      wanted_ = CoverMotion::kStopped;
      break;
    case Kind::kOpen:
      wanted_ = there(CoverMotion::kOpening, now) ? CoverMotion::kStopped : CoverMotion::kOpening;
      break;
    case Kind::kClose:
      wanted_ = there(CoverMotion::kClosing, now) ? CoverMotion::kStopped : CoverMotion::kClosing;
      break;
    case Kind::kPosition: {
      auto now_at = position(now);
      if (command.position >= 100) return this->command({Kind::kOpen}, now);
      if (command.position <= 0) return this->command({Kind::kClose}, now);
      if (!now_at) return "its position is unknown: send OPEN or CLOSE first";
      if (std::abs(command.position - *now_at) < 0.5) {
        wanted_ = CoverMotion::kStopped;
        break;
      }
      wanted_ = command.position > *now_at ? CoverMotion::kOpening : CoverMotion::kClosing;
      target_ = command.position;
      break;
    }
  }
  if (motion_ != CoverMotion::kStopped && motion_ == wanted_) {  // on its way: a new end
    to_end_ = !target_;
    run_end_ = end_of_run();
  }
  on_time(now);
  return {};
}

MonoTime Cover::end_of_run() const {
  // The limit: the full travel and the margin, whatever the position says.
  MonoTime limit = run_start_ + travel(motion_) + settings_.margin;
  if (!position_) return limit;
  double to = to_end_ || !target_ ? end_of(motion_) : *target_;
  auto run = std::chrono::duration_cast<Nanos>(travel(motion_) * (std::abs(to - *position_) / 100.0));
  if (to_end_) run += settings_.margin;  // re-calibrates at the end
  return std::min(limit, run_start_ + run);
}

void Cover::start_run(CoverMotion motion, MonoTime now) {
  motion_ = motion;
  commanded_ = true;
  run_start_ = now;
  // A one-button operator started the other way than wanted runs until the next press stops it.
  to_end_ = !target_ || motion != wanted_;
  run_end_ = end_of_run();
}

void Cover::stopped(MonoTime now) {
  position_ = position(now);
  motion_ = CoverMotion::kStopped;
  quiet_since_ = drive_.quiet_since(now);  // after the stop's writes: from when they were done
}

void Cover::failed(MonoTime now) {
  // Whatever failed, nothing of this cover may stay on: both directions off, the button released.
  if (settings_.one_button) drive_.button(false, now);
  else drive_.motor(CoverMotion::kStopped, now);
  press_end_.reset();
  stopped(now);
  wanted_ = CoverMotion::kStopped;
  target_.reset();
}

void Cover::step(MonoTime now) {
  if (press_end_ || motion_ == wanted_) return;
  if (!settings_.one_button && motion_ != CoverMotion::kStopped) {  // a stop is never delayed
    bool ok = drive_.motor(CoverMotion::kStopped, now);
    stopped(now);
    if (!ok) return failed(now);
    if (wanted_ == CoverMotion::kStopped) return;
  }
  if (now < quiet_since_ + settings_.dead_time) return;  // deadline() comes back
  if (motion_ == CoverMotion::kStopped && at_end(wanted_)) {
    wanted_ = CoverMotion::kStopped;
    return;
  }
  if (!settings_.one_button) {
    if (!drive_.motor(wanted_, now)) return failed(now);
    start_run(wanted_, now);
    return;
  }
  // One press: it stops a running door, or starts a stopped one where the operator goes next.
  if (!drive_.button(true, now)) return failed(now);
  press_end_ = now + settings_.press;
  if (motion_ != CoverMotion::kStopped) {
    next_ = opposite(motion_);
    stopped(now);
  } else {
    // Unknown: taken to go where it is asked; an end stop or the next full travel tells.
    start_run(next_.value_or(wanted_), now);
    next_.reset();
  }
}

void Cover::on_time(MonoTime now) {
  if (press_end_ && now >= *press_end_) {
    press_end_.reset();
    if (!drive_.button(false, now)) failed(now);
    quiet_since_ = drive_.quiet_since(now);
  }
  if (motion_ != CoverMotion::kStopped && now >= run_end_) end_run(now);
  step(now);
}

void Cover::end_run(MonoTime now) {
  CoverMotion was = motion_;
  if (wanted_ == was) wanted_ = CoverMotion::kStopped;
  if (now >= run_start_ + travel(was) + settings_.margin) to_end_ = true;  // the limit: at the end, whatever
  if (to_end_) {
    // At the end, after the full travel wherever it started: calibrated.
    if (settings_.one_button) {  // the operator stopped by itself
      motion_ = CoverMotion::kStopped;
      quiet_since_ = std::max(quiet_since_, now);
      next_ = opposite(was);
    } else {
      bool ok = drive_.motor(CoverMotion::kStopped, now);
      stopped(now);
      if (!ok) failed(now);
    }
    position_ = end_of(was);
    target_.reset();
    return;
  }
  if (!settings_.one_button) {
    bool ok = drive_.motor(CoverMotion::kStopped, now);
    stopped(now);
    if (!ok) return failed(now);
    position_ = target_;
    target_.reset();
    return;
  }
  // At its target: the next press (once the dead time allows) stops it; until then it runs on,
  // and its own end stops it if the press cannot come.
  to_end_ = true;
  run_end_ = run_start_ + travel(was) + settings_.margin;
}

std::optional<MonoTime> Cover::deadline() const {
  std::optional<MonoTime> next;
  auto consider = [&](MonoTime t) {
    if (!next || t < *next) next = t;
  };
  if (press_end_) consider(*press_end_);
  if (motion_ != CoverMotion::kStopped) consider(run_end_);
  if (!press_end_ && motion_ != wanted_) consider(quiet_since_ + settings_.dead_time);
  return next;
}

void Cover::halt(MonoTime now) {
  wanted_ = CoverMotion::kStopped;
  target_.reset();
  if (settings_.one_button) {
    // Never a press: only the press under way ends. The door runs on to its end or target.
    if (press_end_) {
      press_end_.reset();
      if (!drive_.button(false, now)) failed(now);
      quiet_since_ = drive_.quiet_since(now);
    }
    return;
  }
  if (motion_ == CoverMotion::kStopped) return;
  bool ok = drive_.motor(CoverMotion::kStopped, now);
  stopped(now);
  if (!ok) failed(now);
}

}  // namespace gpio2mqtt::bridge

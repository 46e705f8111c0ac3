#include "gpio2mqtt/bridge/counter.h"

#include <fmt/format.h>

#include <charconv>
#include <cmath>
#include <limits>

namespace gpio2mqtt::bridge {

std::variant<CounterCommand, std::string> parse_counter_command(std::string_view payload) {
  while (!payload.empty() && (payload.back() == '\n' || payload.back() == '\r' || payload.back() == ' '))
    payload.remove_suffix(1);
  while (!payload.empty() && payload.front() == ' ') payload.remove_prefix(1);
  if (payload == "reset" || payload == "RESET") return CounterCommand{0, true};
  double total = 0;
  auto [end, error] = std::from_chars(payload.data(), payload.data() + payload.size(), total);
  if (payload.empty() || error != std::errc() || end != payload.data() + payload.size())
    return std::string("expected a total (a number like 12345.6) or 'reset'");
  if (!std::isfinite(total) || total < 0) return std::string("a total must be a finite number of at least 0");
  return CounterCommand{total, false};
}

std::string counter_state_file(const std::string& directory, const std::string& line_name) {
  return directory + "/counter-" + line_name + ".state";
}

std::string format_number(double value) {
  std::string text = fmt::format("{:.6f}", value);
  while (text.back() == '0') text.pop_back();
  if (text.back() == '.') text.pop_back();
  return text == "-0" ? "0" : text;
}

Counter::Counter(CounterSettings settings, std::uint64_t count, bool level)
    : settings_(settings), count_(count), stable_(level), persisted_(count) {}

void Counter::on_edge(bool level, MonoTime timestamp, std::uint32_t dropped_before) {
  if (settings_.counted_edges_only) return commit(level, timestamp, dropped_before);
  settle(timestamp);
  if (level == stable_) {
    pending_level_.reset();  // a glitch ended before it held
    return;
  }
  if (settings_.debounce.count() == 0) return commit(level, timestamp);
  // A repeated level (an edge between was lost) starts over: never count on a guess.
  pending_level_ = level;
  pending_since_ = timestamp;
}

void Counter::settle(MonoTime now) {
  if (pending_level_ && now - pending_since_ >= settings_.debounce) {
    bool level = *pending_level_;
    pending_level_.reset();
    commit(level, pending_since_);
  }
}

void Counter::commit(bool level, MonoTime since, std::uint32_t dropped_before) {
  stable_ = level;
  if (!(level ? settings_.count_rising : settings_.count_falling)) return;
  count_ += 1 + dropped_before;
  // The pulses dropped came between the last one seen and this one.
  interval_ = last_pulse_ && since > *last_pulse_ ? (since - *last_pulse_) / (1 + dropped_before) : Nanos(0);
  last_pulse_ = since;
}

void Counter::on_time(MonoTime now) {
  settle(now);
  if (last_pulse_ && interval_.count() > 0 && now - *last_pulse_ >= settings_.rate_timeout) interval_ = Nanos(0);
}

std::optional<MonoTime> Counter::deadline() const {
  std::optional<MonoTime> next;
  auto consider = [&](MonoTime t) {
    if (!next || t < *next) next = t;
  };
  if (pending_level_) consider(pending_since_ + settings_.debounce);
  if (last_pulse_ && interval_.count() > 0) consider(*last_pulse_ + settings_.rate_timeout);
  return next;
}

std::optional<MonoTime> Counter::publish_deadline() const {
  if (published_ && *published_ == reading()) return std::nullopt;
  return published_at_ ? *published_at_ + settings_.publish_interval : MonoTime{};
}

std::optional<MonoTime> Counter::persist_deadline() const {
  if (count_ == persisted_) return std::nullopt;
  return persisted_at_ ? *persisted_at_ + settings_.persist_every : MonoTime{};
}

CounterReading Counter::reading() const {
  CounterReading r;
  r.count = count_;
  r.total = static_cast<double>(count_) / settings_.pulses_per_unit;
  if (interval_.count() > 0)
    r.rate = 3600.0 / std::chrono::duration<double>(interval_).count() / settings_.pulses_per_unit;
  return r;
}

std::optional<CounterReading> Counter::take_reading(MonoTime now) {
  CounterReading r = reading();
  if (published_ && *published_ == r) return std::nullopt;
  if (published_at_ && now < *published_at_ + settings_.publish_interval) return std::nullopt;
  published_ = r;
  published_at_ = now;
  return r;
}

CounterReading Counter::take_reading_now(MonoTime now) {
  published_ = reading();
  published_at_ = now;
  return *published_;
}

std::optional<std::uint64_t> Counter::take_persist(MonoTime now) {
  if (count_ == persisted_) return std::nullopt;
  if (persisted_at_ && now < *persisted_at_ + settings_.persist_every) return std::nullopt;
  persisted_at_ = now;
  return persisted_ = count_;
}

std::optional<std::uint64_t> Counter::take_unpersisted() {
  if (count_ == persisted_) return std::nullopt;
  return persisted_ = count_;
}

void Counter::set_total(double total) {
  double pulses = std::round(std::max(0.0, total) * settings_.pulses_per_unit);
  set_count(pulses >= static_cast<double>(std::numeric_limits<std::uint64_t>::max())
                ? std::numeric_limits<std::uint64_t>::max()
                : static_cast<std::uint64_t>(pulses));
}

void Counter::set_count(std::uint64_t count) {
  count_ = count;
  interval_ = Nanos(0);  // the rate restarts from the next two pulses
  last_pulse_.reset();
}

void Counter::reset_level(bool level) {
  stable_ = level;
  pending_level_.reset();
}

}  // namespace gpio2mqtt::bridge

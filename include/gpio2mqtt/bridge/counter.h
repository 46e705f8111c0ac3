// A pulse counter (an input in `mode: counter`): S0 outputs of electricity meters, reed contacts
// of water and gas meters. Time is passed in; edges carry the kernel's timestamps.
//
// Debounce means "the level must hold this long": a change of level becomes the line's stable
// level only once no edge undid it within `debounce` (seen from the next edge's timestamp or from
// the time passed to on_time()). A pulse is a stable change to the counted level, so bounces and
// glitches shorter than the debounce, on either level, never count. The rate comes from the time
// between the last two pulses and falls to 0 once `rate_timeout` passed without one.
// Readings go out on change, at most once per `publish_interval`; the count is handed to the
// store at most once per `persist_every` (and whenever the caller flushes it).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <variant>

#include "gpio2mqtt/config/config.h"
#include "gpio2mqtt/util/clock.h"

namespace gpio2mqtt::bridge {

// The config's counter settings (pulses_per_unit, rate_timeout, publish_interval, persist_every;
// defaults there), and what the line's other keys make of them.
struct CounterSettings : config::CounterConfig {
  Nanos debounce{0};          // 0 where the kernel debounces
  bool count_rising = false;  // which stable changes are pulses (both: an S0 counts one of them)
  bool count_falling = true;
  // The kernel reports only the counted edges (config::LineConfig::kernel_edges): each is a pulse,
  // though two in a row have the same direction.
  bool counted_edges_only = false;
};

struct CounterReading {
  std::uint64_t count = 0;
  double total = 0;  // count / pulses_per_unit
  double rate = 0;   // units per hour
  bool operator==(const CounterReading&) const = default;
};

// What a `set` payload asks of a counter: a total in units, or `reset` (a total of 0).
struct CounterCommand {
  double total = 0;
  bool reset = false;
};
// A number (the total to align with the meter's display) or `reset`; otherwise an error text.
std::variant<CounterCommand, std::string> parse_counter_command(std::string_view payload);
// Where a counter's count lives in the state directory (the store adds .prev and .new to it).
std::string counter_state_file(const std::string& directory, const std::string& line_name);
// Numbers as the topics carry them: plain, at most 6 decimals, no trailing zeros ("12.5", "0").
std::string format_number(double value);

// Where counters keep their counts across restarts, keyed by the line's name. An implementation
// handles its own I/O errors (logs them, counts them): the bridge never fails because of it.
class CounterStore {
 public:
  virtual ~CounterStore() = default;
  // The count last saved for `name`; 0 when none was ever saved (a damaged store says so itself).
  virtual std::uint64_t load(const std::string& name) = 0;
  virtual void save(const std::string& name, std::uint64_t count) = 0;
};

class Counter {
 public:
  // `count` as the store kept it; `level` the line's level now.
  Counter(CounterSettings settings, std::uint64_t count, bool level);

  // An edge of the line to `level` at the kernel's `timestamp`. `dropped_before`: events of the
  // line lost just before it (a queue was full; gpio::EdgeEvent::lost_before). Where the kernel
  // reports only counted edges each of those was a pulse, and is counted; otherwise they are
  // guesses at edges of unknown direction, and none is counted.
  void on_edge(bool level, MonoTime timestamp, std::uint32_t dropped_before = 0);
  // Settles a change that held long enough, ends a rate that timed out.
  void on_time(MonoTime now);
  // When on_time() next has something to do.
  std::optional<MonoTime> deadline() const;
  // When take_reading() and take_persist() next have something to give (now or in the past when
  // they have it already).
  std::optional<MonoTime> publish_deadline() const;
  std::optional<MonoTime> persist_deadline() const;

  // The reading to publish at `now`: when it changed and the last one is `publish_interval` old.
  std::optional<CounterReading> take_reading(MonoTime now);
  // The reading now, counted as published (after a connect, at a clean stop).
  CounterReading take_reading_now(MonoTime now);
  // The count to store at `now`: when it changed and the last store is `persist_every` old.
  std::optional<std::uint64_t> take_persist(MonoTime now);
  // The count when it changed since it was last stored, whatever the time (a clean stop, a set).
  std::optional<std::uint64_t> take_unpersisted();

  // Sets the count from a total in units (rounded to whole pulses; negative totals are 0).
  void set_total(double total);
  void set_count(std::uint64_t count);
  // The level was read directly (start-up, lines reopened): adopt it without counting.
  void reset_level(bool level);
  void set_settings(const CounterSettings& settings) { settings_ = settings; }

  CounterReading reading() const;
  std::uint64_t count() const { return count_; }

 private:
  void settle(MonoTime now);
  void commit(bool level, MonoTime since, std::uint32_t dropped_before = 0);

  CounterSettings settings_;
  std::uint64_t count_;
  bool stable_;
  std::optional<bool> pending_level_;  // a change waiting to hold for the debounce
  MonoTime pending_since_{};
  std::optional<MonoTime> last_pulse_;
  Nanos interval_{0};  // between the last two pulses; 0: no rate
  std::optional<CounterReading> published_;
  std::optional<MonoTime> published_at_;
  std::uint64_t persisted_;
  std::optional<MonoTime> persisted_at_;
};

}  // namespace gpio2mqtt::bridge

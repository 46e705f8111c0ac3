// The outputs as one: drives them through their interlock groups (of each at most one on at any
// instant, a dead time between one going off and another coming on; bridge/interlock.h), keeps
// their levels and when each last went off, and tells the mode that owns a line what happened to
// it. Every path that switches an output (a command, a pulse's end, a local action, on_disconnect,
// a reload) goes through here.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "gpio2mqtt/bridge/interlock.h"
#include "gpio2mqtt/bridge/reload_plan.h"
#include "gpio2mqtt/config/config.h"
#include "gpio2mqtt/counters.h"
#include "gpio2mqtt/util/clock.h"

namespace gpio2mqtt::bridge {

// The configured lines, by their index in Config::lines, then the software PWM outputs' lines (in
// their order in Config::pwm). May throw gpio::GpioError.
class LinePort {
 public:
  virtual ~LinePort() = default;
  virtual bool read(std::size_t line) = 0;
  // Sets the line; `now` is the caller's time before the write. Returns the time just after the
  // write, on the caller's clock and no earlier than `now`: an interlock's dead time counts from an
  // OFF on the line, and the write itself can take a while (~70 µs under TSan).
  virtual MonoTime write(std::size_t line, bool active, MonoTime now) = 0;
};

class Switchboard {
 public:
  // What the mode that owns an output gives the switchboard.
  class Output {
   public:
    virtual ~Output() = default;
    // The line was driven, a write failed or an ON was refused: its state goes out.
    virtual void on_driven() = 0;
    // A newer ON of its group won: a pulse it runs is over.
    virtual void cancel_pulse() = 0;
    // The line went on as asked (after a dead time, perhaps): a pulse waiting for that starts.
    virtual void start_pending_pulse(MonoTime now) = 0;
  };

  Switchboard(LinePort& port, Counters& counters) : port_(port), counters_(counters) {}

  // The outputs of `config` from now on, every line off and owned by nobody; interlock groups as
  // configured. Throws nothing: the loader checked the groups.
  void configure(const config::Config& config);
  void attach(std::size_t line, Output& output);
  // The level of a line found by reading it (start, a line requested anew), and when it last went
  // off if known; nothing is held any more for it.
  void adopt(std::size_t line, bool active, std::optional<MonoTime> went_off = std::nullopt);

  // Drives `line` through its interlock; a pulse waiting for the line starts once it is there.
  // Returns an error text, empty on success.
  std::string switch_to(std::size_t line, bool active, MonoTime now);
  // Drives `line` at once; refuses an ON while its interlock is not clear. Returns an error text.
  std::string drive(std::size_t line, bool active, MonoTime now);
  // Switch-ons whose dead time is over.
  void on_time(MonoTime now);
  std::optional<MonoTime> deadline() const { return interlock_.deadline(); }
  // Drops every switch-on waiting for a dead time (the service stops).
  void cancel_held() { interlock_.cancel_held(); }

  bool level(std::size_t line) const { return lines_.at(line).level; }
  // When the line last went off (the port's stamp after the write), if it did.
  std::optional<MonoTime> went_off(std::size_t line) const { return lines_.at(line).went_off; }
  bool held(std::size_t line) const { return interlock_.held(line); }
  bool interlocked(std::size_t line) const { return interlock_.interlocked(line); }
  // Every line's level and last switch-off, for the next reload's plan.
  std::vector<RunningLine> running() const;

 private:
  struct Line {
    std::string name;
    Output* output = nullptr;
    bool level = false;
    std::optional<MonoTime> went_off{};
    std::uint64_t failed_writes = 0;  // in a row, since its last good write
  };
  void driven(Line& line);
  // Says a failed write at the first and then at powers of two in a row (a software PWM writes
  // ten times a second), and once the line takes writes again.
  void report_failure(Line& line, const std::string& error);

  LinePort& port_;
  Counters& counters_;
  std::vector<Line> lines_;
  Interlock interlock_;
};

}  // namespace gpio2mqtt::bridge

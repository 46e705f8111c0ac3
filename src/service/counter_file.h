// Counters' counts kept in files in the state directory (systemd's StateDirectory,
// /var/lib/gpio2mqtt), so that totals survive restarts and power cuts.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "gpio2mqtt/bridge/counter.h"

namespace gpio2mqtt::service {

// One file per counter, `counter-<line name>.state`, holding one line
//   "gpio2mqtt counter 1 <count> <check>\n"
// where <check> is a hash of what precedes it, so a cut or damaged file is recognised. A save
// writes `.state.new`, syncs it, keeps the current file as `.state.prev` (the previous
// generation) and renames the new one in its place, then syncs the directory. A load that finds
// the current file missing, cut or damaged warns and takes the previous generation; if that is
// bad too, it says so loudly and starts from 0. Files of counters no longer configured stay.
//
// The same files keep other numbers that must survive restarts (a PWM output's level): their
// kind names them in the file name, the file's first words and messages.
struct StoredNumberKind {
  std::string name = "counter";                              // <name>-<line>.state, "gpio2mqtt <name> 1 ..."
  std::string unit = "pulses";                               // in messages: "cannot save 12 pulses"
  std::string after_loss = "set the total with <line>/set";  // what to do when a count is lost
};

class CounterFile : public bridge::CounterStore {
 public:
  using Kind = StoredNumberKind;
  // Creates the directory if missing; throws std::runtime_error when it cannot.
  explicit CounterFile(std::string directory, Kind kind = {});

  std::uint64_t load(const std::string& name) override;
  void save(const std::string& name, std::uint64_t count) override;

  std::string path(const std::string& name) const;
  // Saves that failed (each logged); the count carries on in memory.
  std::uint64_t errors() const { return errors_; }

  // The file's text for `count`, and the count a text holds (nullopt when cut or damaged).
  static std::string format(std::uint64_t count, std::string_view kind = "counter");
  static std::optional<std::uint64_t> parse(const std::string& text, std::string_view kind = "counter");

 private:
  // nullopt with `problem` set when the file is missing or bad.
  std::optional<std::uint64_t> read(const std::string& file, std::string& problem) const;

  std::string directory_;
  Kind kind_;
  std::uint64_t errors_ = 0;
};

}  // namespace gpio2mqtt::service

#include "gpio2mqtt/bridge/switchboard.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <bit>

#include "gpio2mqtt/bridge/command.h"

namespace gpio2mqtt::bridge {

void Switchboard::configure(const config::Config& config) {
  lines_.clear();
  for (const auto& line : config.lines) lines_.push_back({line.name});
  // The software PWM outputs' lines, after the configured ones as the LineSet requests them: their
  // switching goes through here too.
  for (const auto& output : config.pwm)
    if (output.kind == config::PwmOutputConfig::Kind::kSoftware) lines_.push_back({output.name});
  std::vector<Interlock::Group> groups;
  for (const auto& group : config.interlocks) {
    Interlock::Group& g = groups.emplace_back();
    g.dead_time = group.dead_time;
    for (const auto& name : group.lines) {
      auto it = std::find_if(config.lines.begin(), config.lines.end(), [&](const auto& l) { return l.name == name; });
      g.lines.push_back(static_cast<std::size_t>(it - config.lines.begin()));
    }
  }
  interlock_ = Interlock(std::move(groups));
}

void Switchboard::attach(std::size_t line, Output& output) { lines_.at(line).output = &output; }

void Switchboard::adopt(std::size_t index, bool active, std::optional<MonoTime> went_off) {
  Line& line = lines_.at(index);
  line.level = active;
  line.went_off = went_off;
  interlock_.adopt(index, active, went_off);
}

void Switchboard::driven(Line& line) {
  if (line.output) line.output->on_driven();
}

std::string Switchboard::drive(std::size_t index, bool active, MonoTime now) {
  Line& line = lines_.at(index);
  std::string error;
  if (active && !interlock_.clear_to_switch_on(index, now)) {
    // Only after a write that failed to switch another of its group off.
    ++counters_.line_errors;
    error = "line '" + line.name + "': not switched on: another line of its interlock group is still on";
    spdlog::error("{}", error);
    driven(line);
    return error;
  }
  try {
    // The dead time after an OFF counts from when the line went off, after the write: from `now`,
    // read before it, the next ON came short of the dead time on the chip by the write's own time.
    MonoTime done = std::max(now, port_.write(index, active, now));
    if (line.level && !active) line.went_off = done;
    line.level = active;
    interlock_.driven(index, active, done);
    if (line.failed_writes != 0)
      spdlog::info("line '{}': set {} again, after {} failed write{}", line.name, state_word(active),
                   line.failed_writes, line.failed_writes == 1 ? "" : "s");
    line.failed_writes = 0;
  } catch (const std::exception& e) {
    error = "line '" + line.name + "': cannot set it " + state_word(active) + ": " + e.what();
    report_failure(line, error);
  }
  driven(line);
  return error;
}

void Switchboard::report_failure(Line& line, const std::string& error) {
  ++counters_.line_errors;
  ++line.failed_writes;
  if (!std::has_single_bit(line.failed_writes)) return;
  if (line.failed_writes == 1) spdlog::error("{}", error);
  else spdlog::error("{} ({} failed writes in a row)", error, line.failed_writes);
}

std::string Switchboard::switch_to(std::size_t index, bool active, MonoTime now) {
  // The newest ON of a group wins: a pulse another line of it runs (even one that holds it off
  // and would switch it back on) is over.
  if (active)
    for (std::size_t other : interlock_.others(index))
      if (lines_[other].output) lines_[other].output->cancel_pulse();
  std::string error;
  for (auto [line, level] : interlock_.request(index, active, now)) {
    std::string failed = drive(line, level, now);
    if (line == index && failed.empty() && lines_[line].output) lines_[line].output->start_pending_pulse(now);
    if (error.empty()) error = std::move(failed);
  }
  return error;
}

void Switchboard::on_time(MonoTime now) {
  for (auto [index, active] : interlock_.on_time(now))
    if (drive(index, active, now).empty() && lines_[index].output) lines_[index].output->start_pending_pulse(now);
}

std::vector<RunningLine> Switchboard::running() const {
  std::vector<RunningLine> out;
  for (const Line& line : lines_) out.push_back({line.level, line.went_off});
  return out;
}

}  // namespace gpio2mqtt::bridge

#include "gpio2mqtt/bridge/debounce.h"

namespace gpio2mqtt::bridge {

std::optional<Debouncer::Report> Debouncer::report(bool level, MonoTime timestamp, MonoTime window_start) {
  reported_ = level;
  if (period_.count() > 0) window_end_ = window_start + period_;
  return Report{level, timestamp};
}

std::optional<Debouncer::Report> Debouncer::on_edge(bool level, MonoTime timestamp) {
  seen_ = level;
  seen_at_ = timestamp;
  if (window_end_ && timestamp < *window_end_) return std::nullopt;
  window_end_.reset();
  if (level == reported_) return std::nullopt;
  return report(level, timestamp, timestamp);
}

std::optional<Debouncer::Report> Debouncer::on_time(MonoTime now) {
  if (!window_end_ || now < *window_end_) return std::nullopt;
  window_end_.reset();
  if (seen_ == reported_) return std::nullopt;
  // Reported with the time of the edge that made the level; a new period guards the report.
  return report(seen_, seen_at_, now);
}

}  // namespace gpio2mqtt::bridge

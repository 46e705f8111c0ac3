// The Bridge's command intake: what arrives on set and get topics, rate limits, refusals and
// what a command does to an output.
#include <spdlog/spdlog.h>

#include <tuple>
#include <utility>

#include "gpio2mqtt/bridge/bridge.h"
#include "util/text.h"

namespace gpio2mqtt::bridge {

using gpio::Direction;

std::string Bridge::drive(std::size_t index, bool active, MonoTime now) {
  Line& line = lines_[index];
  std::string error;
  if (active && !interlock_.clear_to_switch_on(index, now)) {
    // Only after a write that failed to switch another of its group off.
    ++counters_.line_errors;
    error = "line '" + line.config->name + "': not switched on: another line of its interlock group is still on";
    spdlog::error("{}", error);
    publish_state(line);
    return error;
  }
  try {
    port_.write(index, active);
    if (line.level && !active) line.went_off = now;
    line.level = active;
    interlock_.driven(index, active, now);
  } catch (const std::exception& e) {
    ++counters_.line_errors;
    error = "line '" + line.config->name + "': cannot set it " + state_word(active) + ": " + e.what();
    spdlog::error("{}", error);
  }
  publish_state(line);
  return error;
}

std::string Bridge::switch_to(std::size_t index, bool active, MonoTime now) {
  // The newest ON of a group wins: a pulse another line of it runs (even one that holds it off
  // and would switch it back on) is over.
  if (active)
    for (std::size_t other : interlock_.others(index)) {
      lines_[other].pulse_end.reset();
      lines_[other].pulse_length.reset();
    }
  std::string error;
  for (auto [line, level] : interlock_.request(index, active, now)) {
    std::string failed = drive(line, level, now);
    if (line == index && failed.empty()) start_pulse(line, now);
    if (error.empty()) error = std::move(failed);
  }
  return error;
}

void Bridge::start_pulse(std::size_t index, MonoTime now) {
  Line& line = lines_[index];
  if (line.pulse_length) line.pulse_end = now + *std::exchange(line.pulse_length, std::nullopt);
}

std::string Bridge::apply(std::size_t index, const Command& command, MonoTime now) {
  Line& line = lines_.at(index);
  if (line.config->direction != Direction::kOutput) return "line '" + line.config->name + "' is an input";
  bool on = line.level || interlock_.held(index);  // one waiting to go on is on to a TOGGLE
  bool target = command.kind == Command::Kind::kToggle ? !on : command.active;
  std::optional<Nanos> pulse;
  if (command.pulse) pulse = *command.pulse;
  // A pulse reverts to the level from before the first pulse, even when pulses overlap; a
  // momentary output always back to off.
  bool revert_to = line.pulse_end ? line.pulse_revert : line.level;
  if (line.config->momentary) {
    revert_to = false;
    if (target && !pulse) pulse = *line.config->momentary;
  }
  auto running = std::make_pair(line.pulse_end, line.pulse_revert);
  line.pulse_end.reset();
  line.pulse_length = pulse;
  line.pulse_revert = revert_to;
  std::string error = switch_to(index, target, now);
  if (!error.empty() && running.first && line.level) {
    // Refused (a write failed, an interlock): the pulse under way must still end, or a door opener
    // would stay on.
    std::tie(line.pulse_end, line.pulse_revert) = running;
    line.pulse_length.reset();
  }
  ++counters_.commands_applied;
  return error;
}

void Bridge::reject(Line& line, std::string_view topic, std::string_view payload, const std::string& why,
                    MonoTime now) {
  ++counters_.commands_rejected;
  if (!line.warnings.allow(now)) {  // a flood of them: summed up by report_flood()
    if (!line.flood_reported) line.flood_reported = now;
    ++line.flood_dropped;
    return;
  }
  // `why` quotes parts of the payload (a JSON key or value: bytes 0x7f-0xff pass the parser),
  // so it is escaped as well: invalid UTF-8 from the broker must not reach the journal raw.
  spdlog::warn("rejected command on {}: '{}': {}", printable(topic, 256), printable(payload), printable(why, 1024));
}

void Bridge::note_once(std::string_view topic, const std::string& why) {
  ++counters_.commands_rejected;
  if (noted_.size() > kMaxNoted || !noted_.emplace(topic).second) return;
  if (noted_.size() > kMaxNoted) spdlog::info("ignoring commands on more than {} topics; no more are named", kMaxNoted);
  else spdlog::info("ignoring {} (said once per topic): {}", printable(topic, 256), printable(why, 512));
}

std::string Bridge::why_not_a_command(std::string_view topic) const {
  std::string_view base = config_->mqtt.base_topic;
  if (topic.size() <= base.size() + 1 || topic.substr(0, base.size()) != base) return "not a command topic";
  std::string_view rest = topic.substr(base.size() + 1);
  std::string_view name = rest.substr(0, rest.find('/'));
  auto line = find(name);
  if (!line) return "no line '" + std::string(name) + "' is configured";
  return "line '" + std::string(name) + "' is an input: it takes get, not set";
}

bool Bridge::within_rate(Line& line, RateLimit& limit, MonoTime now) {
  if (limit.allow(now)) return true;
  ++counters_.commands_rejected;
  ++counters_.commands_rate_limited;
  if (!line.flood_reported) {  // the first drop at once; the rest summed up by report_flood()
    spdlog::warn("line {}: commands dropped, over {}/s (bursts of {})", line.config->name, kCommandRate, kCommandBurst);
    line.flood_reported = now;
  }
  ++line.flood_dropped;
  return false;
}

void Bridge::report_flood(Line& line, MonoTime now) {
  if (!line.flood_reported || now - *line.flood_reported < kFloodReportPeriod) return;
  if (line.flood_dropped) {
    spdlog::warn("line {}: {} commands dropped in the last {} s, over {}/s", line.config->name, line.flood_dropped,
                 std::chrono::duration_cast<std::chrono::seconds>(now - *line.flood_reported).count(), kCommandRate);
    line.flood_dropped = 0;
    line.flood_reported = now;
  } else {
    line.flood_reported.reset();  // a quiet period: the next flood is reported at once again
  }
}

void Bridge::on_message(std::string_view topic, std::string_view payload, bool retained, MonoTime now) {
  const auto& ha = config_->homeassistant;
  if (ha.discovery && topic == ha.status_topic) {
    // A retained birth is old news: every connect announces anyway.
    if (!retained) announcer_.on_status(payload, ha, now);
    return;
  }
  if (ha.discovery && topic == device_topic(ha)) {
    // The first is what was retained before we connected (the replay comes before our own echo,
    // which MQTT 3.1.1 sends too): a previous run's announcement.
    if (!std::exchange(read_back_, true) && announcer_.learn(payload, *config_)) {
      spdlog::info("Home Assistant: removing components of lines no longer configured");
      announce();
    }
    return;
  }
  auto it = commands_.find(std::string(topic));
  if (it == commands_.end()) return note_once(topic, why_not_a_command(topic));
  auto [index, kind] = it->second;
  Line& line = lines_[index];
  if (kind == TopicKind::kGet) {
    if (retained) return note_once(topic, "a retained get is never answered (publish it without retain)");
    if (!within_rate(line, line.gets, now)) return;
    if (line.counter) publish_reading(line, line.counter->take_reading_now(now));
    else publish_state(line);
    return;
  }
  if (retained)
    return reject(line, topic, payload, "retained commands are never acted on (publish without retain)", now);
  if (payload.size() > kMaxCommandPayload)
    return reject(line, topic, "", "payload over " + std::to_string(kMaxCommandPayload) + " bytes, dropped unread",
                  now);
  if (line.counter) {
    if (within_rate(line, line.sets, now)) on_counter_command(index, topic, payload, now);
    return;
  }
  auto parsed = parse_command(payload);
  if (auto* error = std::get_if<std::string>(&parsed)) return reject(line, topic, payload, *error, now);
  if (within_rate(line, line.sets, now)) apply(index, std::get<Command>(parsed), now);
}

}  // namespace gpio2mqtt::bridge

#include "bridge/command_intake.h"

#include <spdlog/spdlog.h>

#include "gpio2mqtt/bridge/bridge.h"
#include "gpio2mqtt/bridge/command.h"
#include "util/text.h"

namespace gpio2mqtt::bridge {

void CommandIntake::route(const std::vector<std::unique_ptr<LineMode>>& modes, const std::string& base_topic,
                          const std::vector<Extra>& extras) {
  base_topic_ = base_topic;
  topics_.clear();
  driven_by_.clear();
  std::unordered_map<std::string, Limits> limits;
  auto keep_limits = [&](const std::string& name) {
    if (auto kept = limits_.find(name); kept != limits_.end()) limits.emplace(name, std::move(kept->second));
    else limits.emplace(name, Limits{});
  };
  for (const auto& mode : modes) {
    const std::string& name = mode->settings().name;
    LineTopics topics = make_topics(base_topic, name);
    if (mode->takes_commands()) topics_[topics.set] = {mode.get(), TopicKind::kSet, name};
    if (!mode->settings().cover.empty()) driven_by_[name] = mode->settings().cover;
    topics_[topics.get] = {mode.get(), TopicKind::kGet, name};
    keep_limits(name);
  }
  for (const auto& extra : extras) {
    if (!extra.set_topic.empty()) topics_[extra.set_topic] = {extra.taker, TopicKind::kSet, extra.name};
    if (!extra.get_topic.empty()) topics_[extra.get_topic] = {extra.taker, TopicKind::kGet, extra.name};
    keep_limits(extra.name);
  }
  limits_ = std::move(limits);
}

void CommandIntake::on_message(std::string_view topic, std::string_view payload, bool retained, MonoTime now) {
  auto it = topics_.find(std::string(topic));
  if (it == topics_.end()) return note_once(topic, why_not_a_command(topic));
  auto& [mode, kind, line] = it->second;
  Limits& limits = limits_[line];
  if (kind == TopicKind::kGet) {
    if (retained) return note_once(topic, "a retained get is never answered (publish it without retain)");
    if (within_rate(line, limits, limits.gets, now)) mode->publish_state(now);
    return;
  }
  if (retained)
    return reject(limits, topic, payload, "retained commands are never acted on (publish without retain)", now);
  if (payload.size() > kMaxCommandPayload)
    return reject(limits, topic, "", "payload over " + std::to_string(kMaxCommandPayload) + " bytes, dropped unread",
                  now);
  if (auto refusal = mode->check_command(payload)) return reject(limits, topic, payload, *refusal, now);
  if (within_rate(line, limits, limits.sets, now)) mode->on_command(payload, now);
}

void CommandIntake::reject(Limits& limits, std::string_view topic, std::string_view payload, const std::string& why,
                           MonoTime now) {
  ++counters_.commands_rejected;
  if (!limits.warnings.allow(now)) {  // a flood of them: summed up by report_flood()
    if (!limits.flood_reported) limits.flood_reported = now;
    ++limits.flood_dropped;
    return;
  }
  // `why` quotes parts of the payload (a JSON key or value: bytes 0x7f-0xff pass the parser),
  // so it is escaped as well: invalid UTF-8 from the broker must not reach the journal raw.
  spdlog::warn("rejected command on {}: '{}': {}", printable(topic, 256), printable(payload), printable(why, 1024));
}

void CommandIntake::note_once(std::string_view topic, const std::string& why) {
  ++counters_.commands_rejected;
  if (noted_.size() > kMaxNoted || !noted_.emplace(topic).second) return;
  if (noted_.size() > kMaxNoted) spdlog::info("ignoring commands on more than {} topics; no more are named", kMaxNoted);
  else spdlog::info("ignoring {} (said once per topic): {}", printable(topic, 256), printable(why, 512));
}

std::string CommandIntake::why_not_a_command(std::string_view topic) const {
  std::string_view base = base_topic_;
  if (topic.size() <= base.size() + 1 || topic.substr(0, base.size()) != base) return "not a command topic";
  std::string_view rest = topic.substr(base.size() + 1);
  std::string name(rest.substr(0, rest.find('/')));
  if (name == "binding" && !limits_.contains(name)) return "no such binding is configured";
  if (!limits_.contains(name)) return "no line '" + name + "' is configured";
  if (auto cover = driven_by_.find(name); cover != driven_by_.end())
    return "line '" + name + "' is driven by cover '" + cover->second + "': command the cover";
  return "line '" + name + "' is an input: it takes get, not set";
}

bool CommandIntake::within_rate(const std::string& line, Limits& limits, RateLimit& limit, MonoTime now) {
  if (limit.allow(now)) return true;
  ++counters_.commands_rejected;
  ++counters_.commands_rate_limited;
  if (!limits.flood_reported) {  // the first drop at once; the rest summed up by report_flood()
    spdlog::warn("line {}: commands dropped, over {}/s (bursts of {})", line, kCommandRate, kCommandBurst);
    limits.flood_reported = now;
  }
  ++limits.flood_dropped;
  return false;
}

void CommandIntake::on_time(MonoTime now) {
  for (auto& [line, limits] : limits_) report_flood(line, limits, now);
}

void CommandIntake::report_flood(const std::string& line, Limits& limits, MonoTime now) {
  if (!limits.flood_reported || now - *limits.flood_reported < kFloodReportPeriod) return;
  if (limits.flood_dropped) {
    spdlog::warn("line {}: {} commands dropped in the last {} s, over {}/s", line, limits.flood_dropped,
                 std::chrono::duration_cast<std::chrono::seconds>(now - *limits.flood_reported).count(), kCommandRate);
    limits.flood_dropped = 0;
    limits.flood_reported = now;
  } else {
    limits.flood_reported.reset();  // a quiet period: the next flood is reported at once again
  }
}

std::optional<MonoTime> CommandIntake::deadline() const {
  std::optional<MonoTime> next;
  for (const auto& [line, limits] : limits_)
    if (limits.flood_reported && (!next || *limits.flood_reported + kFloodReportPeriod < *next))
      next = *limits.flood_reported + kFloodReportPeriod;
  return next;
}

}  // namespace gpio2mqtt::bridge

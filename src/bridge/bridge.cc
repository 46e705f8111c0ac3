#include "gpio2mqtt/bridge/bridge.h"

#include <spdlog/spdlog.h>

#include <utility>

#include "util/text.h"

namespace gpio2mqtt::bridge {

using config::Edge;
using config::OnDisconnect;
using gpio::Direction;

LineTopics make_topics(const std::string& base_topic, const std::string& line_name) {
  std::string prefix = base_topic + "/" + line_name + "/";
  return {prefix + "state", prefix + "event", prefix + "set",  prefix + "get",
          prefix + "count", prefix + "total", prefix + "rate", prefix + "action"};
}

Bridge::Bridge(const config::Config& config, Publisher& publisher, LinePort& lines, OutboxStore* store,
               CounterStore* counter_store)
    : config_(&config),
      publisher_(publisher),
      port_(lines),
      outbox_(config.mqtt.buffer, store),
      counter_store_(counter_store) {
  build(config);
  if (outbox_.restored()) spdlog::info("{} events queued by the previous run go out at connect", outbox_.restored());
  counters_.events_dropped += outbox_.dropped();  // more were kept than mqtt.buffer allows now
}

void Bridge::build(const config::Config& config) {
  config_ = &config;
  lines_.clear();
  commands_.clear();
  for (std::size_t i = 0; i < config.lines.size(); ++i) {
    const auto& line_config = config.lines[i];
    Line line{&line_config, make_topics(config.mqtt.base_topic, line_config.name)};
    if (line_config.direction == Direction::kOutput) line.level = line_config.initial;
    if (line_config.direction == Direction::kOutput || line_config.mode == config::Mode::kCounter)
      commands_[line.topics.set] = {i, TopicKind::kSet};
    commands_[line.topics.get] = {i, TopicKind::kGet};
    lines_.push_back(std::move(line));
  }
  std::vector<Interlock::Group> groups;
  for (const auto& group : config.interlocks) {
    Interlock::Group& g = groups.emplace_back();
    g.dead_time = group.dead_time;
    for (const auto& name : group.lines) g.lines.push_back(*find(name));
  }
  interlock_ = Interlock(std::move(groups));
  for (std::size_t i = 0; i < lines_.size(); ++i) interlock_.adopt(i, lines_[i].level);
}

std::optional<bool> Bridge::read_level(std::size_t index) {
  try {
    return port_.read(index);
  } catch (const std::exception& e) {
    ++counters_.line_errors;
    spdlog::error("line {}: cannot read its level: {}", lines_[index].config->name, e.what());
    return std::nullopt;
  }
}

void Bridge::adopt_level(std::size_t index) {
  Line& line = lines_[index];
  if (auto level = read_level(index)) line.level = *level;
  line.debounce = debouncer(index, line.level);
  if (line.config->mode == config::Mode::kButton) {
    if (line.button) return line.button->reset(line.level);
    line.button.emplace(button_settings(index), line.level);
    return;
  }
  if (line.config->mode != config::Mode::kCounter) return;
  if (line.counter) return line.counter->reset_level(line.level);
  std::uint64_t count = counter_store_ ? counter_store_->load(line.config->name) : 0;
  line.counter.emplace(counter_settings(index), count, line.level);
}

void Bridge::start(MonoTime now) {
  for (std::size_t i = 0; i < lines_.size(); ++i) {
    adopt_level(i);
    interlock_.adopt(i, lines_[i].level, lines_[i].level ? std::nullopt : std::optional<MonoTime>(now));
  }
  for (std::size_t i = 0; i < lines_.size(); ++i)
    if (interlock_.interlocked(i) && lines_[i].config->initial && !lines_[i].level) switch_to(i, true, now);
}

Debouncer Bridge::debouncer(std::size_t index, bool level) const {
  return Debouncer(port_.kernel_debounced(index) ? Nanos(0) : lines_[index].config->debounce, level);
}

bool Bridge::send(Message message, bool queue_if_down) {
  if (connected_ && publisher_.publish(message)) return true;
  if (queue_if_down && outbox_.push(std::move(message))) {
    // Logged at powers of two so a long outage does not flood the journal.
    std::uint64_t dropped = ++counters_.events_dropped;
    if ((dropped & (dropped - 1)) == 0)
      spdlog::warn("broker unreachable: {} queued events dropped so far (queue limit {})", dropped,
                   config_->mqtt.buffer);
  }
  return false;
}

void Bridge::publish_state(const Line& line) {
  // States are not queued: every state is published again on connect.
  send({line.topics.state, state_word(line.level), config_->mqtt.qos, true}, false);
}

void Bridge::announce() {
  if (!connected_) return;
  for (auto& message : announcer_.sync(*config_))
    if (!send(std::move(message), false)) return;  // lost: the next connect announces again
  announcer_.confirm(*config_);
}

void Bridge::publish_event(Line& line, const Debouncer::Report& report) {
  line.level = report.active;
  publish_state(line);
  if (line.button) button_change(line, report);
  Edge edge = line.config->edge;
  if (edge == Edge::kNone) {  // its state is all it publishes
    ++counters_.edges_published;
    return;
  }
  if (edge == Edge::kRising && !report.active) return;
  if (edge == Edge::kFalling && report.active) return;
  // The kernel's numbers are those of the last edge seen: the one that made the reported level.
  EdgeReport event{report.active, static_cast<std::uint64_t>(report.timestamp.time_since_epoch().count()), ++line.seq,
                   line.kernel_line_seqno, line.kernel_global_seqno};
  send({line.topics.event, format_event(event), config_->mqtt.qos, false}, true);
  ++counters_.edges_published;
}

void Bridge::on_edge(std::size_t index, const gpio::EdgeEvent& event) {
  Line& line = lines_.at(index);
  if (line.config->direction != Direction::kInput) return;
  if (line.counter) {
    line.level = event.rising;
    line.counter->on_edge(event.rising, from_kernel_ns(event.timestamp_ns));
    return;  // readings go out from on_time(), at most once per publish_interval
  }
  line.kernel_line_seqno = event.line_seqno;
  line.kernel_global_seqno = event.global_seqno;
  if (auto report = line.debounce.on_edge(event.rising, from_kernel_ns(event.timestamp_ns)))
    publish_event(line, *report);
}

void Bridge::on_time(MonoTime now) {
  if (announcer_.take_due(now)) {
    announce();
    publish_states(now);
  }
  for (std::size_t i = 0; i < lines_.size(); ++i) {
    Line& line = lines_[i];
    if (auto report = line.debounce.on_time(now)) publish_event(line, *report);
    if (line.counter) counter_time(line, now);
    if (line.button) button_time(line, now);
    report_flood(line, now);
    if (line.pulse_end && *line.pulse_end <= now) {
      line.pulse_end.reset();
      switch_to(i, line.pulse_revert, now);
    }
  }
  for (auto [index, active] : interlock_.on_time(now))
    if (drive(index, active, now).empty()) start_pulse(index, now);
}

std::optional<MonoTime> Bridge::next_deadline() const {
  std::optional<MonoTime> next;
  auto consider = [&](std::optional<MonoTime> t) {
    if (t && (!next || *t < *next)) next = t;
  };
  consider(announcer_.deadline());
  consider(interlock_.deadline());
  for (const Line& line : lines_) {
    consider(line.debounce.deadline());
    consider(line.pulse_end);
    if (line.button) consider(line.button->deadline());
    if (line.counter) {
      consider(line.counter->deadline());
      if (connected_) consider(line.counter->publish_deadline());
      if (counter_store_) consider(line.counter->persist_deadline());
    }
    if (line.flood_reported) consider(*line.flood_reported + kFloodReportPeriod);
  }
  return next;
}

void Bridge::on_publish_refused(std::string_view topic, const std::string& why) {
  ++counters_.publishes_refused;
  if (topic.ends_with("/event") && counters_.edges_published > 0) --counters_.edges_published;
  if (refused_topics_.size() < kMaxNoted && refused_topics_.emplace(topic).second)
    spdlog::warn("the broker refused what we published to {}: {} (said once per topic)", printable(topic, 256),
                 printable(why, 512));
}

void Bridge::on_connected(MonoTime now) {
  connected_ = true;
  const auto& status = config_->mqtt.status;
  send({status.topic, status.online, 1, true}, false);
  announcer_.cancel();  // this announcement answers any birth seen before
  read_back_ = false;
  announce();
  while (connected_ && !outbox_.empty()) {
    if (!send(outbox_.front(), false)) return;  // lost again: the rest waits for the next connect
    outbox_.pop();
  }
  publish_states(now);
}

void Bridge::republish(MonoTime now) {
  if (!connected_) return;
  const auto& status = config_->mqtt.status;
  send({status.topic, status.online, 1, true}, false);
  publish_states(now);
}

void Bridge::publish_states(MonoTime now) {
  for (Line& line : lines_) {
    if (line.counter) publish_reading(line, line.counter->take_reading_now(now));
    else publish_state(line);
  }
}

void Bridge::on_disconnected(MonoTime now, std::vector<Message> unacknowledged) {
  connected_ = false;
  requeue(std::move(unacknowledged));
  apply_disconnect_levels(now);
}

void Bridge::on_stopped(std::vector<Message> unacknowledged) {
  connected_ = false;
  requeue(std::move(unacknowledged));
}

void Bridge::requeue(std::vector<Message> unacknowledged) {
  std::erase_if(unacknowledged, [](const Message& m) { return m.retain; });  // states: sent anew on connect
  if (unacknowledged.empty()) return;
  spdlog::info("{} events the broker did not acknowledge will be sent again", unacknowledged.size());
  counters_.events_dropped += outbox_.push_front(std::move(unacknowledged));
}

void Bridge::on_stop(MonoTime now) {
  apply_disconnect_levels(now);  // still connected: the new states go out before the Off status
  interlock_.cancel_held();      // nothing will drive them any more
  // An input wired to such an output changed with it, but its edge would arrive after we stop:
  // its true level goes out now, else its retained state stays what it was.
  resync_inputs();
  for (Line& line : lines_) {
    if (!line.counter) continue;
    line.counter->on_time(now);
    if (connected_) publish_reading(line, line.counter->take_reading_now(now));
    if (auto count = line.counter->take_unpersisted()) store_count(line, *count);
  }
  connected_ = false;
}

void Bridge::apply_disconnect_levels(MonoTime now) {
  for (bool target : {false, true}) {  // the offs first: an interlocked ON then finds its group off
    for (std::size_t i = 0; i < lines_.size(); ++i) {
      Line& line = lines_[i];
      if (line.config->direction != Direction::kOutput || line.config->on_disconnect == OnDisconnect::kKeep) continue;
      if ((line.config->on_disconnect == OnDisconnect::kOn) != target) continue;
      line.pulse_end.reset();
      line.pulse_length.reset();
      if (line.level != target || interlock_.held(i)) switch_to(i, target, now);
    }
  }
}

void Bridge::reconfigure(const config::Config& next, MonoTime now) {
  if (interlock_.deadline()) spdlog::info("reload: switch-ons waiting for an interlock's dead time are dropped");
  std::vector<Line> old = std::move(lines_);
  // A counter keeps its count by its name even when its settings changed; one that is gone is stored.
  std::unordered_map<std::string, std::uint64_t> counts;
  for (Line& line : old) {
    if (!line.counter) continue;
    counts[line.config->name] = line.counter->count();
    if (auto count = line.counter->take_unpersisted()) store_count(line, *count);
  }
  build(next);
  std::vector<bool> requested_anew(lines_.size(), false);
  for (std::size_t i = 0; i < lines_.size(); ++i) {
    Line& line = lines_[i];
    auto same =
        std::find_if(old.begin(), old.end(), [&](const Line& o) { return o.config->same_settings(*line.config); });
    if (same != old.end()) {
      LineTopics topics = line.topics;  // the base topic may have changed
      const config::LineConfig* config = line.config;
      line = std::move(*same);
      line.topics = std::move(topics);
      line.config = config;
      if (config->direction == Direction::kInput) resync(i);              // its request may be new
      if (line.counter) line.counter->set_settings(counter_settings(i));  // kernel debounce may be new
      continue;
    }
    adopt_level(i);
    requested_anew[i] = true;
    // It may have been on until now: a switch-over waits the dead time from now.
    if (line.config->direction == Direction::kOutput && !line.level) line.went_off = now;
    if (!line.counter) {
      publish_state(line);
      continue;
    }
    if (auto kept = counts.find(line.config->name); kept != counts.end()) {
      line.counter->set_count(kept->second);
      line.counter->take_unpersisted();  // stored above already
    }  // its reading goes out at the next on_time(): a new counter has published nothing yet
  }
  for (std::size_t i = 0; i < lines_.size(); ++i) interlock_.adopt(i, lines_[i].level, lines_[i].went_off);
  // Interlocked lines are requested off; those new or changed that start on go on through the
  // interlock, as at start (prepare_reload() left initial off where that could not be at once).
  for (std::size_t i = 0; i < lines_.size(); ++i)
    if (requested_anew[i] && interlock_.interlocked(i) && lines_[i].config->initial && !lines_[i].level)
      switch_to(i, true, now);
  announce();  // components of removed, renamed or hidden lines go; new ones come
}

void Bridge::prepare_reload(config::Config& next, MonoTime now) {
  auto kept = [&](const config::LineConfig& line) -> Line* {
    auto it = std::find_if(lines_.begin(), lines_.end(), [&](const Line& o) { return o.config->same_settings(line); });
    return it == lines_.end() ? nullptr : &*it;
  };
  auto next_line = [&](const std::string& name) {
    return std::find_if(next.lines.begin(), next.lines.end(), [&](const auto& l) { return l.name == name; });
  };
  for (const auto& group : next.interlocks) {
    std::vector<std::size_t> on;  // kept lines that are on
    bool busy = false;            // one of them is on or in its dead time
    for (const auto& name : group.lines)
      if (Line* old = kept(*next_line(name))) {
        if (old->level) on.push_back(static_cast<std::size_t>(old - lines_.data()));
        busy = busy || old->level || (old->went_off && now < *old->went_off + group.dead_time);
      }
    if (on.size() > 1)
      for (std::size_t index : on) {
        spdlog::warn("reload: line {} is switched off: another line of its new interlock group is on too",
                     lines_[index].config->name);
        drive(index, false, now);
      }
    for (const auto& name : group.lines) {
      auto line = next_line(name);
      if (!line->initial || kept(*line) || !busy) continue;
      spdlog::warn(
          "reload: line {} starts off, not at its initial on: another line of its interlock group is on or "
          "was just switched off",
          name);
      line->initial = false;
    }
  }
}

void Bridge::resync(std::size_t index) {
  Line& line = lines_[index];
  auto level = read_level(index);
  if (!level || *level == line.level) return;
  line.level = *level;
  line.debounce.reset(*level);
  if (line.counter) return line.counter->reset_level(*level);  // a change unseen is no pulse
  if (line.button) line.button->reset(*level);                 // nor a press
  publish_state(line);
}

void Bridge::resync_inputs() {
  for (std::size_t i = 0; i < lines_.size(); ++i)
    if (lines_[i].config->direction == Direction::kInput) resync(i);
}

std::optional<std::size_t> Bridge::find(std::string_view name) const {
  for (std::size_t i = 0; i < lines_.size(); ++i)
    if (lines_[i].config->name == name) return i;
  return std::nullopt;
}

std::vector<std::string> command_topics(const config::Config& config) {
  std::vector<std::string> topics;
  if (!config.lines.empty()) {
    LineTopics any = make_topics(config.mqtt.base_topic, "+");
    topics = {any.get, any.set};
  }
  if (config.homeassistant.discovery) topics.push_back(config.homeassistant.status_topic);
  return topics;
}

std::vector<std::string> Bridge::subscriptions() const { return command_topics(*config_); }

std::vector<std::string> Bridge::retained_subscriptions() const {
  if (!config_->homeassistant.discovery) return {};
  return {device_topic(config_->homeassistant)};
}

}  // namespace gpio2mqtt::bridge

#include "bridge/devices/cover_device.h"

#include <spdlog/spdlog.h>

#include <cmath>

#include "gpio2mqtt/bridge/switchboard.h"
#include "gpio2mqtt/config/entity.h"

namespace gpio2mqtt::bridge {
namespace {

constexpr Nanos kReportEvery = std::chrono::seconds(1);  // the position while it runs
constexpr const char* kStoreKind = "cover";

CoverSettings cover_settings(const config::CoverConfig& c) {
  CoverSettings s;
  s.one_button = c.one_button;
  s.open_time = c.open_time;
  s.close_time = c.close_time;
  s.margin = c.margin;
  s.dead_time = c.dead_time;
  s.press = c.press;
  s.has_opened_stop = !c.opened.empty();
  s.has_closed_stop = !c.closed.empty();
  return s;
}

}  // namespace

CoverDevice::CoverDevice(const config::CoverConfig& settings, ModeHost& host)
    : settings_(settings),
      host_(host),
      cover_(cover_settings(settings), *this),
      state_topic_(make_topics(host.config().mqtt.base_topic, settings.name).state),
      position_topic_(host.config().mqtt.base_topic + "/" + settings.name + "/position") {}

std::optional<std::size_t> CoverDevice::index(const std::string& line) const {
  if (line.empty()) return std::nullopt;
  const auto& lines = host_.config().lines;
  for (std::size_t i = 0; i < lines.size(); ++i)
    if (lines[i].name == line) return i;
  return std::nullopt;
}

std::vector<std::size_t> CoverDevice::lines() const {
  std::vector<std::size_t> out;
  for (const std::string* line :
       {&settings_.open, &settings_.close, &settings_.button, &settings_.opened, &settings_.closed})
    if (auto i = index(*line)) out.push_back(*i);
  return out;
}

void CoverDevice::start(MonoTime now) {
  std::optional<double> kept;
  if (auto* store = host_.device_store())
    if (auto value = store->load(kStoreKind, settings_.name)) kept = static_cast<double>(*value) / 100.0;
  cover_.restore(kept, now);
  for (bool opened : {true, false}) {
    auto line = index(opened ? settings_.opened : settings_.closed);
    if (!line) continue;
    if (auto level = host_.read_level(*line); level && *level) cover_.on_end_stop(opened, true, now);
  }
  motion_ = cover_.motion();
}

void CoverDevice::inherit(Device& predecessor) {
  auto* before = dynamic_cast<CoverDevice*>(&predecessor);
  if (!before || cover_.position(before->retired_at_)) return;  // the store had it
  cover_.restore(before->retired_at_position_, before->retired_at_);
}

void CoverDevice::retire(MonoTime now) {
  cover_.halt(now);
  retired_at_ = now;
  retired_at_position_ = cover_.position(now);
  store(now);
}

void CoverDevice::on_stop(MonoTime now) {
  cover_.halt(now);
  store(now);
  after(now);
}

void CoverDevice::on_disconnected(MonoTime now) {
  if (settings_.on_disconnect == config::CoverConfig::OnDisconnect::kKeep) return;
  if (cover_.motion() == CoverMotion::kStopped && !cover_.busy()) return;
  // A door its remote set moving is left to it: a press could start what nobody asked for.
  if (settings_.one_button && cover_.motion() != CoverMotion::kStopped && !cover_.commanded()) return;
  spdlog::info("cover {}: the broker is gone: stopping", settings_.name);
  cover_.command({CoverCommand::Kind::kStop}, now);
  after(now);
}

Refusal CoverDevice::check_command(std::string_view payload) const {
  if (parse_cover_command(payload)) return std::nullopt;
  return "expected OPEN, CLOSE, STOP or a position 0-100";
}

void CoverDevice::on_command(std::string_view payload, MonoTime now) {
  std::string error = apply(payload, now);
  if (!error.empty()) spdlog::warn("cover {}: {}", settings_.name, error);
}

std::string CoverDevice::apply(std::string_view payload, MonoTime now) {
  auto command = parse_cover_command(payload);
  if (!command) return *check_command(payload);
  std::string error = cover_.command(*command, now);
  if (error.empty()) ++host_.tally().commands_applied;
  else ++host_.tally().commands_rejected;
  after(now);
  return error;
}

std::string CoverDevice::act(const Action& action, MonoTime now) {
  std::string verb = action.verb;
  if (verb == "toggle") {
    auto p = cover_.position(now);
    if (cover_.motion() != CoverMotion::kStopped) verb = "stop";
    else verb = p && *p > 0 ? "close" : "open";
  }
  return apply(verb, now);
}

void CoverDevice::on_line_edge(std::size_t line, bool level, MonoTime at) {
  bool opened = index(settings_.opened) == line;
  if (!opened && index(settings_.closed) != line) return;
  cover_.on_end_stop(opened, level, at);
  after(at);
}

void CoverDevice::on_time(MonoTime now) {
  cover_.on_time(now);
  after(now);
}

std::optional<MonoTime> CoverDevice::deadline() const {
  std::optional<MonoTime> next = cover_.deadline();
  auto consider = [&](std::optional<MonoTime> t) {
    if (t && (!next || *t < *next)) next = t;
  };
  if (motion_ != CoverMotion::kStopped) {
    if (reported_) consider(*reported_ + kReportEvery);
    if (stored_ && host_.device_store()) consider(*stored_ + settings_.persist_every);
  }
  return next;
}

void CoverDevice::store(MonoTime now) {
  stored_ = now;
  auto* store = host_.device_store();
  auto p = cover_.position(now);
  if (!store || !p) return;
  store->save(kStoreKind, settings_.name, static_cast<std::uint64_t>(std::lround(*p * 100)));
}

void CoverDevice::after(MonoTime now) {
  CoverMotion was = std::exchange(motion_, cover_.motion());
  if (motion_ != CoverMotion::kStopped) {
    if (was == CoverMotion::kStopped) reported_ = stored_ = now;
    if (now >= *stored_ + settings_.persist_every) store(now);
  } else if (was != CoverMotion::kStopped) {
    store(now);  // every stop
  }
  // Taken as reported while the broker is gone too: the deadline must move on.
  bool report = motion_ != CoverMotion::kStopped && now >= *reported_ + kReportEvery;
  if (report || motion_ != was) reported_ = now;
  if (!host_.connected()) return;
  std::string word = cover_.state_word(now);
  auto p = cover_.position(now);
  std::optional<long> position = p ? std::optional<long>(std::lround(*p)) : std::nullopt;
  if (word != published_state_) {
    published_state_ = word;
    host_.send({state_topic_, word, host_.config().mqtt.qos, true}, false);
  }
  if (position && position != published_position_ && (report || motion_ != was || motion_ == CoverMotion::kStopped)) {
    published_position_ = position;
    host_.send({position_topic_, std::to_string(*position), host_.config().mqtt.qos, true}, false);
  }
}

void CoverDevice::publish_state(MonoTime now) {
  published_state_.reset();
  published_position_.reset();
  after(now);
}

bool CoverDevice::motor(CoverMotion motion, MonoTime now) {
  Switchboard& board = host_.switchboard();
  std::size_t open = *index(settings_.open), close = *index(settings_.close);
  if (motion == CoverMotion::kStopped) {
    // Both, whatever fails: a failed write must not keep the other direction on.
    std::string a = board.switch_to(open, false, now);
    std::string b = board.switch_to(close, false, now);
    return a.empty() && b.empty();
  }
  std::size_t line = motion == CoverMotion::kOpening ? open : close;
  std::string error = board.switch_to(line, true, now);
  // Held by the interlock (its dead time not over) counts as failed: the cover times its runs.
  return error.empty() && board.level(line);
}

MonoTime CoverDevice::quiet_since(MonoTime now) const {
  const Switchboard& board = host_.switchboard();
  MonoTime since = now;
  for (const auto* name : {&settings_.open, &settings_.close, &settings_.button})
    if (auto line = index(*name))
      if (auto off = board.went_off(*line)) since = std::max(since, *off);
  return since;
}

bool CoverDevice::button(bool on, MonoTime now) {
  return host_.switchboard().switch_to(*index(settings_.button), on, now).empty();
}

// A cover: OPEN/CLOSE/STOP on its set topic, positions on the same topic, state and position.
std::vector<std::pair<ComponentId, JsonObject>> CoverDevice::components(const config::Config& config) {
  std::vector<std::pair<ComponentId, JsonObject>> out;
  for (const auto& cover : config.covers) {
    auto topics = make_topics(config.mqtt.base_topic, cover.name);
    std::string id = config::cover_object_id(cover);
    JsonObject component;
    component.add("p", "cover")
        .add("name", cover.title.empty() ? cover.name : cover.title)
        .add("unique_id", config.homeassistant.device_id + "_" + id)
        .add("device_class", cover.device_class)
        .add("command_topic", topics.set)
        .add("set_position_topic", topics.set)
        .add("state_topic", topics.state)
        .add("position_topic", config.mqtt.base_topic + "/" + cover.name + "/position")
        .add("payload_open", "OPEN")
        .add("payload_close", "CLOSE")
        .add("payload_stop", "STOP")
        .add("state_open", "open")
        .add("state_opening", "opening")
        .add("state_closed", "closed")
        .add("state_closing", "closing")
        .add("state_stopped", "stopped")
        .add_raw("retain", "false");
    out.push_back({{id, "cover"}, component});
  }
  return out;
}

}  // namespace gpio2mqtt::bridge

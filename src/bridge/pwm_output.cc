#include "gpio2mqtt/bridge/pwm_output.h"

#include <spdlog/spdlog.h>

#include <algorithm>

#include "util/text.h"

namespace gpio2mqtt::bridge {
namespace {

DimmerMemory remembered(PwmMemoryStore* store, const std::string& name) {
  if (!store) return {};
  return store->load(name).value_or(DimmerMemory{});
}

DutyCurve curve_of(const config::PwmOutputConfig& config) { return {config.min_duty, config.max_duty, config.gamma}; }

}  // namespace

PwmOutput::PwmOutput(const config::PwmOutputConfig& config, const config::MqttConfig& mqtt, PwmDrive& drive,
                     PwmMemoryStore* memory, Publisher& publisher, MonoTime now, std::optional<int> level,
                     bool drive_now)
    : config_(config),
      qos_(mqtt.qos),
      topics_(make_topics(mqtt.base_topic, config.name)),
      drive_(drive),
      memory_(memory),
      publisher_(publisher),
      loaded_(remembered(memory, config.name)),
      dimmer_(curve_of(config), config.transition, loaded_, 0, now) {
  if (config_.kind == config::PwmOutputConfig::Kind::kSoftware) slow_.emplace(config_.period);
  dimmer_.jump(level ? *level : level_for(config_.initial, loaded_), now);
  if (drive_now) update(now);
}

int PwmOutput::level_for(const config::PwmLevel& level, const DimmerMemory& memory) const {
  using Kind = config::PwmLevel::Kind;
  switch (level.kind) {
    case Kind::kOff:
      return 0;
    case Kind::kOn:
      return dimmer_.memory().last_level;
    case Kind::kLevel:
      return level.level;
    case Kind::kRestore:
      return memory.on ? dimmer_.memory().last_level : 0;
    case Kind::kKeep:
      break;
  }
  return dimmer_.target();
}

bool PwmOutput::on_message(std::string_view topic, std::string_view payload, bool retained, MonoTime now) {
  if (topic == topics_.get) {
    if (!retained) publish_state();
    return true;
  }
  if (topic != topics_.set) return false;
  auto refuse = [&](const std::string& why) {
    ++rejected_;
    spdlog::warn("rejected command on {}: '{}': {}", printable(topic, 256), printable(payload), why);
    return true;
  };
  if (retained) return refuse("retained commands are never acted on (publish without retain)");
  if (payload.size() > kMaxCommandPayload) return refuse("payload over 256 bytes, dropped unread");
  auto parsed = parse_dimmer_command(payload);
  if (auto* error = std::get_if<std::string>(&parsed)) return refuse(*error);
  if (!sets_.allow(now)) return refuse("over " + std::to_string(static_cast<int>(kCommandRate)) + " commands/s");
  apply(std::get<DimmerCommand>(parsed), now);
  return true;
}

std::string PwmOutput::command(std::string_view payload, MonoTime now) {
  if (payload.size() > kMaxCommandPayload) return "a command of over 256 bytes";
  auto parsed = parse_dimmer_command(payload);
  if (auto* error = std::get_if<std::string>(&parsed)) return *error;
  apply(std::get<DimmerCommand>(parsed), now);
  return {};
}

void PwmOutput::apply(const DimmerCommand& command, MonoTime now) {
  ++applied_;
  DimmerMemory before = dimmer_.memory();
  dimmer_.command(command, now);
  if (memory_ && dimmer_.memory() != before) memory_->save(config_.name, dimmer_.memory());
  update(now);
  publish_state();
}

void PwmOutput::on_disconnected(MonoTime now) {
  if (config_.on_disconnect.kind == config::PwmLevel::Kind::kKeep) return;
  dimmer_.jump(level_for(config_.on_disconnect, dimmer_.memory()), now);
  update(now);
}

void PwmOutput::continue_from(const PwmOutput& predecessor, MonoTime now) {
  if (!config_.same_settings(predecessor.config_) || topics_.state != predecessor.topics_.state) {
    dimmer_.jump(predecessor.dimmer_.target(), now);
    return;
  }
  dimmer_ = predecessor.dimmer_;
  slow_ = predecessor.slow_;
  duty_ = predecessor.duty_;
  line_on_ = predecessor.line_on_;
  next_switch_ = predecessor.next_switch_;
  next_fade_step_ = predecessor.next_fade_step_;
}

void PwmOutput::update(MonoTime now) {
  double duty = dimmer_.duty_at(now);
  next_fade_step_ = dimmer_.next_step(now);
  if (!slow_) {
    if (duty_ != duty) drive_.set_duty(duty);
    duty_ = duty;
    return;
  }
  slow_->set_duty(duty, now);
  SlowPwm::Step step = slow_->tick(now);
  if (line_on_ != step.on) drive_.set_line(step.on);
  line_on_ = step.on;
  // Held off or fully on, the line has nothing to switch until the next command.
  next_switch_ = duty <= 0 || duty >= 1 ? std::nullopt : std::optional<MonoTime>(step.next);
}

std::optional<MonoTime> PwmOutput::next_deadline() const {
  if (next_switch_ && next_fade_step_) return std::min(*next_switch_, *next_fade_step_);
  return next_switch_ ? next_switch_ : next_fade_step_;
}

void PwmOutput::publish_state() { publisher_.publish({topics_.state, dimmer_.state_json(), qos_, true}); }

}  // namespace gpio2mqtt::bridge

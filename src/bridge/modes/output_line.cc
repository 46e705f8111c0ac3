#include "bridge/modes/output_line.h"

#include <algorithm>
#include <tuple>
#include <utility>

#include "gpio2mqtt/config/entity.h"

namespace gpio2mqtt::bridge {

using config::OnDisconnect;

OutputLine::OutputLine(std::size_t line, const config::LineConfig& settings, ModeHost& host)
    : ModeBase(line, settings, host) {
  switchboard().attach(line, *this);
}

void OutputLine::rebind(std::size_t line, const config::LineConfig& settings, const std::string& base_topic) {
  ModeBase::rebind(line, settings, base_topic);
  switchboard().attach(line, *this);
}

void OutputLine::start(MonoTime now, bool /*kernel_debounces*/) {
  bool level = host().read_level(line()).value_or(settings().initial);
  // It may have been on until now: a switch-over waits the dead time from now.
  switchboard().adopt(line(), level, level ? std::nullopt : std::optional<MonoTime>(now));
}

bool OutputLine::level() const { return switchboard().level(line()); }

void OutputLine::on_driven() { publish_level(level()); }

void OutputLine::publish_state(MonoTime /*now*/) { publish_level(level()); }

void OutputLine::cancel_pulse() {
  pulse_end_.reset();
  pulse_length_.reset();
}

void OutputLine::start_pending_pulse(MonoTime now) {
  if (pulse_length_) pulse_end_ = now + *std::exchange(pulse_length_, std::nullopt);
}

void OutputLine::on_time(MonoTime now) {
  if (!pulse_end_ || *pulse_end_ > now) return;
  pulse_end_.reset();
  switchboard().switch_to(line(), pulse_revert_, now);
}

Refusal OutputLine::check_command(std::string_view payload) const {
  auto parsed = parse_command(payload);
  if (auto* error = std::get_if<std::string>(&parsed)) return *error;
  return std::nullopt;
}

void OutputLine::on_command(std::string_view payload, MonoTime now) {
  apply(std::get<Command>(parse_command(payload)), now);
}

std::string OutputLine::apply(const Command& command, MonoTime now) {
  bool on = level() || switchboard().held(line());  // one waiting to go on is on to a TOGGLE
  bool target = command.kind == Command::Kind::kToggle ? !on : command.active;
  std::optional<Nanos> pulse;
  if (command.pulse) pulse = *command.pulse;
  // A pulse reverts to the level from before the first pulse, even when pulses overlap; a
  // momentary output always back to off.
  bool revert_to = pulse_end_ ? pulse_revert_ : level();
  if (settings().momentary) {
    revert_to = false;
    if (target && !pulse) pulse = *settings().momentary;
  }
  auto running = std::make_pair(pulse_end_, pulse_revert_);
  pulse_end_.reset();
  pulse_length_ = pulse;
  pulse_revert_ = revert_to;
  std::string error = switchboard().switch_to(line(), target, now);
  if (!error.empty() && running.first && level()) {
    // Refused (a write failed, an interlock): the pulse under way must still end, or a door opener
    // would stay on.
    std::tie(pulse_end_, pulse_revert_) = running;
    pulse_length_.reset();
  }
  ++host().tally().commands_applied;
  return error;
}

std::string OutputLine::act(const Action& action, MonoTime now) {
  Command command;
  if (action.verb == "toggle") command.kind = Command::Kind::kToggle;
  else command.active = action.verb != "off";
  if (action.verb == "pulse" && action.length)
    command.pulse =
        std::max(std::chrono::milliseconds(1), std::chrono::ceil<std::chrono::milliseconds>(*action.length));
  return apply(command, now);
}

void OutputLine::on_disconnected(MonoTime now) {
  if (settings().on_disconnect == OnDisconnect::kKeep) return;
  bool target = settings().on_disconnect == OnDisconnect::kOn;
  cancel_pulse();
  if (level() != target || switchboard().held(line())) switchboard().switch_to(line(), target, now);
}

}  // namespace gpio2mqtt::bridge

namespace gpio2mqtt::bridge {

// A switch; a momentary output a button (no state: a press is one pulse).
std::vector<std::pair<ComponentId, JsonObject>> OutputLine::components(const config::Config& config,
                                                                       const config::LineConfig& line) {
  if (!line.cover.empty()) return {};  // the cover's component drives it
  auto topics = make_topics(config.mqtt.base_topic, line.name);
  auto platform = config::entity_platform(line);
  std::string id = config::entity_object_id(line);
  std::string name = line.entity.name.empty() ? line.name : line.entity.name;
  if (platform == "button") {
    JsonObject button = entity_component(config, line, platform, id, name, "");
    button.add("command_topic", topics.set).add("payload_press", state_word(true)).add_raw("retain", "false");
    if (!line.entity.device_class.empty()) button.add("device_class", line.entity.device_class);
    return {{{id, std::string(platform)}, button}};
  }
  JsonObject component = entity_component(config, line, platform, id, name, topics.state);
  // Never retained: a retained command would switch the relay again at every reconnect, and the
  // bridge refuses retained commands anyway.
  component.add("command_topic", topics.set).add_raw("retain", "false");
  component.add("payload_on", state_word(true)).add("payload_off", state_word(false));
  if (!line.entity.device_class.empty()) component.add("device_class", line.entity.device_class);
  return {{{id, std::string(platform)}, component}};
}

}  // namespace gpio2mqtt::bridge

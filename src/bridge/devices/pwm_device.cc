#include "gpio2mqtt/bridge/pwm_device.h"

#include <spdlog/spdlog.h>

#include <algorithm>

#include "gpio2mqtt/bridge/switchboard.h"

namespace gpio2mqtt::bridge {

// States go out as a line's do: dropped while disconnected, every one sent again on connect.
class PwmDevice::HostPublisher : public Publisher {
 public:
  explicit HostPublisher(ModeHost& host) : host_(host) {}
  bool publish(const Message& message) override { return host_.send(message, false); }

 private:
  ModeHost& host_;
};

// A software output's line through the switchboard (an interlock holds for it as for any output),
// a hardware one's duty to the channel the service lent.
class PwmDevice::Drive : public PwmDrive {
 public:
  Drive(ModeHost& host, std::optional<std::size_t> line) : host_(host), line_(line) {}
  void set_duty(double duty) override {
    if (channel_) channel_->set_duty(duty);
  }
  void set_line(bool on) override {
    if (line_) host_.switchboard().drive(*line_, on, now_);
  }
  void use(PwmDrive* channel) { channel_ = channel; }
  // The time of what the output is doing, for the switchboard's dead times.
  void at(MonoTime now) { now_ = now; }
  std::optional<std::size_t> line() const { return line_; }

 private:
  ModeHost& host_;
  std::optional<std::size_t> line_;
  PwmDrive* channel_ = nullptr;
  MonoTime now_{};
};

PwmDevice::PwmDevice(const config::PwmOutputConfig& config, std::optional<std::size_t> line, ModeHost& host)
    : config_(config),
      host_(host),
      publisher_(std::make_unique<HostPublisher>(host)),
      drive_(std::make_unique<Drive>(host, line)) {}

PwmDevice::~PwmDevice() = default;

void PwmDevice::start(MonoTime now) {
  PwmPort* port = host_.pwm_port();
  if (config_.kind == config::PwmOutputConfig::Kind::kHardware) {
    drive_->use(port ? port->channel(config_.name) : nullptr);
    if (!port || !port->channel(config_.name)) spdlog::error("pwm '{}': no PWM channel is open for it", config_.name);
  }
  drive_->at(now);
  output_.emplace(config_, host_.config().mqtt, *drive_, port ? port->memory() : nullptr, *publisher_, now,
                  std::nullopt, false);
  first_drive_ = now;
  started_ = now;
}

void PwmDevice::inherit(Device& predecessor) {
  auto* before = dynamic_cast<PwmDevice*>(&predecessor);
  if (!before || !before->output_ || !output_) return;
  output_->continue_from(*before->output_, started_);
  // The switchboard was configured anew (every line off): its line is where it was left.
  if (auto line = drive_->line(); line && before->drive_->line() && output_->line_level())
    host_.switchboard().adopt(*line, *output_->line_level());
}

Refusal PwmDevice::check_command(std::string_view payload) const {
  auto parsed = parse_dimmer_command(payload);
  if (auto* error = std::get_if<std::string>(&parsed)) return *error;
  return std::nullopt;
}

void PwmDevice::on_command(std::string_view payload, MonoTime now) {
  auto parsed = parse_dimmer_command(payload);
  if (!output_ || !std::holds_alternative<DimmerCommand>(parsed)) return;  // checked by the intake
  ++host_.tally().commands_applied;
  drive_->at(now);
  output_->apply(std::get<DimmerCommand>(parsed), now);
}

std::string PwmDevice::command(std::string_view payload, MonoTime now) {
  if (!output_) return "not started";
  drive_->at(now);
  std::string error = output_->command(payload, now);
  if (error.empty()) ++host_.tally().commands_applied;
  return error;
}

std::string PwmDevice::act(const Action& action, MonoTime now) {
  if (!output_) return "not started";
  DimmerCommand command;
  if (action.verb == "on") command.kind = DimmerCommand::Kind::kOn;
  else if (action.verb == "off") command.kind = DimmerCommand::Kind::kOff;
  else if (action.verb == "toggle") command.kind = DimmerCommand::Kind::kToggle;
  else if (action.verb == "brighter" || action.verb == "dimmer") {
    // From the level it is going to; dimmer stops at the lowest step above off (a light dimmed
    // all the way stays on: OFF is its own action).
    int step = level_from_percent(action.step.value_or(10));
    int from = output_->target();
    int to = action.verb == "brighter" ? std::min(from + step, kFullLevel) : std::max(from - step, 1);
    if (action.verb == "dimmer" && from == 0) return {};  // off stays off
    command.level = to;
  } else {
    return "a PWM output takes on, off, toggle, brighter or dimmer, not " + action.verb;
  }
  ++host_.tally().commands_applied;  // as a line's action is
  drive_->at(now);
  output_->apply(command, now);
  return {};
}

void PwmDevice::publish_state(MonoTime /*now*/) {
  if (output_) output_->on_connected();
}

void PwmDevice::on_time(MonoTime now) {
  if (!output_) return;
  drive_->at(now);
  if (first_drive_ && *first_drive_ <= now) {
    first_drive_.reset();
    output_->on_time(now);
    return;
  }
  if (auto due = output_->next_deadline(); due && *due <= now) output_->on_time(now);
}

std::optional<MonoTime> PwmDevice::deadline() const {
  if (first_drive_) return first_drive_;
  return output_ ? output_->next_deadline() : std::nullopt;
}

void PwmDevice::on_disconnected(MonoTime now) {
  if (!output_) return;
  drive_->at(now);
  output_->on_disconnected(now);
}

std::vector<std::unique_ptr<Device>> make_pwm_devices(const config::Config& config, ModeHost& host) {
  std::vector<std::unique_ptr<Device>> out;
  std::size_t software_line = config.lines.size();  // the switchboard's, as the LineSet requests them
  for (const auto& output : config.pwm) {
    std::optional<std::size_t> line;
    if (output.kind == config::PwmOutputConfig::Kind::kSoftware) line = software_line++;
    out.push_back(std::make_unique<PwmDevice>(output, line, host));
  }
  return out;
}

}  // namespace gpio2mqtt::bridge

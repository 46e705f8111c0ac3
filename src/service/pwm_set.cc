#include "service/pwm_set.h"

#include <spdlog/spdlog.h>

#include <algorithm>

#include "gpio2mqtt/config/loader.h"

namespace gpio2mqtt::service {
namespace {

// Kept as one number: 10000 when on, plus the last level (1-1000). 0: nothing kept.
constexpr std::uint64_t kOnFlag = 10000;

class ChannelDrive : public bridge::PwmDrive {
 public:
  ChannelDrive(std::unique_ptr<pwm::Channel> channel, const config::PwmOutputConfig& config, std::uint64_t& errors)
      : channel_(std::move(channel)),
        period_ns_(static_cast<std::uint64_t>(config.period.count())),
        polarity_(config.inversed ? pwm::Polarity::kInversed : pwm::Polarity::kNormal),
        errors_(errors) {}
  void set_duty(double duty) override {
    if (!channel_) return;  // handed over to its successor (a reload)
    auto duty_ns = static_cast<std::uint64_t>(std::llround(duty * static_cast<double>(period_ns_)));
    try {
      channel_->apply({period_ns_, std::min(duty_ns, period_ns_), polarity_, true});
    } catch (const std::exception& e) {
      ++errors_;
      spdlog::error("PWM: {}", e.what());
    }
  }
  void set_line(bool) override {}
  // For the output a reload made of this one on the same channel: it stays exported.
  std::unique_ptr<pwm::Channel> hand_over() { return std::move(channel_); }
  bool has_channel() const { return channel_ != nullptr; }

 private:
  std::unique_ptr<pwm::Channel> channel_;
  std::uint64_t period_ns_;
  pwm::Polarity polarity_;
  std::uint64_t& errors_;
};

class LineDrive : public bridge::PwmDrive {
 public:
  LineDrive(LineSet& lines, std::size_t index, std::uint64_t& errors) : lines_(lines), index_(index), errors_(errors) {}
  void set_duty(double) override {}
  void set_line(bool on) override {
    try {
      lines_.write(index_, on);
    } catch (const std::exception& e) {  // a chip gone away: the GPIO supervisor reopens it
      if (errors_++ == 0 || errors_ % 1000 == 0)
        spdlog::error("software PWM on {}: {} ({} failed writes)", lines_.describe(index_), e.what(), errors_);
    }
  }
  // A reload kept the line; its index among the requested lines may have moved.
  void move_to(std::size_t index) { index_ = index; }

 private:
  LineSet& lines_;
  std::size_t index_;
  std::uint64_t& errors_;
};

std::unique_ptr<pwm::Channel> open_channel(pwm::ChipProvider* provider, const config::PwmOutputConfig& output) {
  if (!provider) throw config::ConfigError(output.chip_where, "pwm '" + output.name + "': no PWM");
  try {
    return provider->open(output.pwm_chip, output.channel);
  } catch (const pwm::NotFound& e) {
    throw config::ConfigError(output.chip_where, "pwm '" + output.name + "': " + e.what());
  } catch (const pwm::Refused& e) {
    throw gpio::GpioError("pwm '" + output.name + "': " + e.what());
  }
}

bool same_line(const config::PwmOutputConfig& a, const config::PwmOutputConfig& b) {
  return a.name == b.name && a.chip == b.chip && a.line == b.line && a.offset == b.offset &&
         a.active_low == b.active_low;
}

}  // namespace

struct PwmSet::Output {
  config::PwmOutputConfig config;
  std::unique_ptr<ChannelDrive> channel;  // hardware
  std::unique_ptr<LineDrive> line;        // software
  std::optional<bridge::PwmOutput> logic;
};

PwmSet::Next::Next(Next&&) noexcept = default;
PwmSet::Next& PwmSet::Next::operator=(Next&&) noexcept = default;
PwmSet::Next::~Next() = default;

PwmMemoryFile::PwmMemoryFile(std::string directory)
    : file_(std::move(directory), {"pwm", "(on flag + level)", "a plain ON gives full brightness"}) {}

std::optional<bridge::DimmerMemory> PwmMemoryFile::load(const std::string& name) {
  std::uint64_t kept = file_.load(name);
  int level = static_cast<int>(kept % kOnFlag);
  if (level <= 0 || level > bridge::kFullLevel) return std::nullopt;
  return bridge::DimmerMemory{kept >= kOnFlag, level};
}

void PwmMemoryFile::save(const std::string& name, const bridge::DimmerMemory& memory) {
  file_.save(name, (memory.on ? kOnFlag : 0) + static_cast<std::uint64_t>(memory.last_level));
}

void check_pwm_chips(const config::Config& config, pwm::ChipProvider& provider) {
  std::vector<pwm::ChipInfo> chips;
  for (const auto& output : config.pwm) {
    if (output.kind != config::PwmOutputConfig::Kind::kHardware) continue;
    if (chips.empty()) chips = provider.chips();
    try {
      const pwm::ChipInfo& chip = pwm::find_chip(chips, output.pwm_chip);
      if (output.channel >= chip.channels)
        throw pwm::NotFound("PWM chip '" + output.pwm_chip + "' is " + chip.describe() + ": it has no channel " +
                            std::to_string(output.channel));
    } catch (const pwm::NotFound& e) {
      throw config::ConfigError(output.chip_where, "pwm '" + output.name + "': " + e.what());
    }
  }
}

PwmSet::PwmSet(const config::Config& config, pwm::ChipProvider* provider, LineSet& lines, bridge::Publisher& publisher,
               MonoTime now)
    : provider_(provider),
      lines_(lines),
      publisher_(publisher),
      base_topic_(config.mqtt.base_topic),
      qos_(config.mqtt.qos),
      // Also without outputs yet: a reload may add some. Kept where the start put it.
      memory_(config.state_directory.empty() ? nullptr : std::make_unique<PwmMemoryFile>(config.state_directory)) {
  std::size_t software_index = config.lines.size();  // where the LineSet requested them
  for (const auto& output : config.pwm) {
    bool hardware = output.kind == config::PwmOutputConfig::Kind::kHardware;
    outputs_.push_back(make_output(output, hardware ? open_channel(provider_, output) : nullptr, software_index, config,
                                   now, std::nullopt));
  }
}

PwmSet::~PwmSet() = default;

std::unique_ptr<PwmSet::Output> PwmSet::make_output(const config::PwmOutputConfig& output_config,
                                                    std::unique_ptr<pwm::Channel> channel, std::size_t& software_index,
                                                    const config::Config& config, MonoTime now,
                                                    std::optional<int> level) {
  auto output = std::make_unique<Output>();
  output->config = output_config;
  bridge::PwmDrive* drive = nullptr;
  if (output_config.kind == config::PwmOutputConfig::Kind::kSoftware)
    drive = (output->line = std::make_unique<LineDrive>(lines_, software_index++, errors_)).get();
  else drive = (output->channel = std::make_unique<ChannelDrive>(std::move(channel), output_config, errors_)).get();
  output->logic.emplace(output_config, config.mqtt, *drive, memory_.get(), publisher_, now, level);
  return output;
}

PwmSet::Next PwmSet::prepare(const config::Config& next) const {
  Next plan;
  bool same_topics = next.mqtt.base_topic == base_topic_ && next.mqtt.qos == qos_;
  std::vector<bool> channel_taken(outputs_.size(), false);
  for (const auto& output : next.pwm) {
    Planned& planned = plan.outputs.emplace_back();
    for (std::size_t i = 0; i < outputs_.size(); ++i) {
      if (outputs_[i]->config.name != output.name) continue;
      planned.level_from = i;
      if (same_topics && outputs_[i]->config.same_settings(output)) planned.kept = i, channel_taken[i] = true;
    }
  }
  // Opened last, so that a channel a kept output holds is never opened twice.
  for (std::size_t k = 0; k < next.pwm.size(); ++k) {
    const auto& output = next.pwm[k];
    Planned& planned = plan.outputs[k];
    if (planned.kept || output.kind != config::PwmOutputConfig::Kind::kHardware) continue;
    for (std::size_t i = 0; i < outputs_.size() && !planned.channel_from; ++i) {
      const Output& running = *outputs_[i];
      if (!channel_taken[i] && running.channel && running.config.pwm_chip == output.pwm_chip &&
          running.config.channel == output.channel)
        planned.channel_from = i, channel_taken[i] = true;
    }
    if (!planned.channel_from) planned.channel = open_channel(provider_, output);
  }
  plan.line_kept.assign(outputs_.size(), false);
  for (std::size_t k = 0; k < next.pwm.size(); ++k)
    if (auto from = plan.outputs[k].level_from;
        from && outputs_[*from]->line && same_line(outputs_[*from]->config, next.pwm[k]))
      plan.line_kept[*from] = true;
  return plan;
}

void PwmSet::before_lines_change(const Next& next) {
  for (std::size_t i = 0; i < outputs_.size(); ++i)
    if (outputs_[i]->line && !next.line_kept.at(i)) outputs_[i]->line->set_line(false);
}

void PwmSet::lines_unchanged(MonoTime now) {
  for (auto& output : outputs_) output->logic->redrive(now);
}

void PwmSet::apply(Next next, const config::Config& config, MonoTime now) {
  std::vector<std::unique_ptr<Output>> old = std::move(outputs_);
  outputs_.clear();
  base_topic_ = config.mqtt.base_topic;
  qos_ = config.mqtt.qos;
  std::size_t software_index = config.lines.size();
  for (std::size_t k = 0; k < config.pwm.size(); ++k) {
    Planned& planned = next.outputs.at(k);
    if (planned.kept) {
      auto& output = outputs_.emplace_back(std::move(old.at(*planned.kept)));
      output->config = config.pwm[k];
      if (output->line) output->line->move_to(software_index++);
      continue;
    }
    std::optional<int> level;
    if (planned.level_from) level = old.at(*planned.level_from)->logic->target();
    auto channel = std::move(planned.channel);
    if (planned.channel_from) channel = old.at(*planned.channel_from)->channel->hand_over();
    outputs_.push_back(make_output(config.pwm[k], std::move(channel), software_index, config, now, level));
    outputs_.back()->logic->on_connected();  // its state, as for a new line (dropped while disconnected)
  }
  for (auto& output : old) {
    if (!output) continue;  // kept
    retired_applied_ += output->logic->commands_applied();
    retired_rejected_ += output->logic->commands_rejected();
    // A channel no output took over is switched off before it is unexported (the kernel keeps
    // the last duty); a software one's line was switched off before it was released.
    if (output->channel && output->channel->has_channel()) output->channel->set_duty(0);
    bool removed = std::none_of(config.pwm.begin(), config.pwm.end(),
                                [&](const auto& o) { return o.name == output->config.name; });
    if (removed) {
      spdlog::info("reload: pwm '{}' removed: switched off", output->config.name);
      publisher_.publish({output->logic->state_topic(), "", qos_, true});
    }
  }
}

std::vector<std::string> PwmSet::subscriptions(const config::Config& config) {
  if (config.pwm.empty()) return {};
  bridge::LineTopics any = bridge::make_topics(config.mqtt.base_topic, "+");
  return {any.get, any.set};
}

bool PwmSet::on_message(std::string_view topic, std::string_view payload, bool retained, MonoTime now) {
  for (auto& output : outputs_)
    if (output->logic->on_message(topic, payload, retained, now)) return true;
  return false;
}

void PwmSet::on_connected() {
  for (auto& output : outputs_) output->logic->on_connected();
}

void PwmSet::on_disconnected(MonoTime now) {
  for (auto& output : outputs_) output->logic->on_disconnected(now);
}

void PwmSet::on_time(MonoTime now) {
  for (auto& output : outputs_)
    if (auto at = output->logic->next_deadline(); at && *at <= now) output->logic->on_time(now);
}

std::optional<MonoTime> PwmSet::next_deadline() const {
  std::optional<MonoTime> first;
  for (const auto& output : outputs_)
    if (auto at = output->logic->next_deadline(); at && (!first || *at < *first)) first = at;
  return first;
}

bridge::PwmOutput* PwmSet::find(std::string_view name) {
  for (auto& output : outputs_)
    if (output->logic->config().name == name) return &*output->logic;
  return nullptr;
}

const bridge::PwmOutput* PwmSet::find(std::string_view name) const { return const_cast<PwmSet*>(this)->find(name); }

std::vector<const bridge::PwmOutput*> PwmSet::outputs() const {
  std::vector<const bridge::PwmOutput*> out;
  for (const auto& output : outputs_) out.push_back(&*output->logic);
  return out;
}

std::uint64_t PwmSet::commands_applied() const {
  std::uint64_t sum = retired_applied_;
  for (const auto& output : outputs_) sum += output->logic->commands_applied();
  return sum;
}

std::uint64_t PwmSet::commands_rejected() const {
  std::uint64_t sum = retired_rejected_;
  for (const auto& output : outputs_) sum += output->logic->commands_rejected();
  return sum;
}

}  // namespace gpio2mqtt::service

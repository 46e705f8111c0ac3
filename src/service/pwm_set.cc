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

struct PwmSet::Channel {
  config::PwmOutputConfig config;
  std::unique_ptr<ChannelDrive> drive;
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

PwmSet::PwmSet(const config::Config& config, pwm::ChipProvider* provider, bridge::Publisher& publisher)
    : provider_(provider),
      publisher_(publisher),
      // Also without outputs yet: a reload may add some. Kept where the start put it.
      memory_(config.state_directory.empty() ? nullptr : std::make_unique<PwmMemoryFile>(config.state_directory)),
      outputs_(config.pwm),
      base_topic_(config.mqtt.base_topic),
      qos_(config.mqtt.qos) {
  for (const auto& output : config.pwm)
    if (output.kind == config::PwmOutputConfig::Kind::kHardware)
      channels_.push_back(std::make_unique<Channel>(
          Channel{output, std::make_unique<ChannelDrive>(open_channel(provider_, output), output, errors_)}));
}

PwmSet::~PwmSet() = default;

bridge::PwmDrive* PwmSet::channel(const std::string& name) {
  for (auto& channel : channels_)
    if (channel->config.name == name) return channel->drive.get();
  return nullptr;
}

PwmSet::Next PwmSet::prepare(const config::Config& next) const {
  Next plan;
  std::vector<bool> taken(channels_.size(), false);
  for (const auto& output : next.pwm) {
    auto& planned = plan.outputs.emplace_back();
    if (output.kind != config::PwmOutputConfig::Kind::kHardware) continue;
    planned.emplace();
    for (std::size_t i = 0; i < channels_.size(); ++i)
      if (channels_[i]->config.same_settings(output)) planned->kept = i, taken[i] = true;
  }
  // Opened last, so that a channel a kept output holds is never opened twice.
  for (std::size_t k = 0; k < next.pwm.size(); ++k) {
    const auto& output = next.pwm[k];
    auto& planned = plan.outputs[k];
    if (!planned || planned->kept) continue;
    for (std::size_t i = 0; i < channels_.size() && !planned->channel_from; ++i)
      if (!taken[i] && channels_[i]->config.pwm_chip == output.pwm_chip &&
          channels_[i]->config.channel == output.channel)
        planned->channel_from = i, taken[i] = true;
    if (!planned->channel_from) planned->channel = open_channel(provider_, output);
  }
  return plan;
}

std::vector<std::size_t> PwmSet::released_lines(const config::Config& running, const config::Config& next) {
  std::vector<std::size_t> out;
  std::size_t index = running.lines.size();
  for (const auto& output : running.pwm) {
    if (output.kind != config::PwmOutputConfig::Kind::kSoftware) continue;
    bool kept = std::any_of(next.pwm.begin(), next.pwm.end(), [&](const auto& o) {
      return o.kind == config::PwmOutputConfig::Kind::kSoftware && same_line(o, output);
    });
    if (!kept) out.push_back(index);
    ++index;
  }
  return out;
}

void PwmSet::apply(Next next, const config::Config& config) {
  std::vector<std::unique_ptr<Channel>> old = std::move(channels_);
  channels_.clear();
  for (std::size_t k = 0; k < config.pwm.size(); ++k) {
    auto& planned = next.outputs.at(k);
    if (!planned) continue;  // software
    const auto& output = config.pwm[k];
    if (planned->kept) {
      auto& channel = channels_.emplace_back(std::move(old.at(*planned->kept)));
      channel->config = output;
      continue;
    }
    auto opened =
        planned->channel_from ? old.at(*planned->channel_from)->drive->hand_over() : std::move(planned->channel);
    channels_.push_back(
        std::make_unique<Channel>(Channel{output, std::make_unique<ChannelDrive>(std::move(opened), output, errors_)}));
  }
  for (auto& channel : old)
    if (channel) retiring_.push_back(std::move(channel));
  for (const auto& output : outputs_)
    if (std::none_of(config.pwm.begin(), config.pwm.end(), [&](const auto& o) { return o.name == output.name; })) {
      spdlog::info("reload: pwm '{}' removed: switched off", output.name);
      cleared_topics_.push_back(bridge::make_topics(base_topic_, output.name).state);
    }
  outputs_ = config.pwm;
  base_topic_ = config.mqtt.base_topic;
  qos_ = config.mqtt.qos;
}

void PwmSet::finish() {
  // Off before the unexport: the kernel keeps a channel's last state.
  for (auto& channel : retiring_)
    if (channel->drive->has_channel()) channel->drive->set_duty(0);
  retiring_.clear();
  for (const auto& topic : cleared_topics_) publisher_.publish({topic, "", qos_, true});
  cleared_topics_.clear();
}

}  // namespace gpio2mqtt::service

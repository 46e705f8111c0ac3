#include "service/pwm_set.h"

#include <spdlog/spdlog.h>

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
    auto duty_ns = static_cast<std::uint64_t>(std::llround(duty * static_cast<double>(period_ns_)));
    try {
      channel_->apply({period_ns_, std::min(duty_ns, period_ns_), polarity_, true});
    } catch (const std::exception& e) {
      ++errors_;
      spdlog::error("PWM: {}", e.what());
    }
  }
  void set_line(bool) override {}

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

 private:
  LineSet& lines_;
  std::size_t index_;
  std::uint64_t& errors_;
};

}  // namespace

struct PwmSet::Output {
  std::unique_ptr<bridge::PwmDrive> drive;
  std::optional<bridge::PwmOutput> logic;
};

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
    : base_topic_(config.mqtt.base_topic),
      memory_(config.state_directory.empty() || config.pwm.empty()
                  ? nullptr
                  : std::make_unique<PwmMemoryFile>(config.state_directory)) {
  std::size_t software_index = config.lines.size();  // where the LineSet requested them
  for (const auto& output_config : config.pwm) {
    auto output = std::make_unique<Output>();
    if (output_config.kind == config::PwmOutputConfig::Kind::kSoftware) {
      output->drive = std::make_unique<LineDrive>(lines, software_index++, errors_);
    } else {
      if (!provider) throw config::ConfigError(output_config.chip_where, "pwm '" + output_config.name + "': no PWM");
      try {
        output->drive = std::make_unique<ChannelDrive>(provider->open(output_config.pwm_chip, output_config.channel),
                                                       output_config, errors_);
      } catch (const pwm::NotFound& e) {
        throw config::ConfigError(output_config.chip_where, "pwm '" + output_config.name + "': " + e.what());
      } catch (const pwm::Refused& e) {
        throw gpio::GpioError("pwm '" + output_config.name + "': " + e.what());
      }
    }
    output->logic.emplace(output_config, config.mqtt, *output->drive, memory_.get(), publisher, now);
    outputs_.push_back(std::move(output));
  }
}

PwmSet::~PwmSet() = default;

std::vector<std::string> PwmSet::subscriptions() const {
  if (outputs_.empty()) return {};
  bridge::LineTopics any = bridge::make_topics(base_topic_, "+");
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
  std::uint64_t sum = 0;
  for (const auto& output : outputs_) sum += output->logic->commands_applied();
  return sum;
}

std::uint64_t PwmSet::commands_rejected() const {
  std::uint64_t sum = 0;
  for (const auto& output : outputs_) sum += output->logic->commands_rejected();
  return sum;
}

}  // namespace gpio2mqtt::service

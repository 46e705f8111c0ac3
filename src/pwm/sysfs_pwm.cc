#include "pwm/sysfs_pwm.h"

#include <fcntl.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cstring>
#include <filesystem>
#include <optional>

#include "util/unique_fd.h"

namespace gpio2mqtt::pwm {
namespace {

namespace fs = std::filesystem;

// The first line of a sysfs attribute; nullopt when it cannot be read.
std::optional<std::string> read_line(const std::string& path) {
  UniqueFd in(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (!in.valid()) return std::nullopt;
  char buffer[128];
  ssize_t n;
  do n = ::read(in.get(), buffer, sizeof buffer);
  while (n < 0 && errno == EINTR);
  if (n < 0) return std::nullopt;
  std::string text(buffer, static_cast<std::size_t>(n));
  return text.substr(0, text.find('\n'));
}

std::optional<std::uint64_t> read_number(const std::string& path) {
  auto text = read_line(path);
  std::uint64_t value = 0;
  if (!text || std::from_chars(text->data(), text->data() + text->size(), value).ec != std::errc()) return std::nullopt;
  return value;
}

// A write to a sysfs attribute is one store: the whole value in one write(), at offset 0 so an
// fd kept open can be written again. The newline is what `echo` sends; the kernel accepts it.
int write_value(int fd, const std::string& value) {
  std::string text = value + "\n";
  ssize_t n;
  do n = ::pwrite(fd, text.data(), text.size(), 0);
  while (n < 0 && errno == EINTR);
  if (n == static_cast<ssize_t>(text.size())) return 0;
  return n < 0 ? errno : EIO;
}

int write_file(const std::string& path, const std::string& value) {
  UniqueFd out(::open(path.c_str(), O_WRONLY | O_CLOEXEC));
  if (!out.valid()) return errno;
  return write_value(out.get(), value);
}

void pause_briefly() {
  timespec ten_ms{0, 10'000'000};
  ::nanosleep(&ten_ms, nullptr);
}

// The device-tree path of a node under /sys/firmware/devicetree/base, e.g. /soc/pwm@7e20c000.
std::string device_tree_path(const fs::path& of_node) {
  static constexpr std::string_view kBase = "/devicetree/base";
  std::string text = of_node.string();
  auto at = text.rfind(kBase);
  if (at == std::string::npos) return "";
  std::string path = text.substr(at + kBase.size());
  return path.empty() ? "/" : path;
}

class SysfsChannel : public Channel {
 public:
  SysfsChannel(ChipInfo chip, std::string directory, unsigned channel, bool exported_here)
      : chip_(std::move(chip)),
        chip_directory_(std::move(directory)),
        channel_(channel),
        directory_(chip_directory_ + "/pwm" + std::to_string(channel)),
        exported_here_(exported_here) {
    period_.reset(::open((directory_ + "/period").c_str(), O_RDWR | O_CLOEXEC));
    duty_.reset(::open((directory_ + "/duty_cycle").c_str(), O_RDWR | O_CLOEXEC));
    if (!period_.valid() || !duty_.valid())
      throw Refused(describe() + ": cannot open its period and duty_cycle: " + std::strerror(errno));
    state_.period_ns = read_number(directory_ + "/period").value_or(0);
    state_.duty_ns = read_number(directory_ + "/duty_cycle").value_or(0);
    state_.polarity = read_line(directory_ + "/polarity") == "inversed" ? Polarity::kInversed : Polarity::kNormal;
    state_.enabled = read_number(directory_ + "/enable").value_or(0) != 0;
  }

  ~SysfsChannel() override {
    period_.reset();
    duty_.reset();
    if (exported_here_) write_file(chip_directory_ + "/unexport", std::to_string(channel_));
  }

  void apply(const State& wanted) override {
    if (wanted.duty_ns > wanted.period_ns)
      throw Refused(describe() + ": duty " + std::to_string(wanted.duty_ns) + " ns exceeds the period " +
                    std::to_string(wanted.period_ns) + " ns");
    bool polarity_changes = wanted.polarity != state_.polarity;
    // Most drivers change the polarity only while the output is off.
    if (polarity_changes && state_.enabled) store_enable(false);
    // The kernel refuses a duty longer than the period at every single write: shrink first.
    if (wanted.period_ns < state_.duty_ns) {
      store_duty(wanted.duty_ns);
      store_period(wanted.period_ns);
    } else {
      store_period(wanted.period_ns);
      store_duty(wanted.duty_ns);
    }
    if (polarity_changes) {
      const char* name = wanted.polarity == Polarity::kInversed ? "inversed" : "normal";
      check(write_file(directory_ + "/polarity", name), "polarity", name);
      state_.polarity = wanted.polarity;
    }
    if (wanted.enabled != state_.enabled) store_enable(wanted.enabled);
  }

  const State& state() const override { return state_; }
  std::string describe() const override {
    return chip_.sysfs_name + " (" + chip_.device + ") channel " + std::to_string(channel_);
  }

 private:
  void store_period(std::uint64_t ns) {
    if (ns == state_.period_ns) return;
    check(write_value(period_.get(), std::to_string(ns)), "period", std::to_string(ns) + " ns");
    state_.period_ns = ns;
  }
  void store_duty(std::uint64_t ns) {
    if (ns == state_.duty_ns) return;
    check(write_value(duty_.get(), std::to_string(ns)), "duty_cycle", std::to_string(ns) + " ns");
    state_.duty_ns = ns;
  }
  void store_enable(bool on) {
    check(write_file(directory_ + "/enable", on ? "1" : "0"), "enable", on ? "1" : "0");
    state_.enabled = on;
  }
  void check(int error, const char* attribute, const std::string& value) const {
    if (error == 0) return;
    throw Refused(describe() + ": " + attribute + " " + value + " refused: " + std::strerror(error) +
                  (error == EINVAL && std::string_view(attribute) == "period"
                       ? " (the chip cannot make this period; try another frequency)"
                       : ""));
  }

  ChipInfo chip_;
  std::string chip_directory_;
  unsigned channel_;
  std::string directory_;
  bool exported_here_;
  UniqueFd period_, duty_;
  State state_;
};

}  // namespace

SysfsPwm::SysfsPwm(std::string root, std::chrono::milliseconds export_wait)
    : root_(std::move(root)), export_wait_(export_wait) {}

std::vector<ChipInfo> SysfsPwm::chips() {
  std::vector<ChipInfo> found;
  std::error_code error;
  for (const auto& entry : fs::directory_iterator(class_directory(), error)) {
    std::string name = entry.path().filename().string();
    if (name.rfind("pwmchip", 0) != 0) continue;
    ChipInfo chip;
    chip.sysfs_name = name;
    chip.channels = static_cast<unsigned>(read_number(entry.path().string() + "/npwm").value_or(0));
    fs::path device = fs::canonical(entry.path() / "device", error);
    if (!error) chip.device = device.filename().string();
    fs::path of_node = fs::canonical(entry.path() / "device" / "of_node", error);
    if (!error) chip.device_tree = device_tree_path(of_node);
    found.push_back(std::move(chip));
  }
  // pwmchip2 before pwmchip10, for messages that read well.
  std::sort(found.begin(), found.end(), [](const ChipInfo& a, const ChipInfo& b) {
    return std::pair(a.sysfs_name.size(), a.sysfs_name) < std::pair(b.sysfs_name.size(), b.sysfs_name);
  });
  return found;
}

std::unique_ptr<Channel> SysfsPwm::open(const std::string& name, unsigned channel) {
  std::vector<ChipInfo> all = chips();
  const ChipInfo& chip = find_chip(all, name);
  if (channel >= chip.channels)
    throw NotFound("PWM chip '" + name + "' is " + chip.describe() + ": it has no channel " + std::to_string(channel));
  std::string directory = class_directory() + "/" + chip.sysfs_name;
  std::string channel_directory = directory + "/pwm" + std::to_string(channel);
  bool exported_here = false;
  if (::access(channel_directory.c_str(), F_OK) != 0) {
    int error = write_file(directory + "/export", std::to_string(channel));
    if (error != 0 && error != EBUSY)  // EBUSY: exported since we looked
      throw Refused(chip.describe() + ": cannot export channel " + std::to_string(channel) + ": " +
                    std::strerror(error) + (error == EACCES ? " (the daemon's user needs write access to it)" : ""));
    exported_here = error == 0;
  }
  // The kernel makes the directory at once; udev gives it the group's permissions a moment later.
  auto deadline = std::chrono::steady_clock::now() + export_wait_;
  while (::access((channel_directory + "/duty_cycle").c_str(), R_OK | W_OK) != 0 ||
         ::access((channel_directory + "/enable").c_str(), W_OK) != 0) {
    if (std::chrono::steady_clock::now() >= deadline)
      throw Refused(chip.describe() + ": channel " + std::to_string(channel) + " exported, but " + channel_directory +
                    " is not there or not writable after " + std::to_string(export_wait_.count()) + " ms");
    pause_briefly();
  }
  try {
    return std::make_unique<SysfsChannel>(chip, directory, channel, exported_here);
  } catch (...) {
    if (exported_here) write_file(directory + "/unexport", std::to_string(channel));
    throw;
  }
}

}  // namespace gpio2mqtt::pwm

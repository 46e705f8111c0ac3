#include "sensors/sysfs_source.h"

#include <fcntl.h>
#include <poll.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cstring>
#include <filesystem>
#include <optional>

#include "util/unique_fd.h"

namespace gpio2mqtt::sensors {
namespace {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

// The 1-Wire families w1_therm drives: DS18S20, DS1822, DS18B20, DS1825, DS28EA00.
constexpr const char* kThermFamilies[] = {"10-", "22-", "28-", "3b-", "42-"};
constexpr double kPowerOnMillidegrees = 85000;
constexpr std::size_t kMaxAttribute = 4096;

ReadError error(ReadError::Kind kind, std::string text) { return {kind, std::move(text)}; }

// The whole of a small file, without blocking past `deadline`: a file that can make the reader
// wait (a FIFO, a device) is waited on with poll. A sysfs attribute is always ready, and the
// kernel's read of it blocks as long as the driver does: the caller bounds that.
std::variant<std::string, ReadError> read_text(const std::string& path, Clock::time_point deadline) {
  UniqueFd fd(::open(path.c_str(), O_RDONLY | O_NONBLOCK | O_CLOEXEC));
  if (!fd.valid())
    return error(errno == ENOENT || errno == ENODEV || errno == ENXIO ? ReadError::Kind::kGone : ReadError::Kind::kIo,
                 path + ": " + std::strerror(errno));
  std::string text;
  char buffer[512];
  for (;;) {
    auto left = std::chrono::ceil<std::chrono::milliseconds>(deadline - Clock::now()).count();
    pollfd p{fd.get(), POLLIN, 0};
    int ready = ::poll(&p, 1, static_cast<int>(std::max<long long>(left, 0)));
    if (ready < 0 && errno == EINTR) continue;
    if (ready < 0) return error(ReadError::Kind::kIo, path + ": poll: " + std::strerror(errno));
    if (ready == 0 && Clock::now() < deadline) continue;  // poll's clock rounds differently
    if (ready == 0) return error(ReadError::Kind::kTimeout, path + ": no answer in time");
    ssize_t n = ::read(fd.get(), buffer, sizeof buffer);
    if (n < 0 && (errno == EINTR || errno == EAGAIN)) continue;
    if (n < 0)
      return error(errno == ENODEV || errno == ENOENT ? ReadError::Kind::kGone : ReadError::Kind::kIo,
                   path + ": " + std::strerror(errno));
    if (n == 0) return text;
    text.append(buffer, static_cast<std::size_t>(n));
    if (text.size() > kMaxAttribute) return error(ReadError::Kind::kIo, path + ": longer than a sysfs attribute");
  }
}

std::optional<double> parse_number(std::string_view text) {
  while (!text.empty() && (text.back() == '\n' || text.back() == ' ')) text.remove_suffix(1);
  while (!text.empty() && text.front() == ' ') text.remove_prefix(1);
  double value = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (text.empty() || ec != std::errc() || end != text.data() + text.size()) return std::nullopt;
  return value;
}

ReadResult read_number(const std::string& path, Clock::time_point deadline) {
  auto text = read_text(path, deadline);
  if (auto* failed = std::get_if<ReadError>(&text)) return *failed;
  const std::string& body = std::get<std::string>(text);
  if (auto value = parse_number(body)) return *value;
  return error(ReadError::Kind::kIo, path + ": not a number: '" + body.substr(0, 40) + "'");
}

bool exists(const std::string& path) { return ::access(path.c_str(), F_OK) == 0; }

// The prefix of the attributes that channels of one type share: the channel without its indices
// and modifier ("in_voltage0" -> "in_voltage", "in_temp_ambient" -> "in_temp"); a differential
// channel keeps both types ("in_voltage1-voltage2" -> "in_voltage-voltage").
std::string shared_prefix(const std::string& channel) {
  std::string prefix;
  for (char c : channel)
    if (!std::isdigit(static_cast<unsigned char>(c))) prefix += c;
  std::size_t start = prefix.find('_');
  if (prefix.find('-') == std::string::npos && start != std::string::npos) {
    std::size_t modifier = prefix.find('_', start + 1);
    if (modifier != std::string::npos) prefix.resize(modifier);
  }
  return prefix;
}

// The channel's own attribute, else the one its type shares; empty when neither exists.
std::string attribute(const std::string& dir, const std::string& channel, const std::string& suffix) {
  for (const std::string& prefix : {channel, shared_prefix(channel)}) {
    std::string path = dir + "/" + prefix + "_" + suffix;
    if (exists(path)) return path;
  }
  return {};
}

// iio:device2 before iio:device10.
bool numeric_order(const std::string& a, const std::string& b) {
  return a.size() != b.size() ? a.size() < b.size() : a < b;
}

std::vector<std::string> entries(const std::string& dir) {
  std::vector<std::string> names;
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(dir, ec)) names.push_back(entry.path().filename().string());
  std::sort(names.begin(), names.end(), numeric_order);
  return names;
}

std::string trimmed(std::string text) {
  while (!text.empty() && (text.back() == '\n' || text.back() == ' ')) text.pop_back();
  return text;
}

}  // namespace

ReadResult parse_w1_slave(const std::string& text) {
  auto crc = text.find("crc=");
  auto first_end = text.find('\n');
  if (crc == std::string::npos || first_end == std::string::npos || crc > first_end)
    return error(ReadError::Kind::kIo, "w1_slave: no crc= on its first line");
  std::string verdict = trimmed(text.substr(crc, first_end - crc));
  if (verdict.size() < 3 || verdict.compare(verdict.size() - 3, 3, "YES") != 0)
    return error(ReadError::Kind::kCrc, "w1_slave: " + verdict);
  auto t = text.find("t=", first_end);
  if (t == std::string::npos) return error(ReadError::Kind::kIo, "w1_slave: no t= on its second line");
  auto value = parse_number(std::string_view(text).substr(t + 2));
  if (!value) return error(ReadError::Kind::kIo, "w1_slave: t= is not a number");
  if (*value == kPowerOnMillidegrees)
    return error(ReadError::Kind::kPowerOn, "85 °C, the power-on value of a thermometer that did not convert");
  return *value;
}

std::string SysfsSource::iio_device(const std::string& device, std::string& why) const {
  if (device.front() == '/') {
    std::string path = device.rfind("/sys/", 0) == 0 ? root_ + device.substr(4) : device;
    if (!exists(path + "/name") && !exists(path)) why = "no IIO device at " + device;
    return why.empty() ? path : std::string();
  }
  std::string base = root_ + "/bus/iio/devices";
  std::vector<std::string> names;
  for (const auto& entry : entries(base)) {
    std::string dir = base + "/" + entry;
    auto text = read_text(dir + "/name", Clock::now() + std::chrono::milliseconds(100));
    if (auto* name = std::get_if<std::string>(&text)) {
      if (trimmed(*name) == device) return dir;
      names.push_back(trimmed(*name));
    }
  }
  std::string listed;
  for (const auto& name : names) listed += (listed.empty() ? "" : ", ") + name;
  why = "no IIO device named '" + device + "'" + (listed.empty() ? " (none found)" : " (found: " + listed + ")");
  return {};
}

ReadResult SysfsSource::read_iio(const Channel& channel, std::chrono::milliseconds timeout) const {
  const auto deadline = Clock::now() + timeout;
  std::string why;
  std::string dir = iio_device(channel.device, why);
  if (dir.empty()) return error(ReadError::Kind::kGone, why);
  std::string input = dir + "/" + channel.channel + "_input";
  if (exists(input)) return read_number(input, deadline);
  std::string raw_path = dir + "/" + channel.channel + "_raw";
  if (!exists(raw_path))
    return error(ReadError::Kind::kGone, dir + ": no " + channel.channel + "_input or " + channel.channel + "_raw");
  ReadResult raw = read_number(raw_path, deadline);
  if (std::holds_alternative<ReadError>(raw)) return raw;
  double offset = 0, scale = 1;
  for (auto [suffix, value] : {std::pair{"offset", &offset}, std::pair{"scale", &scale}}) {
    std::string path = attribute(dir, channel.channel, suffix);
    if (path.empty()) continue;
    ReadResult read = read_number(path, deadline);
    if (std::holds_alternative<ReadError>(read)) return read;
    *value = std::get<double>(read);
  }
  return (std::get<double>(raw) + offset) * scale;
}

ReadResult SysfsSource::read_w1(const Channel& channel, std::chrono::milliseconds timeout) const {
  const auto deadline = Clock::now() + timeout;
  std::string dir = root_ + "/bus/w1/devices/" + channel.device;
  if (!exists(dir)) return error(ReadError::Kind::kGone, "no 1-Wire device " + channel.device);
  if (exists(dir + "/temperature")) {
    auto text = read_text(dir + "/temperature", deadline);
    if (auto* failed = std::get_if<ReadError>(&text)) return *failed;
    // The kernel answers a conversion that failed its CRC check with nothing.
    if (trimmed(std::get<std::string>(text)).empty())
      return error(ReadError::Kind::kCrc, channel.device + ": the conversion failed its CRC check");
    auto value = parse_number(std::get<std::string>(text));
    if (!value) return error(ReadError::Kind::kIo, channel.device + "/temperature: not a number");
    if (*value == kPowerOnMillidegrees)
      return error(ReadError::Kind::kPowerOn, "85 °C, the power-on value of a thermometer that did not convert");
    return *value;
  }
  auto text = read_text(dir + "/w1_slave", deadline);
  if (auto* failed = std::get_if<ReadError>(&text)) return *failed;
  return parse_w1_slave(std::get<std::string>(text));
}

ReadResult SysfsSource::read(const Channel& channel, std::chrono::milliseconds timeout) {
  if (channel.kind == Channel::Kind::kW1) return read_w1(channel, timeout);
  return read_iio(channel, timeout);
}

std::vector<std::string> SysfsSource::w1_thermometers() {
  std::vector<std::string> ids;
  for (const auto& name : entries(root_ + "/bus/w1/devices"))
    for (const char* family : kThermFamilies)
      if (name.rfind(family, 0) == 0) ids.push_back(name);
  std::sort(ids.begin(), ids.end());
  return ids;
}

std::string SysfsSource::describe(const Channel& channel) {
  if (channel.kind == Channel::Kind::kW1) {
    std::string dir = root_ + "/bus/w1/devices/" + channel.device;
    if (exists(dir + "/temperature")) return "1-Wire " + channel.device + " (temperature)";
    if (exists(dir + "/w1_slave")) return "1-Wire " + channel.device + " (w1_slave)";
    std::string found;
    for (const auto& id : w1_thermometers()) found += (found.empty() ? "" : ", ") + id;
    return "not found: no 1-Wire thermometer " + channel.device +
           (found.empty() ? " (none found)" : " (found: " + found + ")");
  }
  std::string why;
  std::string dir = iio_device(channel.device, why);
  if (dir.empty()) return "not found: " + why;
  std::string device = fs::path(dir).filename().string();
  if (exists(dir + "/" + channel.channel + "_input")) return device + ": " + channel.channel + "_input";
  if (!exists(dir + "/" + channel.channel + "_raw")) return "not found: " + device + " has no " + channel.channel;
  std::string found = device + ": " + channel.channel + "_raw";
  for (const char* suffix : {"offset", "scale"}) {
    std::string path = attribute(dir, channel.channel, suffix);
    if (!path.empty()) found += ", " + fs::path(path).filename().string();
  }
  return found;
}

}  // namespace gpio2mqtt::sensors

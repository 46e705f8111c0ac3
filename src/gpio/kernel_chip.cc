#include "kernel_chip.h"

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <filesystem>
#include <set>
#include <string_view>
#include <utility>

#include "gpio/grouped_request.h"
#include "gpio/hardware.h"

namespace gpio2mqtt::gpio::kernel {

std::vector<std::string> gpiochip_paths() {
  std::vector<std::pair<unsigned long, std::string>> found;
  std::error_code ec;
  for (std::filesystem::directory_iterator it("/dev", ec), end; !ec && it != end; it.increment(ec)) {
    const std::string file = it->path().filename();
    constexpr std::string_view kPrefix = "gpiochip";
    if (file.size() <= kPrefix.size() || file.compare(0, kPrefix.size(), kPrefix) != 0) continue;
    unsigned long number = 0;
    const char* digits = file.data() + kPrefix.size();
    auto [end_of_number, error] = std::from_chars(digits, file.data() + file.size(), number);
    if (error != std::errc() || end_of_number != file.data() + file.size()) continue;
    std::error_code type_error;
    if (!it->is_character_file(type_error)) continue;
    found.emplace_back(number, it->path().string());
  }
  std::sort(found.begin(), found.end());  // gpiochip2 before gpiochip10
  std::vector<std::string> paths;
  for (auto& [number, path] : found) paths.push_back(std::move(path));
  return paths;
}

void throw_gpio_error(const std::system_error& e, const std::string& doing) {
  const int code = e.code().value();
  if (code == ENODEV || code == EIO)
    throw GpioError(doing + ": the chip is " + (code == ENODEV ? "gone" : "not answering") + " (" + e.code().message() +
                    "); its lines are requested again once it is back");
  throw GpioError(doing + ": " + e.code().message());
}

std::string open_failure(const std::system_error& e) {
  // Only the reason: every caller already says which path it was opening.
  std::string reason = e.code().message();
  // Plain Debian leaves /dev/gpiochip* to root; Raspberry Pi OS has a gpio group.
  if (e.code().value() == EACCES || e.code().value() == EPERM)
    reason += " (run as root or as a member of the group that owns the device)";
  // libgpiod 1.x says ENOTTY for a device that is no GPIO chip, 2.x ENODEV.
  if (e.code().value() == ENOTTY || e.code().value() == ENODEV) reason += " (not a GPIO chip device)";
  return reason;
}

std::optional<unsigned> NamedChip::find_line(const std::string& name) const {
  if (name.empty()) return std::nullopt;
  const auto& all = names();
  auto it = std::find(all.begin(), all.end(), name);
  if (it == all.end()) return std::nullopt;
  return static_cast<unsigned>(it - all.begin());
}

std::unique_ptr<LineRequest> NamedChip::request(const std::string& consumer, const std::vector<LineSettings>& lines) {
  std::set<unsigned> offsets;
  for (const auto& s : lines) {
    check_offset(s.offset);
    if (!offsets.insert(s.offset).second) throw GpioError(describe_line(s.offset) + " is listed twice in one request");
  }
  return request_in_groups(lines, kMaxLinesPerKernelRequest,
                           [&](const std::vector<LineSettings>& group) { return request_group(consumer, group); });
}

const std::vector<std::string>& NamedChip::names() const {
  if (names_.empty() && num_lines() > 0) {
    std::vector<std::string> fetched;
    for (unsigned offset = 0; offset < num_lines(); ++offset) {
      try {
        fetched.push_back(read_line_name(offset));
      } catch (const std::system_error& e) {
        throw_gpio_error(e, "reading the line names of " + describe());
      }
    }
    names_ = std::move(fetched);
  }
  return names_;
}

std::string NamedChip::describe_line(unsigned offset) const {
  const std::string& line_name = names().at(offset);
  std::string where = " of " + describe();
  if (line_name.empty()) return "line offset " + std::to_string(offset) + where;
  return "line '" + line_name + "' (offset " + std::to_string(offset) + ")" + where;
}

void NamedChip::check_offset(unsigned offset) const {
  if (offset >= num_lines())
    throw GpioError(describe() + " has no offset " + std::to_string(offset) + " (it has " +
                    std::to_string(num_lines()) + " lines)");
}

}  // namespace gpio2mqtt::gpio::kernel

namespace gpio2mqtt::gpio {
namespace {

class KernelProvider : public ChipProvider {
 public:
  std::vector<std::string> chip_paths() const override { return kernel::gpiochip_paths(); }
  std::unique_ptr<Chip> open(const std::string& path) override {
    try {
      return kernel::open_backend_chip(path);
    } catch (const std::system_error& e) {
      throw GpioError(kernel::open_failure(e));
    }
  }
};

}  // namespace

std::unique_ptr<ChipProvider> make_hardware_provider() { return std::make_unique<KernelProvider>(); }

}  // namespace gpio2mqtt::gpio

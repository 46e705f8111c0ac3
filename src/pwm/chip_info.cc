#include "gpio2mqtt/pwm/pwm.h"

namespace gpio2mqtt::pwm {

bool ChipInfo::named(const std::string& name) const {
  if (name.empty()) return false;
  if (name == sysfs_name || name == device || name == device_tree) return true;
  // The node's own name (pwm@98000), as overlays and schematics call it.
  auto slash = device_tree.rfind('/');
  return slash != std::string::npos && device_tree.substr(slash + 1) == name;
}

std::string ChipInfo::describe() const {
  std::string text = sysfs_name + " (" + (device.empty() ? "no device" : device);
  if (!device_tree.empty()) text += ", " + device_tree;
  return text + ", " + std::to_string(channels) + (channels == 1 ? " channel)" : " channels)");
}

const ChipInfo& find_chip(const std::vector<ChipInfo>& chips, const std::string& name) {
  std::vector<const ChipInfo*> matches;
  for (const auto& chip : chips)
    if (chip.named(name)) matches.push_back(&chip);
  // A device-tree node name can repeat across buses; the sysfs name and device name cannot.
  if (matches.size() == 1) return *matches.front();
  if (chips.empty())
    throw NotFound("no PWM chip '" + name +
                   "': this machine has none (on a Raspberry Pi: dtoverlay=pwm or pwm-2chan in config.txt)");
  std::string listed;
  for (const auto& chip : chips)
    if (matches.empty() || chip.named(name)) listed += (listed.empty() ? "" : "; ") + chip.describe();
  if (matches.empty()) throw NotFound("no PWM chip '" + name + "'; the PWM chips here: " + listed);
  throw NotFound("PWM chip '" + name + "' is ambiguous: it names " + listed +
                 "; name one by its device or device-tree path");
}

}  // namespace gpio2mqtt::pwm

// The kinds of devices (bridge/device.h), one entry each: adding a kind is adding its files and a
// line here.
#include "bridge/devices/cover_device.h"
#include "gpio2mqtt/bridge/device.h"
#include "gpio2mqtt/bridge/pwm_device.h"

namespace gpio2mqtt::bridge {
namespace {

// Announced by discovery with the `pwm:` section itself (bridge/pwm_discovery.cc), before the devices.
std::vector<std::pair<ComponentId, JsonObject>> no_components(const config::Config&) { return {}; }

std::vector<std::unique_ptr<Device>> make_covers(const config::Config& config, ModeHost& host) {
  std::vector<std::unique_ptr<Device>> out;
  for (const auto& cover : config.covers) out.push_back(std::make_unique<CoverDevice>(cover, host));
  return out;
}

const DeviceKind kKinds[] = {
    {"pwm", [](const config::Config& config) { return !config.pwm.empty(); }, make_pwm_devices, no_components},
    {"cover", [](const config::Config& c) { return !c.covers.empty(); }, make_covers, CoverDevice::components},
};

}  // namespace

std::span<const DeviceKind> device_kinds() { return kKinds; }

}  // namespace gpio2mqtt::bridge

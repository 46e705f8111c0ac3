// The kinds of devices (bridge/device.h), one entry each: adding a kind is adding its files and a
// line here.
#include "bridge/devices/cover_device.h"
#include "gpio2mqtt/bridge/device.h"

namespace gpio2mqtt::bridge {
namespace {

std::vector<std::unique_ptr<Device>> make_covers(const config::Config& config, ModeHost& host) {
  std::vector<std::unique_ptr<Device>> out;
  for (const auto& cover : config.covers) out.push_back(std::make_unique<CoverDevice>(cover, host));
  return out;
}

const DeviceKind kKinds[] = {
    {"cover", [](const config::Config& c) { return !c.covers.empty(); }, make_covers, CoverDevice::components},
};

}  // namespace

std::span<const DeviceKind> device_kinds() { return kKinds; }

}  // namespace gpio2mqtt::bridge

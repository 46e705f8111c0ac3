// The kinds of devices (bridge/device.h), one entry each: adding a kind is adding its files and a
// line here.
#include "gpio2mqtt/bridge/device.h"

namespace gpio2mqtt::bridge {

std::span<const DeviceKind> device_kinds() { return {}; }

}  // namespace gpio2mqtt::bridge

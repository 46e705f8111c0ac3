// A stable id for this installation, for Home Assistant's device and unique ids.
#pragma once

#include <string>
#include <string_view>

namespace gpio2mqtt {

// "gpio2mqtt_" and 16 hex digits: a hash of this machine's id as seen by gpio2mqtt alone
// (systemd's app-specific id: the machine id itself is never shown) and of `seed`, so two daemons
// on one machine with different seeds differ. Without a machine id, the host name stands in
// (and `warning` says so).
std::string derived_device_id(std::string_view seed, std::string* warning = nullptr);

}  // namespace gpio2mqtt

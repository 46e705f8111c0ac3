// What the D-Bus tests' client side needs that sdbus-c++ 1.x and 2.x spell differently; CMake
// builds sdbus_proxy_v1.cc or sdbus_proxy_v2.cc, as it picks src/dbus/endpoint*.cc.
#pragma once

#include <sdbus-c++/sdbus-c++.h>

#include <memory>

namespace gpio2mqtt::testing {

// A proxy of the daemon's object (io.github.gpio2mqtt, /io/github/gpio2mqtt) on `connection`.
std::unique_ptr<sdbus::IProxy> daemon_proxy(sdbus::IConnection& connection);
// Makes the signal handlers registered on `proxy` take effect (1.x needs finishRegistration()).
void finish_signal_registration(sdbus::IProxy& proxy);

}  // namespace gpio2mqtt::testing

// sdbus_proxy.h for sdbus-c++ 1.x: plain strings, and signal handlers need finishRegistration().
#include "sdbus_proxy.h"

namespace gpio2mqtt::testing {

std::unique_ptr<sdbus::IProxy> daemon_proxy(sdbus::IConnection& connection) {
  return sdbus::createProxy(connection, "io.github.gpio2mqtt", "/io/github/gpio2mqtt");
}

void finish_signal_registration(sdbus::IProxy& proxy) { proxy.finishRegistration(); }

}  // namespace gpio2mqtt::testing

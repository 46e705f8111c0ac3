// sdbus_proxy.h for sdbus-c++ 2.x: strong types for names and paths; handlers take effect at once.
#include "sdbus_proxy.h"

namespace gpio2mqtt::testing {

std::unique_ptr<sdbus::IProxy> daemon_proxy(sdbus::IConnection& connection) {
  return sdbus::createProxy(connection, sdbus::ServiceName("io.github.gpio2mqtt"),
                            sdbus::ObjectPath("/io/github/gpio2mqtt"));
}

void finish_signal_registration(sdbus::IProxy&) {}

}  // namespace gpio2mqtt::testing

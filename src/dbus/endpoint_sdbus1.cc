// Endpoint over sdbus-c++ 1.2 and the adaptor generated from the introspection XML (endpoint_sdbus2.cc
// is the one for sdbus-c++ 2.x; CMake builds one of them).
#include <poll.h>
#include <sdbus-c++/sdbus-c++.h>
#include <spdlog/spdlog.h>
#include <sys/epoll.h>

#include "daemon_object.h"
#include "gpio2mqtt/dbus/endpoint.h"
#include "gpio2mqtt_daemon1_adaptor.h"

namespace gpio2mqtt::dbus {
namespace {

// What sdbus-c++ 1.x names its way, for daemon_object.h.
struct Sdbus1 {
  using Adaptors = sdbus::AdaptorInterfaces<io::github::gpio2mqtt::Daemon1_adaptor, sdbus::Properties_adaptor>;
  static std::string object_path(const char* path) { return path; }
  [[noreturn]] static void fail(const CallError& error) {
    throw sdbus::Error(std::string("io.github.gpio2mqtt.Error.") + error.name, error.message);
  }
  static void emit_changed(sdbus::IObject& object, const std::vector<std::string>& names) {
    object.emitPropertiesChangedSignal(io::github::gpio2mqtt::Daemon1_adaptor::INTERFACE_NAME, names);
  }
  static std::unique_ptr<sdbus::IConnection> connect(config::Bus bus) {
    return bus == config::Bus::kSystem ? sdbus::createSystemBusConnection(kBusName)
                                       : sdbus::createSessionBusConnection(kBusName);
  }
  static bool process_pending(sdbus::IConnection& connection) { return connection.processPendingRequest(); }
};

// 1.x has one fd to poll, with the events it asks for.
class SdbusEndpoint : public SdbusEndpointBase<Sdbus1> {
 public:
  using SdbusEndpointBase::SdbusEndpointBase;

  int fd() const override { return connection_->getEventLoopPollData().fd; }
  std::uint32_t prepare_wait() override {
    short events = connection_->getEventLoopPollData().events;
    std::uint32_t out = 0;
    if (events & POLLIN) out |= EPOLLIN;
    if (events & POLLOUT) out |= EPOLLOUT;
    return out;
  }
};

}  // namespace

std::unique_ptr<Endpoint> open_endpoint(config::Bus bus, DaemonControl& control) {
  return open_sdbus_endpoint<SdbusEndpoint, Sdbus1>(bus, control);
}

}  // namespace gpio2mqtt::dbus

// Endpoint over sdbus-c++ 2.x (Debian 13) and the adaptor its xml2cpp generates from the
// introspection XML; endpoint_sdbus1.cc is the sdbus-c++ 1.2 one, and CMake builds one of them. Same bus
// name, object, interface, errors and behaviour; the object itself is daemon_object.h.
//
// What 2.x changes for an external event loop: getEventLoopPollData() has a second fd, eventFd,
// which sdbus-c++ signals when messages wait in its queues (after a synchronous call, for one).
// The event loop takes one fd per endpoint, so both go into an epoll of their own whose fd is the
// one the loop waits on; the bus fd's events are brought up to date there before every wait.
#include <poll.h>
#include <sdbus-c++/sdbus-c++.h>
#include <spdlog/spdlog.h>
#include <sys/epoll.h>

#include <cerrno>
#include <cstring>
#include <system_error>

#include "daemon_object.h"
#include "gpio2mqtt/dbus/endpoint.h"
#include "gpio2mqtt_daemon1_adaptor.h"
#include "util/unique_fd.h"

namespace gpio2mqtt::dbus {
namespace {

using io::github::gpio2mqtt::Daemon1_adaptor;

// What sdbus-c++ 2.x names its way (strong types for names and paths), for daemon_object.h.
struct Sdbus2 {
  using Adaptors = sdbus::AdaptorInterfaces<Daemon1_adaptor, sdbus::Properties_adaptor>;
  static sdbus::ObjectPath object_path(const char* path) { return sdbus::ObjectPath(path); }
  [[noreturn]] static void fail(const CallError& error) {
    throw sdbus::Error(sdbus::Error::Name("io.github.gpio2mqtt.Error." + error.name), error.message);
  }
  static void emit_changed(sdbus::IObject& object, const std::vector<std::string>& names) {
    std::vector<sdbus::PropertyName> properties(names.begin(), names.end());
    object.emitPropertiesChangedSignal(sdbus::InterfaceName(Daemon1_adaptor::INTERFACE_NAME), properties);
  }
  static std::unique_ptr<sdbus::IConnection> connect(config::Bus bus) {
    sdbus::ServiceName name(kBusName);
    return bus == config::Bus::kSystem ? sdbus::createSystemBusConnection(name)
                                       : sdbus::createSessionBusConnection(name);
  }
  static bool process_pending(sdbus::IConnection& connection) { return connection.processPendingEvent(); }
};

std::uint32_t epoll_events(short poll_events) {
  std::uint32_t out = 0;
  if (poll_events & POLLIN) out |= EPOLLIN;
  if (poll_events & POLLOUT) out |= EPOLLOUT;
  return out;
}

// The bus fd and eventFd in an epoll of its own, whose fd the event loop waits on.
class SdbusEndpoint : public SdbusEndpointBase<Sdbus2> {
 public:
  SdbusEndpoint(std::unique_ptr<sdbus::IConnection> connection, DaemonControl& control)
      : SdbusEndpointBase(std::move(connection), control), epoll_(::epoll_create1(EPOLL_CLOEXEC)) {
    if (!epoll_.valid()) throw std::system_error(errno, std::generic_category(), "epoll_create1");
    auto data = connection_->getEventLoopPollData();
    bus_fd_ = data.fd;
    event_fd_ = data.eventFd;
    watch(EPOLL_CTL_ADD, bus_fd_, epoll_events(data.events));
    watch(EPOLL_CTL_ADD, event_fd_, EPOLLIN);
  }

  int fd() const override { return epoll_.get(); }
  // The bus fd's events change (POLLOUT while sdbus-c++ has something to write): the inner epoll
  // is told before every wait.
  std::uint32_t prepare_wait() override {
    watch(EPOLL_CTL_MOD, bus_fd_, epoll_events(connection_->getEventLoopPollData().events));
    return EPOLLIN;  // the inner epoll is readable when the bus fd or eventFd is ready
  }

 private:
  void watch(int op, int fd, std::uint32_t events) {
    epoll_event event{};
    event.events = events;
    event.data.fd = fd;
    if (::epoll_ctl(epoll_.get(), op, fd, &event) != 0)
      spdlog::error("D-Bus: cannot watch fd {}: {}", fd, std::strerror(errno));
  }

  // eventFd is an eventfd: reading it resets it. Only when it is readable, so this never blocks.
  void before_processing() override {
    pollfd p{event_fd_, POLLIN, 0};
    if (::poll(&p, 1, 0) != 1 || !(p.revents & POLLIN)) return;
    std::uint64_t count = 0;
    if (::read(event_fd_, &count, sizeof count) < 0 && errno != EAGAIN)
      spdlog::error("D-Bus: cannot read the event fd: {}", std::strerror(errno));
  }

  UniqueFd epoll_;
  int bus_fd_ = -1;    // owned by the connection
  int event_fd_ = -1;  // owned by the connection
};

}  // namespace

std::unique_ptr<Endpoint> open_endpoint(config::Bus bus, DaemonControl& control) {
  return open_sdbus_endpoint<SdbusEndpoint, Sdbus2>(bus, control);
}

}  // namespace gpio2mqtt::dbus

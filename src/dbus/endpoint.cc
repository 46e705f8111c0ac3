// Endpoint over sdbus-c++ 1.2 and the adaptor generated from the introspection XML.
#include "gpio2mqtt/dbus/endpoint.h"

#include <poll.h>
#include <spdlog/spdlog.h>
#include <sys/epoll.h>

#include <sdbus-c++/sdbus-c++.h>

#include "gpio2mqtt/version.h"
#include "gpio2mqtt_daemon1_adaptor.h"

namespace gpio2mqtt::dbus {
namespace {

using Adaptors = sdbus::AdaptorInterfaces<io::github::gpio2mqtt::Daemon1_adaptor, sdbus::Properties_adaptor>;

[[noreturn]] void fail(const CallError& error) {
  throw sdbus::Error(std::string("io.github.gpio2mqtt.Error.") + error.name, error.message);
}

class DaemonObject final : public Adaptors {
 public:
  DaemonObject(sdbus::IConnection& connection, DaemonControl& control)
      : Adaptors(connection, kObjectPath), control_(control) {
    registerAdaptor();
  }
  ~DaemonObject() { unregisterAdaptor(); }

  void changed(const std::vector<std::string>& names) {
    getObject().emitPropertiesChangedSignal(io::github::gpio2mqtt::Daemon1_adaptor::INTERFACE_NAME, names);
  }

 private:
  bool GetLine(const std::string& name) override {
    auto level = control_.get_line(name);
    if (!level) fail({"UnknownLine", "no line '" + name + "' is configured"});
    return *level;
  }
  void SetLine(const std::string& name, const bool& active) override {
    if (auto error = control_.set_line(name, active)) fail(*error);
  }
  void Reload() override {
    if (auto error = control_.reload()) fail(*error);
  }
  bool Connected() override { return control_.connected(); }
  std::string Broker() override { return control_.broker(); }
  std::string Version() override { return kVersion; }
  uint64_t StartedAt() override { return control_.started_at_us(); }
  uint64_t EdgesPublished() override { return control_.counters().edges_published; }
  uint64_t CommandsApplied() override { return control_.counters().commands_applied; }
  uint64_t CommandsRejected() override { return control_.counters().commands_rejected; }
  std::string LastError() override { return control_.last_error(); }
  std::vector<sdbus::Struct<std::string, std::string, bool>> Lines() override {
    std::vector<sdbus::Struct<std::string, std::string, bool>> out;
    for (const auto& line : control_.lines())
      out.emplace_back(sdbus::make_struct(line.name, std::string(line.output ? "output" : "input"), line.active));
    return out;
  }

  DaemonControl& control_;
};

class SdbusEndpoint : public Endpoint {
 public:
  SdbusEndpoint(std::unique_ptr<sdbus::IConnection> connection, DaemonControl& control)
      : connection_(std::move(connection)), object_(*connection_, control) {}

  int fd() const override { return connection_->getEventLoopPollData().fd; }
  std::uint32_t poll_events() const override {
    short events = connection_->getEventLoopPollData().events;
    std::uint32_t out = 0;
    if (events & POLLIN) out |= EPOLLIN;
    if (events & POLLOUT) out |= EPOLLOUT;
    return out;
  }
  int timeout_ms() const override { return connection_->getEventLoopPollData().getPollTimeout(); }

  void process() override {
    try {
      while (connection_->processPendingRequest()) {
      }
    } catch (const std::exception& e) {
      spdlog::error("D-Bus: {}", e.what());
    }
  }

  void properties_changed(const std::vector<std::string>& names) override {
    try {
      object_.changed(names);
    } catch (const std::exception& e) {
      spdlog::warn("D-Bus: cannot signal changed properties: {}", e.what());
    }
  }

 private:
  std::unique_ptr<sdbus::IConnection> connection_;
  DaemonObject object_;
};

}  // namespace

std::unique_ptr<Endpoint> open_endpoint(config::Bus bus, DaemonControl& control) {
  if (bus == config::Bus::kOff) return nullptr;
  const char* which = bus == config::Bus::kSystem ? "system" : "session";
  try {
    auto connection = bus == config::Bus::kSystem ? sdbus::createSystemBusConnection(kBusName)
                                                  : sdbus::createSessionBusConnection(kBusName);
    auto endpoint = std::make_unique<SdbusEndpoint>(std::move(connection), control);
    spdlog::info("D-Bus: {} on the {} bus", kBusName, which);
    return endpoint;
  } catch (const sdbus::Error& e) {
    spdlog::warn("D-Bus: running without it: cannot serve {} on the {} bus: {}", kBusName, which, e.what());
    return nullptr;
  }
}

}  // namespace gpio2mqtt::dbus

// What the sdbus-c++ 1.x endpoint (endpoint_sdbus1.cc) and the 2.x one (endpoint_sdbus2.cc) share: the
// D-Bus object (the overrides of the adaptor sdbus-c++-xml2cpp generates from
// io.github.gpio2mqtt.Daemon1.xml, whose virtual methods are the same in both versions), the
// endpoint's common part and how it is opened. What the versions name differently comes from Api:
//   using Adaptors = sdbus::AdaptorInterfaces<...>;
//   static auto object_path(const char*);            // what Adaptors' constructor takes
//   [[noreturn]] static void fail(const CallError&); // throws the sdbus::Error
//   static void emit_changed(sdbus::IObject&, const std::vector<std::string>& names);
//   static std::unique_ptr<sdbus::IConnection> connect(config::Bus); // named kBusName
//   static bool process_pending(sdbus::IConnection&);                // one pending event
// Private to src/dbus; included after <sdbus-c++/sdbus-c++.h> and the generated adaptor.
#pragma once

#include <spdlog/spdlog.h>

#include <memory>
#include <string>
#include <system_error>
#include <tuple>
#include <vector>

#include "gpio2mqtt/dbus/endpoint.h"
#include "gpio2mqtt/version.h"

namespace gpio2mqtt::dbus {

template <class Api>
class DaemonObject final : public Api::Adaptors {
 public:
  DaemonObject(sdbus::IConnection& connection, DaemonControl& control)
      : Api::Adaptors(connection, Api::object_path(kObjectPath)), control_(control) {
    this->registerAdaptor();
  }
  ~DaemonObject() { this->unregisterAdaptor(); }

  void changed(const std::vector<std::string>& names) { Api::emit_changed(this->getObject(), names); }

 private:
  using LineStructs = std::vector<sdbus::Struct<std::string, std::string, bool>>;                 // a(ssb)
  using PwmStructs = std::vector<sdbus::Struct<std::string, bool, double>>;                       // a(sbd)
  using BindingStructs = std::vector<sdbus::Struct<std::string, std::string, bool, bool>>;        // a(ssbb)
  using SensorStructs = std::vector<sdbus::Struct<std::string, std::string, std::string, bool>>;  // a(sssb)

  bool GetLine(const std::string& name) override {
    auto level = control_.get_line(name);
    if (!level) Api::fail({"UnknownLine", "no line '" + name + "' is configured"});
    return *level;
  }
  void SetLine(const std::string& name, const bool& active) override {
    if (auto error = control_.set_line(name, active)) Api::fail(*error);
  }
  uint64_t GetCount(const std::string& name) override {
    auto count = control_.get_count(name);
    if (auto* error = std::get_if<CallError>(&count)) Api::fail(*error);
    return std::get<std::uint64_t>(count);
  }
  void SetCount(const std::string& name, const uint64_t& count) override {
    if (auto error = control_.set_count(name, count)) Api::fail(*error);
  }
  std::tuple<std::string, int32_t> GetCover(const std::string& name) override {
    auto cover = control_.get_cover(name);
    if (auto* error = std::get_if<CallError>(&cover)) Api::fail(*error);
    const auto& view = std::get<CoverView>(cover);
    return {view.state, view.position};
  }
  void SetCover(const std::string& name, const std::string& command) override {
    if (auto error = control_.set_cover(name, command)) Api::fail(*error);
  }
  std::tuple<bool, double> GetPwm(const std::string& name) override {
    auto pwm = control_.get_pwm(name);
    if (auto* error = std::get_if<CallError>(&pwm)) Api::fail(*error);
    const auto& view = std::get<PwmView>(pwm);
    return {view.on, view.percent};
  }
  void SetPwm(const std::string& name, const std::string& command) override {
    if (auto error = control_.set_pwm(name, command)) Api::fail(*error);
  }
  void SetBinding(const std::string& name, const bool& enabled) override {
    if (auto error = control_.set_binding(name, enabled)) Api::fail(*error);
  }
  void Reload() override {
    if (auto error = control_.reload()) Api::fail(*error);
  }
  bool Connected() override { return control_.connected(); }
  std::string Broker() override { return control_.broker(); }
  std::string Server() override { return control_.server(); }
  std::string Version() override { return kVersion; }
  uint64_t StartedAt() override { return control_.started_at_us(); }
  uint64_t EdgesPublished() override { return control_.counters().edges_published; }
  uint64_t CommandsApplied() override { return control_.counters().commands_applied; }
  uint64_t CommandsRejected() override { return control_.counters().commands_rejected; }
  uint64_t CommandsRateLimited() override { return control_.counters().commands_rate_limited; }
  uint64_t EventsDropped() override { return control_.counters().events_dropped; }
  uint64_t MessagesDropped() override { return control_.counters().messages_dropped; }
  uint64_t KernelEventsDropped() override { return control_.counters().kernel_events_dropped; }
  uint64_t PublishesRefused() override { return control_.counters().publishes_refused; }
  uint64_t LineErrors() override { return control_.counters().line_errors; }
  std::string LastError() override { return control_.last_error(); }
  LineStructs Lines() override {
    LineStructs out;
    for (const auto& line : control_.lines())
      out.emplace_back(sdbus::make_struct(line.name, std::string(line.output ? "output" : "input"), line.active));
    return out;
  }
  PwmStructs PwmOutputs() override {
    PwmStructs out;
    for (const auto& pwm : control_.pwm_outputs()) out.emplace_back(sdbus::make_struct(pwm.name, pwm.on, pwm.percent));
    return out;
  }
  BindingStructs Bindings() override {
    BindingStructs out;
    for (const auto& binding : control_.bindings())
      out.emplace_back(sdbus::make_struct(binding.name, binding.description, binding.enabled, binding.acting));
    return out;
  }
  std::string HomeAssistantStatus() override { return control_.homeassistant_status(); }
  uint64_t SensorReads() override { return control_.counters().sensor_reads; }
  uint64_t SensorFailures() override { return control_.counters().sensor_failures; }
  uint64_t SensorTimeouts() override { return control_.counters().sensor_timeouts; }
  uint64_t SensorReadingsDropped() override { return control_.counters().sensor_readings_dropped; }
  SensorStructs Sensors() override {
    SensorStructs out;
    for (const auto& sensor : control_.sensors())
      out.emplace_back(sdbus::make_struct(sensor.name, sensor.value, sensor.unit, sensor.available));
    return out;
  }

  DaemonControl& control_;
};

// The endpoint but for its fd and prepare_wait(), which differ between the versions.
template <class Api>
class SdbusEndpointBase : public Endpoint {
 public:
  SdbusEndpointBase(std::unique_ptr<sdbus::IConnection> connection, DaemonControl& control)
      : connection_(std::move(connection)), object_(*connection_, control) {}

  int timeout_ms() const override { return connection_->getEventLoopPollData().getPollTimeout(); }

  void process() override {
    try {
      before_processing();
      while (Api::process_pending(*connection_)) {
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

 protected:
  virtual void before_processing() {}

  std::unique_ptr<sdbus::IConnection> connection_;
  DaemonObject<Api> object_;
};

// Connects to the bus, takes the name and exports the object through an Impl endpoint (made from
// the connection and `control`); null after one warning when that fails.
template <class Impl, class Api>
std::unique_ptr<Endpoint> open_sdbus_endpoint(config::Bus bus, DaemonControl& control) {
  if (bus == config::Bus::kOff) return nullptr;
  const char* which = bus == config::Bus::kSystem ? "system" : "session";
  try {
    auto endpoint = std::make_unique<Impl>(Api::connect(bus), control);
    spdlog::info("D-Bus: {} on the {} bus", kBusName, which);
    return endpoint;
  } catch (const sdbus::Error& e) {
    spdlog::warn("D-Bus: running without it: cannot serve {} on the {} bus: {}", kBusName, which, e.what());
  } catch (const std::system_error& e) {
    spdlog::warn("D-Bus: running without it: {}", e.what());
  }
  return nullptr;
}

}  // namespace gpio2mqtt::dbus

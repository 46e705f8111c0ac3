// The daemon on D-Bus: name io.github.gpio2mqtt, object /io/github/gpio2mqtt, interface
// io.github.gpio2mqtt.Daemon1 (src/dbus/io.github.gpio2mqtt.Daemon1.xml). Served from the
// daemon's own event loop: no thread of its own.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "gpio2mqtt/config/config.h"
#include "gpio2mqtt/counters.h"

namespace gpio2mqtt::dbus {

inline constexpr const char* kBusName = "io.github.gpio2mqtt";
inline constexpr const char* kObjectPath = "/io/github/gpio2mqtt";
inline constexpr const char* kInterface = "io.github.gpio2mqtt.Daemon1";

struct LineView {
  std::string name;
  bool output = false;
  bool active = false;
};

struct CoverView {
  std::string state;  // open, opening, closed, closing, stopped
  int position = -1;  // 0-100; -1 while unknown
};

// A PWM output (`pwm:`): on or off, and the brightness it is at or fading to (0 while off).
struct PwmView {
  std::string name;
  bool on = false;
  double percent = 0;
};

// A local binding (`bindings:`) as the Bindings property shows it.
struct BindingView {
  std::string name;
  std::string description;  // "wall single → toggle light, when Home Assistant is offline"
  bool enabled = true;      // its run-time switch
  bool acting = false;      // switched on and its `when` met: a trigger would make it act now
};

// A sensor (`sensors:`) as the Sensors property shows it.
struct SensorView {
  std::string name;
  std::string value;  // as last published on its state topic; empty before the first
  std::string unit;
  bool available = false;  // false also before its first answer
};

// A failed call, returned as a D-Bus error `io.github.gpio2mqtt.Error.<name>`.
struct CallError {
  std::string name;  // UnknownLine, NotAnOutput, NotACounter, LineFailed, InvalidConfig,
                     // UnknownPwm, InvalidCommand, UnknownBinding, UnknownCover
  std::string message;
};

// What the object shows and does; implemented by the service.
class DaemonControl {
 public:
  virtual ~DaemonControl() = default;
  virtual bool connected() const = 0;
  virtual std::string broker() const = 0;  // mqtt.server: its addresses, ", " between them
  virtual std::string server() const = 0;  // the one connected to; empty while disconnected
  virtual std::uint64_t started_at_us() const = 0;
  virtual Counters counters() const = 0;
  virtual std::string last_error() const = 0;
  virtual std::vector<LineView> lines() const = 0;
  virtual std::optional<bool> get_line(const std::string& name) const = 0;
  virtual std::optional<CallError> set_line(const std::string& name, bool active) = 0;
  virtual std::optional<CallError> reload() = 0;
  // A counter's count in pulses, or why there is none.
  virtual std::variant<std::uint64_t, CallError> get_count(const std::string& name) const = 0;
  virtual std::optional<CallError> set_count(const std::string& name, std::uint64_t count) = 0;
  virtual std::variant<CoverView, CallError> get_cover(const std::string& name) const = 0;
  // `command` as the cover's set topic takes it.
  virtual std::optional<CallError> set_cover(const std::string& name, const std::string& command) = 0;
  virtual std::vector<PwmView> pwm_outputs() const = 0;
  virtual std::variant<PwmView, CallError> get_pwm(const std::string& name) const = 0;
  // `command` as the output's MQTT set topic takes it.
  virtual std::optional<CallError> set_pwm(const std::string& name, const std::string& command) = 0;
  virtual std::vector<BindingView> bindings() const = 0;
  // Switches a binding on or off as its MQTT set topic does (published, stored).
  virtual std::optional<CallError> set_binding(const std::string& name, bool enabled) = 0;
  virtual std::string homeassistant_status() const = 0;  // "online", "offline" or "unknown"
  virtual std::vector<SensorView> sensors() const = 0;
};

class Endpoint {
 public:
  virtual ~Endpoint() = default;
  virtual int fd() const = 0;
  // Called before each wait: brings what the endpoint waits for up to date (sdbus-c++ asks for
  // POLLOUT only while it has something to write) and returns the events to wait for on fd()
  // (EPOLLIN/EPOLLOUT).
  virtual std::uint32_t prepare_wait() = 0;
  // How long to wait at most (ms from now, -1: no limit).
  virtual int timeout_ms() const = 0;
  // Handles everything pending; never throws.
  virtual void process() = 0;
  virtual void properties_changed(const std::vector<std::string>& names) = 0;
};

// Connects to the bus, takes the name and exports the object. Null, after one warning, when
// the bus is not there or the name cannot be had: the daemon runs on without D-Bus.
std::unique_ptr<Endpoint> open_endpoint(config::Bus bus, DaemonControl& control);

}  // namespace gpio2mqtt::dbus

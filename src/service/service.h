// Wires config, lines, bridge, broker connection, systemd and D-Bus into one epoll loop.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <random>
#include <string>

#include "gpio2mqtt/bridge/bridge.h"
#include "gpio2mqtt/config/config.h"
#include "gpio2mqtt/dbus/endpoint.h"
#include "gpio2mqtt/mqtt/client.h"
#include "gpio2mqtt/util/clock.h"
#include "service/binding_file.h"
#include "service/connection_supervisor.h"
#include "service/counter_file.h"
#include "service/device_file.h"
#include "service/event_loop.h"
#include "service/gpio_supervisor.h"
#include "service/line_set.h"
#include "service/outbox_file.h"
#include "service/pwm_set.h"
#include "service/sensor_set.h"
#include "service/systemd.h"

namespace gpio2mqtt::service {

// Blocks SIGTERM, SIGINT and SIGHUP in the calling thread; call it before any other thread
// starts (paho's), so that they inherit the mask and the signals reach the loop's signalfd only.
void block_service_signals();

class ClientPublisher : public bridge::Publisher {
 public:
  explicit ClientPublisher(mqtt::Client*& client) : client_(client) {}
  bool publish(const Message& message) override { return client_ && client_->publish(message); }

 private:
  mqtt::Client*& client_;
};

// How the service gets what it cannot make itself: main passes the real things, tests fakes
// (a recording client, a config in memory, a clock they step).
struct ServiceParts {
  std::function<std::unique_ptr<mqtt::Client>(const config::MqttConfig&)> make_client;
  // Re-reads the configuration file (throws config::ConfigError).
  std::function<config::Config()> load_config;
  // What timers and the bridge are told the time is; borrowed, so it outlives the service.
  const Clock* clock = &monotonic_clock();
  // Where GPIO chip nodes come and go (and udev gives them their group).
  std::string device_dir = "/dev";
  // Where sensors are read (sensors/sysfs_source.h); borrowed. Null: sensors are not read.
  sensors::Source* sensor_source = nullptr;
  // Seeds what is random: mqtt.start_delay, the reconnect jitter, a shuffled server order.
  std::uint64_t random_seed = std::random_device{}();
  // Hardware PWM chips (`pwm:` outputs with `pwm_chip:`); borrowed. Null: none may be configured.
  pwm::ChipProvider* pwm = nullptr;
};

class Service : public dbus::DaemonControl {
 public:
  Service(config::Config config, LineSet& lines, ServiceParts parts);
  ~Service() override;
  // Runs until SIGTERM or SIGINT, then stops cleanly within 5 s; returns the exit code: kExitOk,
  // or kExitFailure when the loop itself failed (the outputs still go to their on_disconnect
  // levels and the Off status is still published).
  int run();
  // run() in steps, for a caller that drives the loop itself: start(), then run_once() until
  // stopping(), then stop(). run_once() waits up to `timeout_ms` (-1: until something happens)
  // and returns how many handlers ran.
  void start();
  std::size_t run_once(int timeout_ms);
  bool stopping() const { return stopping_; }
  void stop();

  // dbus::DaemonControl
  bool connected() const override { return bridge_.connected(); }
  std::string broker() const override;
  std::string server() const override { return bridge_.connected() ? connection_.server() : std::string(); }
  std::uint64_t started_at_us() const override { return started_at_us_; }
  // The bridge's, and the edge events the kernel dropped (from the lines).
  Counters counters() const override;
  // A failed reload, else why the broker connection is down.
  std::string last_error() const override { return last_error_.empty() ? connection_.problem() : last_error_; }
  std::vector<dbus::LineView> lines() const override;
  std::optional<bool> get_line(const std::string& name) const override;
  std::optional<dbus::CallError> set_line(const std::string& name, bool active) override;
  std::optional<dbus::CallError> reload() override;
  std::variant<std::uint64_t, dbus::CallError> get_count(const std::string& name) const override;
  std::optional<dbus::CallError> set_count(const std::string& name, std::uint64_t count) override;
  std::variant<dbus::CoverView, dbus::CallError> get_cover(const std::string& name) const override;
  std::optional<dbus::CallError> set_cover(const std::string& name, const std::string& command) override;
  std::vector<dbus::PwmView> pwm_outputs() const override;
  std::variant<dbus::PwmView, dbus::CallError> get_pwm(const std::string& name) const override;
  std::optional<dbus::CallError> set_pwm(const std::string& name, const std::string& command) override;
  std::vector<dbus::BindingView> bindings() const override;
  std::optional<dbus::CallError> set_binding(const std::string& name, bool enabled) override;
  std::string homeassistant_status() const override;
  std::vector<dbus::SensorView> sensors() const override;

 private:
  void on_signal();
  // Sets a line outside the switchboard (a reload's software PWM lines about to be released); logs
  // a failure.
  void write_quietly(std::size_t line, bool active);
  void on_mqtt_events();
  void on_connection_down(const mqtt::Event& event);
  void warn_about_the_connection();
  void use_client(std::unique_ptr<mqtt::Client> client);
  void open_dbus();
  void after_each_wakeup();
  void report_status();
  // ", 3 queued events dropped, ..." for each drop counted, empty when none was.
  static std::string describe_drops(const Counters& counters);

  std::unique_ptr<config::Config> config_;
  LineSet& lines_;
  ServiceParts parts_;
  EventLoop loop_;                             // before every registration, which it outlives
  std::unique_ptr<OutboxFile> outbox_file_;    // mqtt.persistence; before bridge_, which uses it
  std::unique_ptr<CounterFile> counter_file_;  // the state directory, when counters are configured
  std::unique_ptr<BindingFile> binding_file_;  // the state directory, when there is one
  std::unique_ptr<DeviceFile> device_file_;    // there too: what devices keep (a cover's position)
  std::unique_ptr<mqtt::Client> client_owner_;
  mqtt::Client* client_ = nullptr;
  ClientPublisher publisher_{client_};
  PwmSet pwm_;  // the `pwm:` outputs' channels and state files, lent to the bridge's devices
  StampedLines port_{lines_, *parts_.clock};  // lines_ as the bridge writes them
  bridge::Bridge bridge_;
  std::unique_ptr<SensorSet> sensors_;  // with a sensor source
  UniqueFd signal_fd_;
  SystemdNotifier systemd_;
  std::unique_ptr<dbus::Endpoint> dbus_;
  // Registrations, after the fds they watch: they go first.
  FdWatch signal_watch_;
  FdWatch client_watch_;
  FdWatch dbus_watch_;
  Timer bridge_timer_;
  Timer watchdog_timer_;
  Timer status_timer_;
  Timer republish_timer_;
  std::mt19937_64 random_;  // before connection_, which draws from it
  ConnectionSupervisor connection_;
  GpioSupervisor gpio_;
  std::string last_error_;
  Counters reported_{};
  std::uint64_t reported_binding_changes_ = 0;     // bridge_.bindings().changes() when D-Bus last heard
  std::uint64_t dropped_by_replaced_clients_ = 0;  // messages_dropped of the clients before client_
  bool warned_plain_remote_ = false;
  bool stopping_ = false;
  std::uint64_t started_at_us_ = 0;
};

}  // namespace gpio2mqtt::service

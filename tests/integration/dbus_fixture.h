// The fixture of the D-Bus tests (dbus_test.cc: the object itself, its access and its lines;
// dbus_devices_test.cc: covers, interlocks, PWM outputs, sensors): the daemon on a private
// dbus-daemon, read and driven by a real sdbus-c++ client.
#pragma once

#include <gtest/gtest.h>
#include <sdbus-c++/sdbus-c++.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include <cstdlib>
#include <fstream>
#include <iterator>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

#include "daemon_fixture.h"
#include "dbus_daemon.h"
#include "sdbus_proxy.h"

namespace gpio2mqtt::testing {
inline constexpr const char* kInterface = "io.github.gpio2mqtt.Daemon1";
inline const std::string kPolicy = std::string(GPIO2MQTT_SOURCE_DIR) + "/systemd/io.github.gpio2mqtt.conf";
// A software PWM output on the demo's spare line.
inline const char* const kHeater = "pwm:\n  heater: {line: GPIO17, period: 1s}\n";

class ADaemonOnDbus : public ADaemon {
 protected:
  void SetUp() override {
    ADaemon::SetUp();
    if (IsSkipped()) return;
    if (!DbusDaemon::available()) GTEST_SKIP() << "dbus-daemon is not installed (apt-get install dbus-daemon)";
  }
  // Starts a bus (session, or system with `policy` as its only policy file) and the daemon on it,
  // with the demo's lines and `more_lines`.
  void start_on_bus(const std::string& policy = "", const std::string& more_lines = "") {
    std::string policy_dir;
    if (!policy.empty()) {
      policy_dir = dir_ + "/policy";
      mkdir(policy_dir.c_str(), 0755);
      write_file(policy_dir + "/io.github.gpio2mqtt.conf", policy);
    }
    bus_ = std::make_unique<DbusDaemon>(dir_, policy_dir);
    std::string which = policy.empty() ? "session" : "system";
    std::string env = (policy.empty() ? "DBUS_SESSION_BUS_ADDRESS=" : "DBUS_SYSTEM_BUS_ADDRESS=") + bus_->address();
    start_daemon(
        "dbus: " + which + "\nstate_directory: " + dir_ + "/state\n" + demo_config(broker_->url()) + more_lines, {env});
    ASSERT_TRUE(came_online());
    connection_ = sdbus::createSessionBusConnectionWithAddress(bus_->address());
    proxy_ = daemon_proxy(*connection_);
  }
  template <typename T>
  T property(const std::string& name) {
    sdbus::Variant value = proxy_->getProperty(name).onInterface(kInterface);
    return value.get<T>();
  }
  // Runs busctl as user `nobody` against the bus; returns its exit status and output.
  std::pair<int, std::string> busctl_as_nobody(const std::string& arguments) {
    std::string out = dir_ + "/busctl.out";
    std::string command = "setpriv --reuid=65534 --regid=65534 --clear-groups busctl --address=" + bus_->address() +
                          " call io.github.gpio2mqtt /io/github/gpio2mqtt " + kInterface + " " + arguments + " > " +
                          out + " 2>&1";
    int status = std::system(command.c_str());
    std::ifstream in(out);
    std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    return {WEXITSTATUS(status), text};
  }

  // Records every PropertiesChanged signal in changes_ (under mutex_), on a thread of the client
  // connection's until connection_->leaveEventLoop().
  void record_changes() {
    proxy_->uponSignal("PropertiesChanged")
        .onInterface("org.freedesktop.DBus.Properties")
        .call([this](const std::string&, const std::map<std::string, sdbus::Variant>& changed,
                     const std::vector<std::string>&) {
          std::lock_guard lock(mutex_);
          changes_.push_back(changed);
        });
    finish_signal_registration(*proxy_);
    connection_->enterEventLoopAsync();
  }

  std::unique_ptr<DbusDaemon> bus_;
  std::unique_ptr<sdbus::IConnection> connection_;
  std::unique_ptr<sdbus::IProxy> proxy_;
  std::mutex mutex_;
  std::vector<std::map<std::string, sdbus::Variant>> changes_;
};

}  // namespace gpio2mqtt::testing

// Telling systemd the truth: sd_notify(3) READY, STATUS, WATCHDOG, RELOADING, STOPPING.
#pragma once

#include <chrono>
#include <optional>
#include <string>

namespace gpio2mqtt::service {

class SystemdNotifier {
 public:
  // Sends `state` ("READY=1", "STATUS=..."); a no-op when not started by systemd (no NOTIFY_SOCKET).
  void notify(const std::string& state);
  // Sends STATUS=`text` unless it is what systemd was told last.
  void status(const std::string& text);
  // How often to send WATCHDOG=1 (half of WATCHDOG_USEC), if systemd asks for it.
  std::optional<std::chrono::microseconds> watchdog_interval() const;

 private:
  std::string last_status_;
};

}  // namespace gpio2mqtt::service

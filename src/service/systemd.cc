#include "service/systemd.h"

#include <spdlog/spdlog.h>
#include <systemd/sd-daemon.h>

#include <cstring>

namespace gpio2mqtt::service {

void SystemdNotifier::notify(const std::string& state) {
  // unset_env = 0: unsetting NOTIFY_SOCKET would silence every later notification.
  int result = sd_notify(0, state.c_str());
  if (result < 0) spdlog::debug("sd_notify({}): {}", state, std::strerror(-result));
}

void SystemdNotifier::status(const std::string& text) {
  if (text == last_status_) return;
  last_status_ = text;
  notify("STATUS=" + text);
}

std::optional<std::chrono::microseconds> SystemdNotifier::watchdog_interval() const {
  uint64_t usec = 0;
  if (sd_watchdog_enabled(0, &usec) <= 0 || usec == 0) return std::nullopt;
  return std::chrono::microseconds(usec / 2);
}

}  // namespace gpio2mqtt::service

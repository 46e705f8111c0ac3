#include "daemon.h"

namespace gpio2mqtt::testing {

std::string daemon_binary() { return GPIO2MQTT_BINARY; }

Daemon::Daemon(const std::string& dir, const std::string& config_yaml, std::vector<std::string> env) : dir_(dir) {
  write_file(config_path(), config_yaml);
  process_ = std::make_unique<Process>(
      std::vector<std::string>{daemon_binary(), "--config", config_path(), "--log-level", "debug"},
      dir + "/gpio2mqtt.log", std::move(env));
}

}  // namespace gpio2mqtt::testing

// YAML -> Config. Every mistake is a ConfigError naming file:line:col and what was expected.
#pragma once

#include <stdexcept>
#include <string>

#include "gpio2mqtt/config/config.h"

namespace gpio2mqtt::config {

class ConfigError : public std::runtime_error {
 public:
  ConfigError(Location where, const std::string& message)
      : std::runtime_error(where.str() + ": " + message), where_(std::move(where)) {}
  const Location& where() const { return where_; }

 private:
  Location where_;
};

// Reads and validates `path`; `hostname` replaces {hostname} in client_id and topics.
Config load_config_file(const std::string& path, const std::string& hostname);
// The same for text already read; `file` is the name used in messages.
Config parse_config(const std::string& text, const std::string& file, const std::string& hostname);
// Where counters keep their totals when the file does not say: `environment` ($STATE_DIRECTORY,
// may be null; load_config_file passes it).
void resolve_state_directory(Config& config, const char* environment);
// Before the daemon starts or reloads: throws ConfigError at the first counter when counters are
// configured and no state directory is known. (--check-config does not: outside systemd the
// variable is missing while the service would have it.)
void require_state_directory(const Config& config);

}  // namespace gpio2mqtt::config

// YAML -> Config. Every mistake is a ConfigError naming file:line:col and what was expected.
#pragma once

#include <stdexcept>
#include <string>
#include <vector>

#include "gpio2mqtt/config/config.h"

namespace gpio2mqtt::config {

class ConfigError : public std::runtime_error {
 public:
  // The message quotes the file: what is not printable text is escaped, never passed on raw.
  ConfigError(Location where, const std::string& message);
  const Location& where() const { return where_; }

 private:
  Location where_;
};

// This machine, for the {hostname} and {machine_id} placeholders in client_id and topics, and
// for the default client id.
struct Host {
  Host(const char* name_) : name(name_) {}
  Host(std::string name_, std::string machine_id_ = "") : name(std::move(name_)), machine_id(std::move(machine_id_)) {}
  std::string name;
  std::string machine_id;  // as in /etc/machine-id; empty when unknown
};

// Reads and validates `path`.
Config load_config_file(const std::string& path, const Host& host);
// The same for text already read; `file` is the name used in messages.
Config parse_config(const std::string& text, const std::string& file, const Host& host);
// Where counters keep their totals when the file does not say: `environment` ($STATE_DIRECTORY,
// may be null; load_config_file passes it).
void resolve_state_directory(Config& config, const char* environment);
// Adds a sensor for each 1-Wire thermometer in `found` (ids) to every `w1: all` entry, named
// <name>_<id> ('-' as '_'), except those a sensor of their own already reads.
void expand_w1_all(Config& config, const std::vector<std::string>& found);
// Before the daemon starts or reloads: throws ConfigError at the first counter when counters are
// configured and no state directory is known. (--check-config does not: outside systemd the
// variable is missing while the service would have it.)
void require_state_directory(const Config& config);

}  // namespace gpio2mqtt::config

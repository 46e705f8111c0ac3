// The bindings' run-time switches kept in the state directory (systemd's StateDirectory,
// /var/lib/gpio2mqtt), so that a binding switched off stays off across restarts.
#pragma once

#include <map>
#include <optional>
#include <string>

#include "gpio2mqtt/bridge/bindings.h"

namespace gpio2mqtt::service {

// One file, `bindings.state`: a first line "gpio2mqtt bindings 1", then "<name> on|off" for each
// binding ever switched. A save writes `bindings.state.new`, syncs it and renames it in place, then
// syncs the directory: a power cut leaves the old file or the new one. A line it cannot read is
// warned about and skipped (that binding is on). Names of bindings no longer configured stay.
class BindingFile : public bridge::BindingStore {
 public:
  // Creates the directory if missing and reads the file; throws std::runtime_error when the
  // directory cannot be made.
  explicit BindingFile(std::string directory);

  std::optional<bool> load(const std::string& name) override;
  void save(const std::string& name, bool enabled) override;

  std::string path() const { return directory_ + "/bindings.state"; }
  // Saves that failed (each logged); the switch carries on in memory.
  std::uint64_t errors() const { return errors_; }

  static std::string format(const std::map<std::string, bool>& switches);
  // What a file's text holds; `problems` counts the lines it could not read.
  static std::map<std::string, bool> parse(const std::string& text, std::size_t& problems);

 private:
  std::string directory_;
  std::map<std::string, bool> switches_;
  std::uint64_t errors_ = 0;
};

}  // namespace gpio2mqtt::service

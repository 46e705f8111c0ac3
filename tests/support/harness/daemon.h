// The real gpio2mqtt binary as a subprocess, with a config written for the test.
#pragma once

#include <memory>
#include <string>

#include "process.h"

namespace gpio2mqtt::testing {

// The binary under test (set by CMake).
std::string daemon_binary();

class Daemon {
 public:
  // Writes `config_yaml` to `dir`/config.yaml and starts the daemon on it.
  Daemon(const std::string& dir, const std::string& config_yaml, std::vector<std::string> env = {});
  Process& process() { return *process_; }
  std::string log() const { return process_->log(); }
  std::string config_path() const { return dir_ + "/config.yaml"; }

 private:
  std::string dir_;
  std::unique_ptr<Process> process_;
};

}  // namespace gpio2mqtt::testing

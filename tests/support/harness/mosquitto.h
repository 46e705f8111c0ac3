// A real mosquitto on a free 127.0.0.1 port, for one test; can be killed and restarted.
#pragma once

#include <memory>
#include <string>

#include "process.h"

namespace gpio2mqtt::testing {

class Mosquitto {
 public:
  static bool available();
  // `extra` is appended to the config (more listeners); it turns on per_listener_settings.
  // `global` is appended too but leaves that off: options that apply to the whole broker
  // (persistence, queue limits); a later line wins over the defaults written before it.
  explicit Mosquitto(const std::string& dir, std::string extra = "", std::string global = "");
  int port() const { return port_; }
  std::string url() const { return "mqtt://127.0.0.1:" + std::to_string(port_); }
  // Starts it (again, on the same port) and waits until it accepts connections.
  void start();
  // SIGKILL: no goodbye to anybody, as when the broker's host dies.
  void kill();
  bool running() const { return process_ != nullptr; }

 private:
  std::string dir_;
  std::string extra_;
  std::string global_;
  int port_;
  int starts_ = 0;
  std::unique_ptr<Process> process_;
};

}  // namespace gpio2mqtt::testing

// MQTT clients and a broker nobody on the project wrote, as processes the tests drive:
// python3-paho-mqtt (a tutorial-style client), MQTT.js and the aedes broker (npm, installed by
// scripts/test into $GPIO2MQTT_NPM_CACHE, default /var/cache/gpio2mqtt-npm). Scripts: tests/clients.
#pragma once

#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "mqtt_client.h"
#include "process.h"

namespace gpio2mqtt::testing {

// What is missing to run them ("" when nothing is). Under scripts/test, which installs them,
// GPIO2MQTT_REAL_CLIENTS=required is set and a test fails instead of skipping.
std::string missing_real_clients();
bool real_clients_required();

// Drives one of tests/clients through a FIFO and reads what it saw from its output.
class ScriptedClient {
 public:
  // tests/clients/paho_tutorial_client.py; `transport` is "tcp" or "websockets".
  static std::unique_ptr<ScriptedClient> python_paho(const std::string& dir, int port, const std::string& version,
                                                     const std::string& transport = "tcp");
  // tests/clients/mqttjs_client.cjs; `url` is mqtt://127.0.0.1:port or ws://127.0.0.1:port.
  static std::unique_ptr<ScriptedClient> mqttjs(const std::string& dir, const std::string& url,
                                                const std::string& version);
  ScriptedClient(const std::string& dir, const std::string& name, std::vector<std::string> argv);
  ~ScriptedClient();

  std::string name() const { return name_; }
  // Each returns once the broker acknowledged it (false after 10 s).
  bool subscribe(const std::string& filter);
  bool unsubscribe(const std::string& filter);
  bool publish(const std::string& topic, const std::string& payload, bool retain = false, int qos = 1);
  // How many times it has connected so far; waits until it has connected `count` times.
  bool connected(std::size_t count, std::chrono::milliseconds timeout = std::chrono::seconds(20));

  std::vector<Received> messages() const;
  std::size_t size() const { return messages().size(); }
  std::optional<std::size_t> wait_for(const std::string& topic, const std::string& payload, std::size_t from = 0,
                                      std::chrono::milliseconds timeout = std::chrono::seconds(10)) const;
  std::string log() const { return process_->log(); }

 private:
  std::vector<std::string> lines(char kind) const;
  bool send_and_wait(const std::string& command, const std::string& acknowledgement);

  std::string name_;
  std::string fifo_;
  std::unique_ptr<Process> process_;
  int commands_ = -1;
};

// aedes on a free 127.0.0.1 port (tests/clients/aedes_broker.cjs); MQTT 3.1.1 only.
class Aedes {
 public:
  explicit Aedes(const std::string& dir);
  int port() const { return port_; }
  std::string url() const { return "mqtt://127.0.0.1:" + std::to_string(port_); }
  void start();
  void kill();

 private:
  std::string dir_;
  int port_;
  int starts_ = 0;
  std::unique_ptr<Process> process_;
};

}  // namespace gpio2mqtt::testing

// A RabbitMQ cluster from Debian's rabbitmq-server, its MQTT plugin on, for the fleet tests and
// bench: `nodes` nodes on this machine (node names fleetN@localhost), each with its own ports,
// directory and MQTT listener, joined to the first with `rabbitmqctl join_cluster`. Everything
// listens on 127.0.0.1 only: the nodes, their Erlang distribution, and an epmd of its own on a
// free port (with a cookie in the cluster's directory), so that it meets no other Erlang node.
// Starting three takes tens of seconds; RabbitMQ's MQTT plugin wants a majority of the nodes up.
#pragma once

#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include "process.h"

namespace gpio2mqtt::testing {

class RabbitCluster {
 public:
  static bool available();
  // Starts the nodes and joins them; throws std::runtime_error (with what the tools said) when
  // that fails within `timeout`.
  RabbitCluster(const std::string& dir, int nodes, std::chrono::seconds timeout = std::chrono::seconds(240));
  ~RabbitCluster();  // stops every node and its epmd

  int size() const { return static_cast<int>(nodes_.size()); }
  int mqtt_port(int node) const { return nodes_.at(static_cast<std::size_t>(node)).mqtt_port; }
  std::string mqtt_url(int node) const { return "mqtt://127.0.0.1:" + std::to_string(mqtt_port(node)); }
  std::vector<std::string> mqtt_urls() const;

  // A node's end: `crash` SIGKILLs it (as a dead host), else `rabbitmqctl stop` (a clean stop,
  // which closes its clients' connections). Returns once its MQTT port is closed.
  void stop(int node, bool crash = false);
  // Starts a stopped node again (it rejoins by itself) and waits until it serves MQTT.
  void start(int node);
  // Every node stopped, the last first (it then waits for no other when it starts).
  void stop_all();
  // Every node started together (a cluster's nodes wait for each other), until each serves MQTT.
  void start_all();

 private:
  struct Node {
    std::string name;
    std::string dir;  // its configuration, data, logs and pid file
    int amqp_port = 0, dist_port = 0, mqtt_port = 0;
    std::unique_ptr<Process> process;
    int starts = 0;
  };
  std::vector<std::string> env(const Node& node) const;
  void launch(Node& node);
  void await(Node& node, std::chrono::seconds timeout);
  // rabbitmqctl on `node`; throws with its output when it fails.
  void ctl(const Node& node, const std::vector<std::string>& args, std::chrono::seconds timeout);

  std::string dir_;
  int epmd_port_;
  std::unique_ptr<Process> epmd_;  // before the nodes: it goes last
  std::vector<Node> nodes_;
};

}  // namespace gpio2mqtt::testing

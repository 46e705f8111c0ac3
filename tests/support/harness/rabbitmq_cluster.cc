#include "rabbitmq_cluster.h"

#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <stdexcept>

namespace gpio2mqtt::testing {
namespace {

constexpr const char* kServer = "/usr/lib/rabbitmq/bin/rabbitmq-server";
constexpr const char* kCtl = "/usr/lib/rabbitmq/bin/rabbitmqctl";

std::string tail(const std::string& text, std::size_t chars = 2000) {
  return text.size() <= chars ? text : text.substr(text.size() - chars);
}

// SIGKILLs a node's Erlang VM: rabbitmq-server is a script that runs it as its child, and
// killing the script would leave the node running.
bool kill_vm(const std::string& pid_file_path) {
  std::ifstream pid_file(pid_file_path);
  pid_t vm = 0;
  if (!(pid_file >> vm) || vm <= 0) return false;
  return ::kill(vm, SIGKILL) == 0;
}

}  // namespace

bool RabbitCluster::available() { return access(kServer, X_OK) == 0 && access(kCtl, X_OK) == 0; }

RabbitCluster::RabbitCluster(const std::string& dir, int nodes, std::chrono::seconds timeout)
    : dir_(dir), epmd_port_(free_port()) {
  // The Erlang cookie lives in $HOME, which is the cluster's directory for every node and tool.
  write_file(dir_ + "/.erlang.cookie", "gpio2mqtt-fleet-" + std::to_string(epmd_port_) + "\n");
  chmod((dir_ + "/.erlang.cookie").c_str(), 0400);
  write_file(dir_ + "/enabled_plugins", "[rabbitmq_mqtt].\n");
  // Our own epmd, in the foreground, so that it ends with the cluster (the one erl would start
  // is a daemon that outlives it).
  epmd_ = std::make_unique<Process>(
      std::vector<std::string>{"epmd", "-port", std::to_string(epmd_port_), "-address", "127.0.0.1"},
      dir_ + "/epmd.log");
  if (!eventually([&] { return port_open(epmd_port_); }, std::chrono::seconds(10)))
    throw std::runtime_error("epmd did not start on port " + std::to_string(epmd_port_));
  for (int i = 1; i <= nodes; ++i) {
    Node node;
    node.name = "fleet" + std::to_string(i) + "@localhost";
    node.amqp_port = free_port();
    node.dist_port = free_port();
    node.mqtt_port = free_port();
    node.dir = dir_ + "/node" + std::to_string(i);
    std::filesystem::create_directories(node.dir);
    // Anonymous MQTT clients log in as guest, whom RabbitMQ lets in from loopback only anyway.
    write_file(node.dir + "/rabbitmq.conf",
               "listeners.tcp.default = 127.0.0.1:" + std::to_string(node.amqp_port) +
                   "\nmqtt.listeners.tcp.default = 127.0.0.1:" + std::to_string(node.mqtt_port) +
                   "\nmqtt.allow_anonymous = true\nlog.console = false\n"
                   "log.file.level = warning\n");
    nodes_.push_back(std::move(node));
  }
  auto deadline = std::chrono::steady_clock::now() + timeout;
  auto left = [&] {
    return std::max(std::chrono::seconds(1),
                    std::chrono::duration_cast<std::chrono::seconds>(deadline - std::chrono::steady_clock::now()));
  };
  for (auto& node : nodes_) launch(node);
  for (auto& node : nodes_) await(node, left());
  for (std::size_t i = 1; i < nodes_.size(); ++i) {
    ctl(nodes_[i], {"stop_app"}, left());
    ctl(nodes_[i], {"join_cluster", nodes_[0].name}, left());
    ctl(nodes_[i], {"start_app"}, left());
  }
  for (auto& node : nodes_) await(node, left());
}

RabbitCluster::~RabbitCluster() {
  for (auto& node : nodes_) {
    if (!node.process) continue;
    node.process->signal(SIGTERM);  // rabbitmq-server stops the node cleanly on SIGTERM
  }
  for (auto& node : nodes_)
    if (node.process && !node.process->wait(std::chrono::seconds(30))) kill_vm(node.dir + "/pid");
  for (auto& node : nodes_) node.process.reset();
}

std::vector<std::string> RabbitCluster::mqtt_urls() const {
  std::vector<std::string> out;
  for (int i = 0; i < size(); ++i) out.push_back(mqtt_url(i));
  return out;
}

std::vector<std::string> RabbitCluster::env(const Node& node) const {
  const std::string& own = node.dir;
  return {"HOME=" + dir_,
          "ERL_EPMD_ADDRESS=127.0.0.1",
          "ERL_EPMD_PORT=" + std::to_string(epmd_port_),
          "RABBITMQ_NODENAME=" + node.name,
          "RABBITMQ_NODE_IP_ADDRESS=127.0.0.1",
          "RABBITMQ_NODE_PORT=" + std::to_string(node.amqp_port),
          "RABBITMQ_DIST_PORT=" + std::to_string(node.dist_port),
          "RABBITMQ_MNESIA_BASE=" + own + "/mnesia",
          "RABBITMQ_LOG_BASE=" + own + "/log",
          "RABBITMQ_CONFIG_FILE=" + own + "/rabbitmq.conf",
          "RABBITMQ_ADVANCED_CONFIG_FILE=" + own + "/advanced.config",
          "RABBITMQ_ENABLED_PLUGINS_FILE=" + dir_ + "/enabled_plugins",
          "RABBITMQ_PID_FILE=" + own + "/pid",
          "RABBITMQ_SERVER_ADDITIONAL_ERL_ARGS=-kernel inet_dist_use_interface {127,0,0,1}"};
}

void RabbitCluster::launch(Node& node) {
  node.process = std::make_unique<Process>(std::vector<std::string>{kServer},
                                           node.dir + "/server-" + std::to_string(++node.starts) + ".log", env(node));
}

void RabbitCluster::await(Node& node, std::chrono::seconds timeout) {
  // `wait` waits for the pid file, then for the node to have started its applications.
  ctl(node, {"wait", "--timeout", std::to_string(timeout.count()), node.dir + "/pid"},
      timeout + std::chrono::seconds(5));
  if (!eventually([&] { return port_open(node.mqtt_port); }, timeout))
    throw std::runtime_error(node.name + " does not serve MQTT on port " + std::to_string(node.mqtt_port));
}

void RabbitCluster::ctl(const Node& node, const std::vector<std::string>& args, std::chrono::seconds timeout) {
  std::vector<std::string> argv{kCtl, "-n", node.name};
  argv.insert(argv.end(), args.begin(), args.end());
  std::string log = dir_ + "/rabbitmqctl.log";
  Process tool(argv, log, env(node));
  auto status = tool.wait(timeout);
  if (status != 0)
    throw std::runtime_error("rabbitmqctl " + args.front() + " on " + node.name +
                             (status ? " failed (" + std::to_string(*status) + ")" : " timed out") + ": " +
                             tail(tool.log()));
}

void RabbitCluster::stop(int index, bool crash) {
  Node& node = nodes_.at(static_cast<std::size_t>(index));
  if (!node.process) return;
  if (crash) {
    if (!kill_vm(node.dir + "/pid")) throw std::runtime_error("no pid file for " + node.name);
  } else {
    ctl(node, {"stop"}, std::chrono::seconds(60));
  }
  node.process->wait(std::chrono::seconds(60));
  node.process.reset();
  if (!eventually([&] { return !port_open(node.mqtt_port); }, std::chrono::seconds(10)))
    throw std::runtime_error(node.name + " still serves MQTT after being stopped");
}

void RabbitCluster::start(int index) {
  Node& node = nodes_.at(static_cast<std::size_t>(index));
  if (node.process) return;
  launch(node);
  await(node, std::chrono::seconds(180));
}

void RabbitCluster::stop_all() {
  for (int i = size() - 1; i >= 0; --i) stop(i);
}

void RabbitCluster::start_all() {
  for (auto& node : nodes_) launch(node);
  for (auto& node : nodes_) await(node, std::chrono::seconds(300));
}

}  // namespace gpio2mqtt::testing

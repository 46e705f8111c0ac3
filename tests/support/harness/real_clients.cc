#include "real_clients.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <sstream>
#include <stdexcept>

namespace gpio2mqtt::testing {
namespace {

const std::string kClients = GPIO2MQTT_CLIENTS_DIR;
constexpr const char* kPython = "/usr/bin/python3";  // Debian's, where python3-paho-mqtt is
constexpr const char* kNode = "/usr/bin/node";

std::string npm_cache() {
  const char* cache = std::getenv("GPIO2MQTT_NPM_CACHE");
  return cache && *cache ? cache : "/var/cache/gpio2mqtt-npm";
}

std::vector<std::string> split(const std::string& line) {
  std::vector<std::string> fields;
  std::size_t from = 0;
  for (std::size_t tab; (tab = line.find('\t', from)) != std::string::npos; from = tab + 1)
    fields.push_back(line.substr(from, tab - from));
  fields.push_back(line.substr(from));
  return fields;
}

}  // namespace

std::string missing_real_clients() {
  std::string missing;
  if (std::system((std::string(kPython) + " -c 'import paho.mqtt.client' 2>/dev/null").c_str()) != 0)
    missing += " python3-paho-mqtt (apt)";
  if (access(kNode, X_OK) != 0) missing += " nodejs (apt)";
  for (const char* module : {"mqtt", "aedes"})
    if (access((npm_cache() + "/node_modules/" + module + "/package.json").c_str(), R_OK) != 0)
      missing += std::string(" ") + module + " (npm, in " + npm_cache() + ")";
  return missing.empty() ? "" : "missing:" + missing + "; scripts/test installs them";
}

bool real_clients_required() {
  const char* required = std::getenv("GPIO2MQTT_REAL_CLIENTS");
  return required && std::string(required) == "required";
}

std::unique_ptr<ScriptedClient> ScriptedClient::python_paho(const std::string& dir, int port,
                                                            const std::string& version, const std::string& transport) {
  std::string name = "paho-py-" + version + "-" + transport;
  return std::make_unique<ScriptedClient>(
      dir, name,
      std::vector<std::string>{kPython, kClients + "/paho_tutorial_client.py", "127.0.0.1", std::to_string(port),
                               version, transport, name});
}

std::unique_ptr<ScriptedClient> ScriptedClient::mqttjs(const std::string& dir, const std::string& url,
                                                       const std::string& version) {
  std::string name = "mqttjs-" + version + "-" + url.substr(0, url.find(':'));
  return std::make_unique<ScriptedClient>(
      dir, name, std::vector<std::string>{kNode, kClients + "/mqttjs_client.cjs", url, version, name});
}

ScriptedClient::ScriptedClient(const std::string& dir, const std::string& name, std::vector<std::string> argv)
    : name_(name), fifo_(dir + "/" + name + ".fifo") {
  unlink(fifo_.c_str());
  if (mkfifo(fifo_.c_str(), 0600) != 0) throw std::runtime_error("mkfifo " + fifo_);
  argv.push_back(fifo_);
  process_ = std::make_unique<Process>(argv, dir + "/" + name + ".log",
                                       std::vector<std::string>{"GPIO2MQTT_NPM_CACHE=" + npm_cache()});
  // Opening the write end fails (ENXIO) until the client opened the read end.
  eventually(
      [&] {
        commands_ = open(fifo_.c_str(), O_WRONLY | O_NONBLOCK | O_CLOEXEC);
        return commands_ >= 0 || !process_->running();
      },
      std::chrono::seconds(10));
  if (commands_ < 0) throw std::runtime_error(name + " did not start:\n" + process_->log());
  fcntl(commands_, F_SETFL, fcntl(commands_, F_GETFL) & ~O_NONBLOCK);
}

ScriptedClient::~ScriptedClient() {
  if (commands_ >= 0) close(commands_);  // end of its commands: it disconnects and exits
  process_->wait(std::chrono::seconds(3));
  unlink(fifo_.c_str());
}

std::vector<std::string> ScriptedClient::lines(char kind) const {
  std::vector<std::string> out;
  std::istringstream in(process_->log());
  for (std::string line; std::getline(in, line);)
    if (line.size() > 1 && line[0] == kind && line[1] == '\t') out.push_back(line.substr(2));
  return out;
}

bool ScriptedClient::send_and_wait(const std::string& command, const std::string& acknowledgement) {
  auto count = [&] {
    std::size_t n = 0;
    for (const auto& line : lines('A')) n += line == acknowledgement;
    return n;
  };
  std::size_t before = count();
  std::string line = command + "\n";
  if (write(commands_, line.data(), line.size()) != static_cast<ssize_t>(line.size())) return false;
  return eventually([&] { return count() > before; }, std::chrono::seconds(10));
}

bool ScriptedClient::subscribe(const std::string& filter) { return send_and_wait("S\t" + filter, "subscribed"); }
bool ScriptedClient::unsubscribe(const std::string& filter) { return send_and_wait("U\t" + filter, "unsubscribed"); }
bool ScriptedClient::publish(const std::string& topic, const std::string& payload, bool retain, int qos) {
  return send_and_wait("P\t" + std::to_string(qos) + "\t" + (retain ? "1" : "0") + "\t" + topic + "\t" + payload,
                       "published");
}

bool ScriptedClient::connected(std::size_t count, std::chrono::milliseconds timeout) {
  return eventually([&] { return lines('C').size() >= count; }, timeout);
}

std::vector<Received> ScriptedClient::messages() const {
  std::vector<Received> out;
  for (const auto& line : lines('M')) {
    auto fields = split(line);
    if (fields.size() >= 2) out.push_back({fields[1], fields.size() > 2 ? fields[2] : "", fields[0] == "1"});
  }
  return out;
}

std::optional<std::size_t> ScriptedClient::wait_for(const std::string& topic, const std::string& payload,
                                                    std::size_t from, std::chrono::milliseconds timeout) const {
  std::optional<std::size_t> found;
  eventually(
      [&] {
        auto seen = messages();
        for (std::size_t i = from; i < seen.size(); ++i)
          if (seen[i].topic == topic && seen[i].payload == payload) return (found = i).has_value();
        return false;
      },
      timeout);
  return found;
}

Aedes::Aedes(const std::string& dir) : dir_(dir), port_(free_port()) { start(); }

void Aedes::start() {
  process_ =
      std::make_unique<Process>(std::vector<std::string>{kNode, kClients + "/aedes_broker.cjs", std::to_string(port_)},
                                dir_ + "/aedes-" + std::to_string(++starts_) + ".log",
                                std::vector<std::string>{"GPIO2MQTT_NPM_CACHE=" + npm_cache()});
  if (!eventually([&] { return port_open(port_) || !process_->running(); }, std::chrono::seconds(10)) ||
      !process_->running())
    throw std::runtime_error("aedes did not start on port " + std::to_string(port_) + ":\n" + process_->log());
}

void Aedes::kill() {
  if (!process_) return;
  process_->signal(SIGKILL);
  process_->wait(std::chrono::seconds(5));
  process_.reset();
}

}  // namespace gpio2mqtt::testing

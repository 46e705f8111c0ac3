// The `mqtt:` section: broker, identity, topics, credentials and TLS.
#include <sys/stat.h>

#include <algorithm>
#include <cstdlib>
#include <fstream>
#include <sstream>

#include "util/text.h"
#include "yaml_reader.h"

namespace gpio2mqtt::config {
namespace {

// mqtt://host -> mqtt://host:1883; rejects schemes paho does not speak.
std::string normalize_server(const YamlReader& r, const YAML::Node& node) {
  std::string uri = r.string(node, "mqtt.server");
  auto sep = uri.find("://");
  if (sep == std::string::npos) r.fail(node, "mqtt.server: expected a URI like mqtt://host:1883, got '" + uri + "'");
  std::string scheme = ascii_lower(uri.substr(0, sep));
  std::string rest = uri.substr(sep + 3);
  int default_port = 0;
  if (scheme == "mqtt" || scheme == "tcp") default_port = 1883;
  else if (scheme == "mqtts" || scheme == "ssl") default_port = 8883;
  else if (scheme == "ws") default_port = 80;
  else if (scheme == "wss") default_port = 443;
  else r.fail(node, "mqtt.server: unknown scheme '" + scheme + "'; expected mqtt, mqtts, tcp, ssl, ws or wss");
  std::string host = rest.substr(0, rest.find('/'));
  if (host.empty() || host.front() == ':') r.fail(node, "mqtt.server: no host in '" + uri + "'");
  bool has_port = host.back() != ']' &&
                  host.find(':', host.rfind(']') == std::string::npos ? 0 : host.rfind(']')) != std::string::npos;
  if (has_port) {
    std::string port = host.substr(host.rfind(':') + 1);
    bool digits = !port.empty() && port.size() <= 5 && port.find_first_not_of("0123456789") == std::string::npos;
    if (!digits || std::stoi(port) < 1 || std::stoi(port) > 65535)
      r.fail(node, "mqtt.server: port " + port + " is not 1..65535");
    return scheme + "://" + rest;
  }
  return scheme + "://" + host + ":" + std::to_string(default_port) + rest.substr(host.size());
}

// One address or a list of a cluster's nodes; every one TLS or none, since one tls section serves all.
std::vector<std::string> load_servers(const YamlReader& r, const YAML::Node& node) {
  if (!node.IsSequence()) return {normalize_server(r, node)};
  if (node.size() == 0) r.fail(node, "mqtt.server: expected a URI or a list of URIs, got an empty list");
  std::vector<std::string> servers;
  auto tls = [](const std::string& uri) {
    auto scheme = uri.substr(0, uri.find("://"));
    return scheme == "mqtts" || scheme == "ssl" || scheme == "wss";
  };
  for (const auto& item : node) {
    auto uri = normalize_server(r, item);
    if (std::find(servers.begin(), servers.end(), uri) != servers.end())
      r.fail(item, "mqtt.server: " + uri + " is listed twice");
    if (!servers.empty() && tls(uri) != tls(servers.front()))
      r.fail(item, "mqtt.server: " + uri + " and " + servers.front() + " differ in TLS; list all with TLS or none");
    servers.push_back(uri);
  }
  return servers;
}

void load_fleet_keys(const YamlReader& r, const YAML::Node& node, MqttConfig& m) {
  if (node["server_order"]) {
    std::string order = r.string(node["server_order"], "mqtt.server_order");
    if (order == "listed") m.server_order = ServerOrder::kListed;
    else if (order == "shuffled") m.server_order = ServerOrder::kShuffled;
    else r.fail(node["server_order"], "mqtt.server_order: '" + order + "' is not one of listed | shuffled");
  }
  if (node["start_delay"]) {
    auto delay = r.duration(node["start_delay"], "mqtt.start_delay");
    if (delay < std::chrono::seconds(0) || delay > std::chrono::hours(1))
      r.fail(node["start_delay"], "mqtt.start_delay: expected 0 to 1h");
    m.start_delay = std::chrono::duration_cast<std::chrono::milliseconds>(delay);
  }
  if (node["reconnect_jitter"]) m.reconnect_jitter = r.boolean(node["reconnect_jitter"], "mqtt.reconnect_jitter");
  if (node["republish"]) {
    auto every = r.duration(node["republish"], "mqtt.republish");
    if (every != std::chrono::seconds(0) && (every < std::chrono::seconds(1) || every > std::chrono::hours(24)))
      r.fail(node["republish"], "mqtt.republish: expected 0 (off) or 1s to 24h");
    m.republish = std::chrono::duration_cast<std::chrono::seconds>(every);
  }
}

// The value with {hostname} and {machine_id} replaced; any other {name} is a mistake (a literal
// "{host}" in every topic helps nobody).
std::string expand(const YamlReader& r, const YAML::Node& node, const std::string& what, const Host& host) {
  auto expanded = expand_placeholders(r.string(node, what), host.name, host.machine_id);
  if (!expanded.unknown.empty())
    r.fail(node, what + ": unknown placeholder '" + expanded.unknown + "'" +
                     (expanded.unknown == "{machine_id}" ? " (this machine has no /etc/machine-id)"
                                                         : "; known: {hostname}, {machine_id}"));
  return expanded.text;
}

std::string topic(const YamlReader& r, const YAML::Node& node, const std::string& what, const Host& host) {
  std::string value = expand(r, node, what, host);
  if (!is_valid_publish_topic(value))
    r.fail(node, what + ": '" + value + "' is not a usable topic (no '+', '#', NUL or empty levels)");
  return value;
}

// A secret file's first line. Relative names are systemd credentials (LoadCredential=), looked
// up in $CREDENTIALS_DIRECTORY.
std::string read_secret(const YamlReader& r, const YAML::Node& node, std::string& source) {
  std::string path = r.string(node, "mqtt.password_file");
  if (path.empty()) r.fail(node, "mqtt.password_file: expected a path");
  if (path.front() != '/') {
    const char* directory = std::getenv("CREDENTIALS_DIRECTORY");
    if (!directory)
      r.fail(node, "mqtt.password_file: '" + path +
                       "' is relative, so it names a systemd credential, but "
                       "$CREDENTIALS_DIRECTORY is not set (use LoadCredential= in the unit, or an absolute path)");
    path = std::string(directory) + "/" + path;
  }
  std::ifstream in(path, std::ios::binary);
  if (!in) r.fail(node, "mqtt.password_file: cannot read " + path);
  // MQTT passwords are at most 65535 bytes; reading no more keeps /dev/zero or a wrong, huge
  // file from filling memory.
  constexpr std::size_t kMaxSecret = 65535;
  std::string secret;
  for (char c; secret.size() <= kMaxSecret && in.get(c) && c != '\n';) secret += c;
  if (secret.size() > kMaxSecret) r.fail(node, "mqtt.password_file: " + path + ": the first line is over 65535 bytes");
  if (!secret.empty() && secret.back() == '\r') secret.pop_back();
  if (secret.empty()) r.fail(node, "mqtt.password_file: " + path + " is empty");
  source = path;
  return secret;
}

void load_credentials(const YamlReader& r, const YAML::Node& node, MqttConfig& m) {
  if (node["password"] && node["password_file"])
    r.fail(node["password_file"], "mqtt: give password or password_file, not both");
  if (node["username"]) {
    m.username = r.string(node["username"], "mqtt.username");
    if (!is_mqtt_utf8(m.username))
      r.fail(node["username"], "mqtt.username: expected UTF-8 text without control characters");
  }
  if (node["password"]) {
    m.password = r.string(node["password"], "mqtt.password");
    m.password_source = "inline";
  }
  if (node["password_file"]) m.password = read_secret(r, node["password_file"], m.password_source);
  if (!m.password.empty() && m.username.empty())
    r.fail(node["password"] ? node["password"] : node["password_file"], "mqtt: a password needs a username");
}

void load_tls(const YamlReader& r, const YAML::Node& node, MqttConfig& m) {
  std::string scheme = m.server.substr(0, m.server.find("://"));
  m.tls.enabled = scheme == "mqtts" || scheme == "ssl" || scheme == "wss";
  const YAML::Node& tls = node["tls"];
  if (!tls) return;
  r.expect_map(tls, "mqtt.tls", {"ca_file", "cert_file", "key_file", "insecure"});
  if (!m.tls.enabled) r.fail(tls, "mqtt.tls: TLS settings need a TLS server URI (mqtts://host:8883)");
  auto readable_file = [&](const char* key) {
    std::string path = r.string(tls[key], std::string("mqtt.tls.") + key);
    struct stat st {};
    if (stat(path.c_str(), &st) != 0 || !S_ISREG(st.st_mode))
      r.fail(tls[key], std::string("mqtt.tls.") + key + ": no file " + path);
    return path;
  };
  if (tls["ca_file"]) m.tls.ca_file = readable_file("ca_file");
  if (tls["cert_file"]) m.tls.cert_file = readable_file("cert_file");
  if (tls["key_file"]) m.tls.key_file = readable_file("key_file");
  if (tls["cert_file"] && !tls["key_file"]) r.fail(tls["cert_file"], "mqtt.tls: cert_file needs key_file");
  if (tls["key_file"] && !tls["cert_file"]) r.fail(tls["key_file"], "mqtt.tls: key_file needs cert_file");
  if (tls["insecure"]) m.tls.insecure = r.boolean(tls["insecure"], "mqtt.tls.insecure");
}

}  // namespace

MqttConfig load_mqtt(const YamlReader& r, const YAML::Node& node, const Host& host) {
  MqttConfig m;
  // Two Pis cloned from one image share the host name but not the machine id: with one client
  // id they would take each other's connection forever.
  m.client_id = "gpio2mqtt-" + host.name + (host.machine_id.empty() ? "" : "-" + host.machine_id.substr(0, 8));
  m.status.topic = m.base_topic + "/status";  // also without an mqtt: section (the will's topic)
  if (!node) return m;
  r.expect_map(node, "mqtt",
               {"server", "server_order", "start_delay", "reconnect_jitter", "republish", "client_id", "keepalive",
                "version", "base_topic", "qos", "subscribe_qos", "status", "buffer", "persistence", "username",
                "password", "password_file", "tls"});
  if (node["server"]) {
    m.servers = load_servers(r, node["server"]);
    m.server = m.servers.front();
  }
  load_fleet_keys(r, node, m);
  if (node["client_id"]) {
    m.client_id = expand(r, node["client_id"], "mqtt.client_id", host);
    if (m.client_id.empty() || m.client_id.size() > 256)
      r.fail(node["client_id"], "mqtt.client_id: expected 1 to 256 characters");
    if (!is_mqtt_utf8(m.client_id))  // else paho refuses it at start (exit 1), or the broker at connect
      r.fail(node["client_id"], "mqtt.client_id: expected UTF-8 text without control characters");
  }
  if (node["keepalive"]) {
    auto keepalive = r.duration(node["keepalive"], "mqtt.keepalive");
    if (keepalive < std::chrono::seconds(1) || keepalive > std::chrono::seconds(65535))
      r.fail(node["keepalive"], "mqtt.keepalive: expected 1s to 65535s");
    m.keepalive = std::chrono::duration_cast<std::chrono::seconds>(keepalive);
  }
  if (node["version"]) {
    std::string v = r.string(node["version"], "mqtt.version");
    if (v == "5") m.version = 5;
    else if (v == "3.1.1" || v == "4") m.version = 4;
    else if (v == "auto") m.version = kAutoVersion;
    else r.fail(node["version"], "mqtt.version: '" + v + "' is not supported; expected 5, 3.1.1 or auto");
  }
  if (node["base_topic"]) m.base_topic = topic(r, node["base_topic"], "mqtt.base_topic", host);
  if (node["qos"]) m.qos = static_cast<int>(r.integer(node["qos"], "mqtt.qos", 0, 2));
  m.subscribe_qos = m.qos;
  // RabbitMQ 3.x keeps a QoS 1 subscription in a queue on one node: while that node is down the
  // board can subscribe on no other (see the README's "Many boards").
  if (node["subscribe_qos"])
    m.subscribe_qos = static_cast<int>(r.integer(node["subscribe_qos"], "mqtt.subscribe_qos", 0, 2));
  if (node["buffer"]) m.buffer = static_cast<std::size_t>(r.integer(node["buffer"], "mqtt.buffer", 1, 10'000'000));
  if (node["persistence"]) {
    // Only the form is checked: systemd creates the StateDirectory when the service starts.
    m.persistence = r.string(node["persistence"], "mqtt.persistence");
    if (m.persistence.empty() || m.persistence.front() != '/' || m.persistence.find('\0') != std::string::npos)
      r.fail(node["persistence"], "mqtt.persistence: expected an absolute directory path, like /var/lib/gpio2mqtt");
  }
  m.status.topic = m.base_topic + "/status";
  if (const YAML::Node& s = node["status"]) {
    r.expect_map(s, "mqtt.status", {"topic", "online", "offline"});
    if (s["topic"]) m.status.topic = topic(r, s["topic"], "mqtt.status.topic", host);
    if (s["online"]) m.status.online = r.string(s["online"], "mqtt.status.online");
    if (s["offline"]) m.status.offline = r.string(s["offline"], "mqtt.status.offline");
  }
  load_credentials(r, node, m);
  load_tls(r, node, m);
  return m;
}

}  // namespace gpio2mqtt::config

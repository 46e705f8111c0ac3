#include "mqtt/connect_failure.h"

#include <string>

namespace gpio2mqtt::mqtt {
namespace {

struct Reason {
  int code;
  const char* name;
};

// MQTT 5 reason codes a broker may refuse a connection (CONNACK, spec 3.2.2.2) or a publish
// (PUBACK, 3.4.2.1) with.
constexpr Reason kV5Reasons[] = {
    {128, "unspecified error"},
    {129, "malformed packet"},
    {130, "protocol error"},
    {131, "implementation-specific error"},
    {132, "unsupported protocol version"},
    {133, "client identifier not valid"},
    {134, "bad user name or password"},
    {135, "not authorised"},
    {136, "server unavailable"},
    {137, "server busy"},
    {138, "banned"},
    {140, "bad authentication method"},
    {144, "topic name invalid"},
    {145, "packet identifier in use"},
    {147, "receive maximum exceeded"},
    {149, "packet too large"},
    {151, "quota exceeded"},
    {153, "payload format invalid"},
    {154, "retain not supported"},
    {155, "QoS not supported"},
    {156, "use another server"},
    {157, "server moved"},
    {159, "connection rate exceeded"},
};

// MQTT 3.1.1 CONNACK return codes (spec 3.2.2.3).
constexpr Reason kV3Reasons[] = {
    {1, "unacceptable protocol version"},
    {2, "client identifier rejected"},
    {3, "server unavailable"},
    {4, "bad user name or password"},
    {5, "not authorised"},
};

template <std::size_t N>
std::string name_of(const Reason (&reasons)[N], int code) {
  for (const auto& reason : reasons)
    if (reason.code == code) return reason.name;
  return "refused";
}

std::string login_hint(const config::MqttConfig& config) {
  if (config.username.empty())
    return "the broker wants a login: set mqtt.username and mqtt.password_file (or allow anonymous clients)";
  return "check mqtt.username ('" + config.username + "') and the password (" +
         (config.password_source == "inline" ? std::string("mqtt.password")
                                             : "mqtt.password_file " + config.password_source) +
         "), and that the broker lets this user connect";
}

}  // namespace

ConnectFailure describe_refusal(const config::MqttConfig& config, int version, int code) {
  bool v5 = version == 5 && code >= 128;
  std::string name = v5 ? name_of(kV5Reasons, code) : name_of(kV3Reasons, code);
  ConnectFailure failure{FailureKind::kOther, "the broker refused the connection: " + name + " (" +
                                                  (v5 ? "reason code " : "CONNACK code ") + std::to_string(code) + ")"};
  std::string hint;
  if ((v5 && code == 132) || (!v5 && code == 1)) {
    failure.kind = FailureKind::kVersionRefused;
    hint = version == 5 ? "the broker does not speak MQTT 5: set mqtt.version: auto (or 3.1.1)"
                        : "the broker does not speak MQTT 3.1.1";
  } else if ((v5 && (code == 134 || code == 135 || code == 140)) || (!v5 && (code == 4 || code == 5))) {
    hint = login_hint(config);
  } else if ((v5 && code == 133) || (!v5 && code == 2)) {
    hint = "the broker does not accept the client id '" + config.client_id + "': change mqtt.client_id";
  } else if (v5 && code == 138) {
    hint = "the broker has banned this client (id '" + config.client_id + "')";
  } else if (v5 && code == 154) {
    hint = "the broker keeps no retained messages, which the status will and the line states need";
  } else if (v5 && code == 155) {
    hint = "the broker refuses QoS " + std::to_string(config.qos) + " (or the will's QoS 1): lower mqtt.qos";
  } else if (v5 && (code == 156 || code == 157)) {
    hint = "the broker sends clients elsewhere: point mqtt.server at the new broker";
  }
  if (!hint.empty()) failure.text += "; " + hint;
  return failure;
}

std::string describe_publish_refusal(const config::MqttConfig& config, int code) {
  std::string text = name_of(kV5Reasons, code) + " (reason code " + std::to_string(code) + ")";
  if (code == 135)
    text += ": the broker's ACL does not let " +
            (config.username.empty() ? std::string("anonymous clients") : "user '" + config.username + "'") +
            " publish there";
  return text;
}

}  // namespace gpio2mqtt::mqtt

// Why a connection attempt failed, in words a user can act on: the broker's CONNACK refusal
// named, or for a failure before any CONNACK (paho says only -1) a probe of DNS, TCP and TLS.
#pragma once

#include <chrono>
#include <string>

#include "gpio2mqtt/config/config.h"

namespace gpio2mqtt::mqtt {

// What a failed connect means for the next attempt.
enum class FailureKind {
  kOther,
  kVersionRefused,  // the broker does not speak the MQTT version asked for
};

struct ConnectFailure {
  FailureKind kind = FailureKind::kOther;
  std::string text;  // "not authorised (CONNACK 5): ...; hint"
};

// A CONNACK refusal: `code` is the 3.1.1 return code (1..5) or the MQTT 5 reason code (>= 128).
ConnectFailure describe_refusal(const config::MqttConfig& config, int version, int code);

// An MQTT 5 PUBACK reason code >= 128: "not authorised (reason code 135): ..." with a hint.
std::string describe_publish_refusal(const config::MqttConfig& config, int code);

// Connects to the broker's host and port as paho would (resolving, TCP, then TLS with the
// configured trust), within `timeout`, and says what fails first; empty when all of it works.
std::string probe_transport(const config::MqttConfig& config, std::chrono::milliseconds timeout);

}  // namespace gpio2mqtt::mqtt

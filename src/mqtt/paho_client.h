// mqtt::Client over paho.mqtt.cpp's async_client (1.2 on bookworm).
#pragma once

#include <memory>

#include "gpio2mqtt/config/config.h"
#include "gpio2mqtt/mqtt/client.h"

namespace gpio2mqtt::mqtt {

// Received payloads are cut to just over `payload_cap` bytes (the caller's limit of what it reads),
// so that a huge one costs nothing more. Throws std::runtime_error when paho refuses the settings
// (e.g. a malformed server URI).
std::unique_ptr<Client> make_paho_client(const config::MqttConfig& config, std::size_t payload_cap);

}  // namespace gpio2mqtt::mqtt

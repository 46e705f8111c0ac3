// mqtt::Client over paho.mqtt.cpp's async_client (mqtt/paho_api.h): flow control, connection
// events for the loop, and why a connect failed.
#pragma once

#include <memory>

#include "gpio2mqtt/config/config.h"
#include "gpio2mqtt/mqtt/client.h"
#include "mqtt/paho_api.h"

namespace gpio2mqtt::mqtt {

// Received payloads are cut to just over `payload_cap` bytes (the caller's limit of what it reads),
// so that a huge one costs nothing more. Throws std::runtime_error when paho refuses the settings
// (e.g. a malformed server URI).
std::unique_ptr<Client> make_paho_client(const config::MqttConfig& config, std::size_t payload_cap);
// The same over the paho clients `make_paho` makes (one per MQTT version tried).
std::unique_ptr<Client> make_paho_client(const config::MqttConfig& config, std::size_t payload_cap,
                                         PahoFactory make_paho);

}  // namespace gpio2mqtt::mqtt

// One MQTT message as the daemon makes it: below both the bridge, which makes them, and the MQTT
// client, which sends them.
#pragma once

#include <string>

namespace gpio2mqtt {

struct Message {
  std::string topic;
  std::string payload;
  int qos = 0;
  bool retain = false;
  bool operator==(const Message&) const = default;
};

}  // namespace gpio2mqtt

// What the daemon counts, shown in systemd's STATUS=, on D-Bus and in the stop line. Below the
// bridge, the MQTT client and the service alike: each adds what it sees.
#pragma once

#include <cstdint>

namespace gpio2mqtt {

struct Counters {
  std::uint64_t edges_published = 0;
  std::uint64_t commands_applied = 0;
  std::uint64_t commands_rejected = 0;
  std::uint64_t events_dropped = 0;  // the outbox overflowed while disconnected
  std::uint64_t line_errors = 0;
  std::uint64_t commands_rate_limited = 0;  // also counted in commands_rejected
  std::uint64_t publishes_refused = 0;      // by the broker (MQTT 5 PUBACK error, e.g. its ACL)
  // Dropped by the MQTT client, not the outbox: more waited for the broker's acknowledgements than
  // mqtt.buffer while connected, or QoS 0 messages not yet written when the connection went.
  // The client counts them, the service adds them.
  std::uint64_t messages_dropped = 0;
  // Edge events the kernel dropped, its queue full: not the bridge's, the service adds them.
  std::uint64_t kernel_events_dropped = 0;
  // Sensors (the service's SensorSet): values read, reads that failed (of them, those that timed
  // out) and readings dropped (a 1-Wire CRC failure, the 85 °C power-on value).
  std::uint64_t sensor_reads = 0;
  std::uint64_t sensor_failures = 0;
  std::uint64_t sensor_timeouts = 0;
  std::uint64_t sensor_readings_dropped = 0;
  bool operator==(const Counters&) const = default;
};

}  // namespace gpio2mqtt

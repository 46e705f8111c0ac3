// Nagle's algorithm off for the broker connection.
//
// paho.mqtt.c 1.3 leaves Nagle on and has no hook to change its socket. With it on, a small
// write waits while an earlier one is unacknowledged, and a broker that has nothing to answer
// (QoS 0) acknowledges only after its delayed-ACK timer, up to 40 ms on Linux: an edge's event,
// written right after its state, arrived 40 ms late (measured by bench/).
#pragma once

namespace gpio2mqtt {

// Sets TCP_NODELAY on every TCP socket the process has open (in gpio2mqtt that is the broker
// connection only); returns how many. Safe from any thread.
int set_tcp_nodelay_everywhere();

}  // namespace gpio2mqtt

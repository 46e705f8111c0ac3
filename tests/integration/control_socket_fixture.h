// A daemon whose simulated chip has a control socket: edges driven from outside, as bench/ does.
#pragma once

#include <cerrno>
#include <cstring>
#include <vector>

#include "control_socket.h"
#include "daemon_fixture.h"

namespace gpio2mqtt::testing {

class ADaemonDrivenThroughItsControlSocket : public ADaemon {
 protected:
  std::string socket_path() const { return dir_ + "/control.sock"; }
  // `mqtt_extra`: more keys of the mqtt section, each line indented by two spaces.
  std::string config(int qos, const std::string& mqtt_extra = "") const {
    return "mqtt:\n  server: " + broker_->url() + "\n  client_id: gpio2mqtt-test\n  base_topic: raspberry\n" +
           mqtt_extra + "  qos: " + std::to_string(qos) +
           "\ndbus: off\nchips:\n  main:\n    simulated:\n      lines: [GPIO17, GPIO22, GPIO27]\n"
           "      wires: {GPIO27: GPIO22}\n      control: " +
           socket_path() + "\nlines:\n  button: {line: GPIO17}\n  relay: {line: GPIO27, direction: output}\n";
  }
  // Toggles the button `count` times as fast as the daemon takes the datagrams.
  void toggle(int count) {
    ControlSocket control(socket_path());
    for (int i = 1; i <= count; ++i) ASSERT_TRUE(control.pull("GPIO17", i % 2 == 1)) << std::strerror(errno);
  }
  // Expects the events 1..`count` first among `payloads`, in order.
  static void expect_in_order(const std::vector<std::string>& payloads, int count) {
    ASSERT_GE(payloads.size(), static_cast<std::size_t>(count));
    for (int i = 1; i <= count; ++i) {
      const std::string& payload = payloads[static_cast<std::size_t>(i - 1)];
      EXPECT_EQ(seq_of(payload), i) << "event " << i << ": " << payload;
    }
  }
  // Toggles `count` times and expects every event, complete and in order.
  void expect_every_event(int qos, int count) {
    ASSERT_NO_FATAL_FAILURE(start(config(qos)));
    MqttTestClient events(broker_->url(), "events");
    events.subscribe("raspberry/button/event", qos);
    ASSERT_NO_FATAL_FAILURE(toggle(count));
    ASSERT_TRUE(eventually([&] { return events.size() >= static_cast<std::size_t>(count); }, std::chrono::seconds(30)))
        << events.size() << " of " << count << " events";
    auto payloads = events.payloads_on("raspberry/button/event");
    ASSERT_EQ(payloads.size(), static_cast<std::size_t>(count));
    ASSERT_NO_FATAL_FAILURE(expect_in_order(payloads, count));
    for (int i = 1; i <= count; ++i) {
      const std::string& payload = payloads[static_cast<std::size_t>(i - 1)];
      EXPECT_NE(payload.find(i % 2 ? "\"edge\":\"rising\"" : "\"edge\":\"falling\""), std::string::npos) << payload;
    }
  }
};

}  // namespace gpio2mqtt::testing

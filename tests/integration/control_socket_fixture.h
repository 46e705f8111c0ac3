// A daemon whose simulated chip has a control socket: edges driven from outside, as bench/ does.
#pragma once

#include <sys/socket.h>
#include <sys/un.h>

#include <cstring>

#include "daemon_fixture.h"
#include "util/unique_fd.h"

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
    UniqueFd fd(socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0));
    sockaddr_un address{};
    address.sun_family = AF_UNIX;
    std::strncpy(address.sun_path, socket_path().c_str(), sizeof address.sun_path - 1);
    ASSERT_EQ(connect(fd.get(), reinterpret_cast<sockaddr*>(&address), sizeof address), 0) << std::strerror(errno);
    for (int i = 1; i <= count; ++i) {
      std::string command = i % 2 ? "pull GPIO17 1" : "pull GPIO17 0";
      ASSERT_EQ(send(fd.get(), command.data(), command.size(), 0), static_cast<ssize_t>(command.size()));
    }
  }
  // Toggles `count` times and expects every event, complete and in order.
  void expect_every_event(int qos, int count) {
    start(config(qos));
    MqttTestClient events(broker_->url(), "events");
    events.subscribe("raspberry/button/event", qos);
    toggle(count);
    ASSERT_TRUE(eventually([&] { return events.size() >= static_cast<std::size_t>(count); }, std::chrono::seconds(30)))
        << events.size() << " of " << count << " events\n"
        << daemon_->log();
    auto payloads = events.payloads_on("raspberry/button/event");
    ASSERT_EQ(payloads.size(), static_cast<std::size_t>(count));
    for (int i = 1; i <= count; ++i) {
      const std::string& payload = payloads[static_cast<std::size_t>(i - 1)];
      std::string seq = "\"seq\":" + std::to_string(i);
      EXPECT_TRUE(payload.find(seq + ",") != std::string::npos || payload.find(seq + "}") != std::string::npos)
          << "event " << i << ": " << payload;
      EXPECT_NE(payload.find(i % 2 ? "\"edge\":\"rising\"" : "\"edge\":\"falling\""), std::string::npos) << payload;
    }
  }
};

}  // namespace gpio2mqtt::testing

// The simulated chip's control socket, end to end: edges driven from outside (as bench/ does)
// reach MQTT complete and in order, also as a burst at QoS 1, where the paho client holds back
// what exceeds its window and hands it over as acknowledgements come (issue 6).
#include <sys/socket.h>
#include <sys/un.h>

#include <cstring>

#include "daemon_fixture.h"
#include "gpio2mqtt/util/unique_fd.h"

namespace gpio2mqtt::testing {
namespace {

class ADaemonDrivenThroughItsControlSocket : public ADaemon {
 protected:
  std::string socket_path() const { return dir_ + "/control.sock"; }
  std::string config(int qos) const {
    return "mqtt:\n  server: " + broker_->url() +
           "\n  client_id: gpio2mqtt-test\n  base_topic: raspberry\n  qos: " + std::to_string(qos) +
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

TEST_F(ADaemonDrivenThroughItsControlSocket, PublishesEveryEdgeOfABurstInOrderAtQoS1) { expect_every_event(1, 500); }

TEST_F(ADaemonDrivenThroughItsControlSocket, PublishesEveryEdgeOfABurstInOrderAtQoS0) { expect_every_event(0, 500); }

TEST_F(ADaemonDrivenThroughItsControlSocket, RemovesItsSocketWhenItStops) {
  start(config(1));
  EXPECT_EQ(access(socket_path().c_str(), F_OK), 0);
  daemon_->process().signal(SIGTERM);
  EXPECT_EQ(daemon_->process().wait(std::chrono::seconds(10)), 0);
  EXPECT_NE(access(socket_path().c_str(), F_OK), 0);
}

}  // namespace
}  // namespace gpio2mqtt::testing

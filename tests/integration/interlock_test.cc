// Momentary and interlocked outputs in the real daemon, commanded through a real mosquitto; each
// output is wired to an input of the simulated chip, whose events carry the chip's timestamps
// of the output's writes.
#include <gtest/gtest.h>

#include <regex>

#include "daemon_fixture.h"

namespace gpio2mqtt::testing {
namespace {

using namespace std::chrono_literals;
using Nanos = std::chrono::nanoseconds;

class ADaemonWithMotorsAndADoor : public ADaemon {
 protected:
  std::string config() const {
    return "mqtt:\n  server: " + broker_->url() + R"(
  client_id: gpio2mqtt-test
  base_topic: raspberry
dbus: off
chips:
  main:
    simulated:
      lines: [DOOR, DOOR_IN, UP, UP_IN, DOWN, DOWN_IN]
      wires: {DOOR: DOOR_IN, UP: UP_IN, DOWN: DOWN_IN}
lines:
  door: {line: DOOR, direction: output, momentary: 400ms}
  door_in: {line: DOOR_IN}
  up: {line: UP, direction: output}
  up_in: {line: UP_IN}
  down: {line: DOWN, direction: output}
  down_in: {line: DOWN_IN}
interlocks:
  - lines: [up, down]
    dead_time: 200ms
)";
  }
  void SetUp() override {
    ADaemon::SetUp();
    if (IsSkipped()) return;
    start_daemon(config());
    ASSERT_TRUE(came_online());
    ASSERT_TRUE(observer_->wait_for("raspberry/down_in/state", "OFF"));
  }
  // The chip's timestamp of the first event on `input` to `state` from message `from` on,
  // waiting for it; `index` is set to where it was.
  Nanos edge_at(const std::string& input, const std::string& state, std::size_t from = 0, std::size_t* at = nullptr) {
    auto index = observer_->wait_for(
        [&](const Received& m) {
          return m.topic == "raspberry/" + input + "/event" &&
                 m.payload.find("\"state\":\"" + state + "\"") != std::string::npos;
        },
        from);
    if (!index) {
      ADD_FAILURE() << "no " << state << " event on " << input;
      return Nanos(0);
    }
    if (at) *at = *index;
    static const std::regex pattern(R"("timestamp_ns":(\d+))");
    std::smatch match;
    std::string payload = observer_->messages()[*index].payload;
    if (!std::regex_search(payload, match, pattern)) ADD_FAILURE() << payload;
    return Nanos(std::stoll(match[1].str()));
  }
};

TEST_F(ADaemonWithMotorsAndADoor, PulsesAMomentaryOutputForItsLength) {
  observer_->publish("raspberry/door/set", "ON");
  Nanos on = edge_at("door_in", "ON");
  Nanos off = edge_at("door_in", "OFF");
  EXPECT_GE(off - on, 400ms);
  EXPECT_LT(off - on, 1400ms);  // it ends, and not after some other length
  EXPECT_TRUE(observer_->wait_for("raspberry/door/state", "OFF"));
}

TEST_F(ADaemonWithMotorsAndADoor, SwitchesAnInterlockedPairOverWithTheDeadTimeBetween) {
  observer_->publish("raspberry/up/set", "ON");
  std::size_t first_up = 0;
  edge_at("up_in", "ON", 0, &first_up);
  observer_->publish("raspberry/down/set", "ON");
  Nanos up_off = edge_at("up_in", "OFF");
  Nanos down_on = edge_at("down_in", "ON");
  EXPECT_GE(down_on - up_off, 200ms);
  // TOGGLE back: down goes off, up comes on after the dead time again.
  observer_->publish("raspberry/up/set", "TOGGLE");
  Nanos down_off = edge_at("down_in", "OFF");
  EXPECT_GE(edge_at("up_in", "ON", first_up + 1) - down_off, 200ms);
}

}  // namespace
}  // namespace gpio2mqtt::testing

// A shutter in the real daemon, commanded through a real mosquitto: its motor outputs are wired to
// inputs of the simulated chip, whose events carry the chip's timestamps of the motor's switches.
// From them: each run lasted the time its travel computes (within 20 ms), the two directions were
// never on together, a reversal waited the dead time; a restart of the daemon or of the broker
// moves nothing.
#include <gtest/gtest.h>

#include <regex>

#include "daemon_fixture.h"
#include "process.h"

namespace gpio2mqtt::testing {
namespace {

using namespace std::chrono_literals;
using Nanos = std::chrono::nanoseconds;

constexpr auto kTravel = 2000ms;
constexpr auto kMargin = 200ms;
constexpr auto kDeadTime = 300ms;
constexpr auto kTolerance = 20ms;

struct MotorEdge {
  std::string input;  // up_in or down_in
  bool on;
  Nanos at;
};

class ADaemonWithAShutter : public ADaemon {
 protected:
  std::string config() const {
    return "mqtt:\n  server: " + broker_->url() + R"(
  client_id: gpio2mqtt-test
  base_topic: raspberry
dbus: off
homeassistant: {discovery: true, announce_delay: 1s}
state_directory: )" +
           dir_ + R"(/state
chips:
  main:
    simulated:
      lines: [UP, UP_IN, DOWN, DOWN_IN]
      wires: {UP: UP_IN, DOWN: DOWN_IN}
lines:
  up: {line: UP, direction: output}
  up_in: {line: UP_IN}
  down: {line: DOWN, direction: output}
  down_in: {line: DOWN_IN}
covers:
  shutter: {open: up, close: down, open_time: 2s, close_time: 2s, margin: 200ms, dead_time: 300ms}
)";
  }
  void start_shutter(std::size_t from = 0) {
    start_daemon(config());
    ASSERT_TRUE(came_online(from));
    ASSERT_TRUE(observer_->wait_for([](const Received& m) { return m.topic == "raspberry/shutter/state"; }, from));
  }
  // The motor's edges seen from message `from` on, in order.
  std::vector<MotorEdge> edges(std::size_t from = 0) const {
    static const std::regex pattern(R"re("state":"(ON|OFF)".*"timestamp_ns":(\d+))re");
    std::vector<MotorEdge> out;
    auto messages = observer_->messages();
    for (std::size_t i = from; i < messages.size(); ++i) {
      const auto& m = messages[i];
      if (m.topic != "raspberry/up_in/event" && m.topic != "raspberry/down_in/event") continue;
      std::smatch match;
      if (!std::regex_search(m.payload, match, pattern)) {
        ADD_FAILURE() << m.payload;
        continue;
      }
      out.push_back({m.topic.substr(10, m.topic.find('/', 10) - 10), match[1] == "ON", Nanos(std::stoll(match[2]))});
    }
    return out;
  }
  // Waits for the `count`th motor edge from `from` on and returns it.
  MotorEdge edge(std::size_t from, std::size_t count) {
    EXPECT_TRUE(eventually([&] { return edges(from).size() >= count; }, 10s)) << daemon_->log();
    auto seen = edges(from);
    return seen.size() >= count ? seen[count - 1] : MotorEdge{"none", false, Nanos(0)};
  }
  // The position the daemon published last, waiting for the state `state` from `from` on.
  double settled(const std::string& state, std::size_t from) {
    EXPECT_TRUE(observer_->wait_for("raspberry/shutter/state", state, from)) << daemon_->log();
    auto positions = observer_->payloads_on("raspberry/shutter/position", from);
    return positions.empty() ? -1 : std::stod(positions.back());
  }
  void expect_never_both_on() {
    bool up = false, down = false;
    for (const auto& e : edges()) {
      (e.input == "up_in" ? up : down) = e.on;
      EXPECT_FALSE(up && down) << "both directions on at " << e.at.count();
    }
  }
};

double ms(Nanos t) { return std::chrono::duration<double, std::milli>(t).count(); }

TEST_F(ADaemonWithAShutter, RunsItsMotorForTheComputedTimesAndNeverBothWays) {
  ASSERT_NO_FATAL_FAILURE(start_shutter());
  // Unknown position: OPEN runs the full travel and the margin, and calibrates at 100.
  std::size_t from = observer_->size();
  observer_->publish("raspberry/shutter/set", "OPEN");
  MotorEdge on = edge(from, 1), off = edge(from, 2);
  EXPECT_EQ(on.input, "up_in");
  EXPECT_TRUE(on.on);
  EXPECT_NEAR(ms(off.at - on.at), ms(kTravel + kMargin), ms(kTolerance));
  EXPECT_EQ(settled("open", from), 100);

  // CLOSE, and STOP once it reports having passed 60 %.
  from = observer_->size();
  observer_->publish("raspberry/shutter/set", "CLOSE");
  ASSERT_TRUE(observer_->wait_for(
      [](const Received& m) { return m.topic == "raspberry/shutter/position" && std::stod(m.payload) <= 60; }, from));
  observer_->publish("raspberry/shutter/set", "stop");
  on = edge(from, 1), off = edge(from, 2);
  EXPECT_EQ(on.input, "down_in");
  double ran = std::chrono::duration<double>(off.at - on.at) / kTravel;  // of a full travel
  double stopped_at = settled("stopped", from);
  EXPECT_NEAR(stopped_at, 100 - 100 * ran, 1.0) << "ran " << ran;

  // A position: up by (80 - where it stopped) % of the travel, without margin.
  from = observer_->size();
  observer_->publish("raspberry/shutter/set", "80");
  on = edge(from, 1), off = edge(from, 2);
  EXPECT_EQ(on.input, "up_in");
  auto expected = std::chrono::duration_cast<Nanos>(kTravel * ((80 - (100 - 100 * ran)) / 100));
  EXPECT_NEAR(ms(off.at - on.at), ms(expected), ms(kTolerance));
  EXPECT_EQ(settled("stopped", from), 80);

  // A reversal: CLOSE, then OPEN while it runs: down off, the dead time, up on to the end.
  from = observer_->size();
  observer_->publish("raspberry/shutter/set", "CLOSE");
  edge(from, 1);
  observer_->publish("raspberry/shutter/set", "OPEN");
  MotorEdge down_off = edge(from, 2), up_on = edge(from, 3), up_off = edge(from, 4);
  EXPECT_EQ(down_off.input, "down_in");
  EXPECT_FALSE(down_off.on);
  EXPECT_EQ(up_on.input, "up_in");
  EXPECT_GE(up_on.at - down_off.at, kDeadTime);
  EXPECT_LE(up_off.at - up_on.at, kTravel + kMargin + kTolerance);
  EXPECT_EQ(settled("open", from), 100);
  expect_never_both_on();
}

TEST_F(ADaemonWithAShutter, MovesNothingWhenTheDaemonOrTheBrokerRestarts) {
  ASSERT_NO_FATAL_FAILURE(start_shutter());
  observer_->publish("raspberry/shutter/set", "OPEN");
  edge(0, 2);
  ASSERT_EQ(settled("open", 0), 100);
  // A retained command waits at the broker for the next run: it must not act either.
  observer_->publish("raspberry/shutter/set", "CLOSE", true);
  daemon_.reset();  // a clean stop
  std::size_t restarted = observer_->size();
  ASSERT_NO_FATAL_FAILURE(start_shutter(restarted));
  EXPECT_TRUE(observer_->wait_for("raspberry/shutter/position", "100", restarted)) << "the kept position";
  broker_->kill();
  ASSERT_TRUE(eventually([&] { return daemon_->log().find("lost the connection to") != std::string::npos; }, 10s));
  broker_->start();
  MqttTestClient after(broker_->url(), "after");
  after.subscribe("raspberry/#");
  ASSERT_TRUE(after.wait_for("raspberry/shutter/state", "open")) << daemon_->log();
  // Home Assistant's birth publishes the states again; it moves nothing either.
  std::size_t birth = after.size();
  after.publish("homeassistant/status", "online");
  ASSERT_TRUE(after.wait_for("raspberry/shutter/state", "open", birth)) << daemon_->log();
  EXPECT_TRUE(edges(restarted).empty()) << "the motor moved after the first run";
  EXPECT_TRUE(after.payloads_on("raspberry/up_in/event").empty());
  EXPECT_TRUE(after.payloads_on("raspberry/down_in/event").empty());
}

}  // namespace
}  // namespace gpio2mqtt::testing

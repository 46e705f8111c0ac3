// A reload that removes a sensor while the broker is away: its retained topics are emptied once
// the broker is back, not forgotten (a retained value would show in Home Assistant for ever).
#include <gtest/gtest.h>

#include <atomic>

#include "service_fixture.h"

namespace gpio2mqtt::service {
namespace {

using namespace std::chrono_literals;

// Every thermometer reads 21.5 °C at once.
class FixedSource : public sensors::Source {
 public:
  sensors::ReadResult read(const sensors::Channel&, std::chrono::milliseconds) override {
    ++reads;
    return 21500.0;
  }
  std::vector<std::string> w1_thermometers() override { return {}; }
  std::string describe(const sensors::Channel&) override { return ""; }
  std::atomic<int> reads{0};
};

const std::string kHead = R"(mqtt:
  server: mqtt://127.0.0.1:1883
  client_id: inproc
  base_topic: pi
dbus: off
chips:
  main: {path: /dev/gpiochip-sensors}
lines:
  door: {chip: main, line: A}
)";
const std::string kSensors = R"(sensors:
  indoor: {w1: 28-000000000001, interval: 100ms}
  outdoor:
    w1: 28-000000000002
    interval: 100ms
    thresholds: {frost: {below: 3, hysteresis: 0.5}}
)";

class AServiceWithSensors : public InProcessService {
 protected:
  AServiceWithSensors() : InProcessService("gpiochip-sensors", {"A"}, {}, Time::kReal) {}
  // Runs the loop (real time) until `done` or 5 s.
  template <class Done>
  bool run_until(Done done) {
    for (auto deadline = std::chrono::steady_clock::now() + 5s; std::chrono::steady_clock::now() < deadline;) {
      service_->run_once(20);
      if (done()) return true;
    }
    return false;
  }
  FixedSource source_;
};

TEST_F(AServiceWithSensors, EmptiesTheTopicsOfASensorARemovedWhileTheBrokerWasAwayAtTheNextConnect) {
  sensor_source_ = &source_;
  make(kHead + kSensors);
  service_->start();
  settle();
  client().complete_connect();
  ASSERT_TRUE(run_until([&] { return !client().payloads_on("pi/outdoor/frost/state").empty(); }));
  client().drop_connection();
  settle();
  next_config_ = kHead + "sensors:\n  indoor: {w1: 28-000000000001, interval: 100ms}\n";
  ASSERT_EQ(service_->reload(), std::nullopt);
  int reads = source_.reads;
  ASSERT_TRUE(run_until([&] { return source_.reads > reads + 2; }));  // the indoor one goes on
  std::size_t from = client().published.size();
  ASSERT_TRUE(run_until([&] { return client().connects > 1; }));  // the service connects again
  client().complete_connect();
  ASSERT_TRUE(run_until([&] { return !client().payloads_on("pi/outdoor/state", from).empty(); }));
  for (const char* topic : {"pi/outdoor/state", "pi/outdoor/availability", "pi/outdoor/frost/state"}) {
    EXPECT_EQ(client().payloads_on(topic, from), std::vector<std::string>{""}) << topic;
    for (std::size_t i = from; i < client().published.size(); ++i)
      if (client().published[i].topic == topic) {
        EXPECT_TRUE(client().published[i].retain) << topic;
      }
  }
  EXPECT_EQ(client().payloads_on("pi/indoor/state", from), std::vector<std::string>{"21.5"});
  // Once cleared, never again.
  from = client().published.size();
  client().drop_connection();
  settle();
  ASSERT_TRUE(run_until([&] { return client().connects > 2; }));
  client().complete_connect();
  ASSERT_TRUE(run_until([&] { return !client().payloads_on("pi/indoor/state", from).empty(); }));
  EXPECT_TRUE(client().payloads_on("pi/outdoor/state", from).empty());
}

}  // namespace
}  // namespace gpio2mqtt::service

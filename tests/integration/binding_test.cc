// Local bindings end to end: a wall button (pressed through the simulated chip's control socket)
// toggles a relay wired back to an input, with the broker killed, with Home Assistant offline, and
// a binding switched off over MQTT stays off across a restart.
#include <signal.h>

#include <cerrno>
#include <cstring>
#include <thread>

#include "control_socket.h"
#include "daemon_fixture.h"

namespace gpio2mqtt::testing {
namespace {

using namespace std::chrono_literals;

class ADaemonWithABinding : public ADaemon {
 protected:
  std::string socket_path() const { return dir_ + "/control.sock"; }
  // The wall button (pressed pulls GPIO17 low) sends single at its release; the relay drives
  // GPIO22, seen as the input `lamp`: what the light really does.
  std::string config(const std::string& when) const {
    return "mqtt:\n  server: " + broker_->url() + "\n  client_id: gpio2mqtt-test\n  base_topic: raspberry\n" +
           "dbus: off\nstate_directory: " + dir_ + "/state\nchips:\n  main:\n    simulated:\n" +
           "      lines: [GPIO17, GPIO22, GPIO27]\n      wires: {GPIO27: GPIO22}\n      control: " + socket_path() +
           "\nlines:\n  wall: {line: GPIO17, mode: button, active_low: true, debounce: 5ms, button: {gestures: "
           "[single]}}\n  lamp: {line: GPIO22}\n  relay: {line: GPIO27, direction: output}\n" +
           "bindings:\n  - {name: wall, trigger: wall, on: single, target: relay, when: " + when + "}\n";
  }
  void start_pressing(const std::string& config_yaml) {
    ASSERT_NO_FATAL_FAILURE(start(config_yaml));
    control_ = std::make_unique<ControlSocket>(socket_path());
    ASSERT_TRUE(control_->pull("GPIO17", true)) << std::strerror(errno);  // released
  }
  // A press as a hand makes it: closed about 50 ms, then open.
  void press() {
    ASSERT_TRUE(control_->pull("GPIO17", false)) << std::strerror(errno);
    std::this_thread::sleep_for(50ms);
    ASSERT_TRUE(control_->pull("GPIO17", true)) << std::strerror(errno);
  }
  std::size_t local_actions() const {
    std::string log = daemon_->log();
    std::size_t count = 0;
    for (auto at = log.find("local: binding wall"); at != std::string::npos;
         at = log.find("local: binding wall", at + 1))
      ++count;
    return count;
  }
  // A press whose gesture went out, and what the bindings did about it: the daemon answers a get
  // of the relay only after the turn of its loop that made the gesture (and logged any action).
  void press_and_see_it(std::size_t& from) {
    ASSERT_NO_FATAL_FAILURE(press());
    auto at = observer_->wait_for("raspberry/wall/action", "single", from);
    ASSERT_TRUE(at) << daemon_->log();
    observer_->publish("raspberry/relay/get", "");
    auto answer = observer_->wait_for([](const Received& m) { return m.topic == "raspberry/relay/state"; }, *at + 1);
    ASSERT_TRUE(answer) << daemon_->log();
    from = *at + 1;
  }

  std::unique_ptr<ControlSocket> control_;
};

TEST_F(ADaemonWithABinding, TogglesTheLightWithTheBrokerDownAndPublishesTheTrueStatesAfter) {
  ASSERT_NO_FATAL_FAILURE(start_pressing(config("broker_offline")));
  std::size_t from = observer_->size();
  ASSERT_NO_FATAL_FAILURE(press_and_see_it(from));
  EXPECT_EQ(local_actions(), 0u) << "the broker is up: Home Assistant does the job";

  broker_->kill();
  ASSERT_TRUE(eventually([&] { return daemon_->log().find("lost the connection to") != std::string::npos; }, 10s));
  for (std::size_t i = 1; i <= 3; ++i) {
    ASSERT_NO_FATAL_FAILURE(press());
    ASSERT_TRUE(eventually([&] { return local_actions() == i; }, 10s)) << daemon_->log();
  }
  broker_->start();
  MqttTestClient after(broker_->url(), "after");
  after.subscribe("raspberry/#");
  // The lamp's edges, queued while the broker was gone, in order; then the real levels.
  ASSERT_TRUE(eventually([&] { return after.payloads_on("raspberry/lamp/event").size() >= 3; }, 20s)) << daemon_->log();
  auto events = after.payloads_on("raspberry/lamp/event");
  ASSERT_EQ(events.size(), 3u);
  EXPECT_NE(events[0].find("\"edge\":\"rising\""), std::string::npos) << events[0];
  EXPECT_NE(events[1].find("\"edge\":\"falling\""), std::string::npos) << events[1];
  EXPECT_NE(events[2].find("\"edge\":\"rising\""), std::string::npos) << events[2];
  ASSERT_TRUE(after.wait_for("raspberry/relay/state", "ON"));
  ASSERT_TRUE(after.wait_for("raspberry/lamp/state", "ON"));
  EXPECT_EQ(after.payloads_on("raspberry/relay/state"), std::vector<std::string>{"ON"});
}

TEST_F(ADaemonWithABinding, ActsWhileHomeAssistantIsOfflineAndNotWhileItIsOnline) {
  ASSERT_NO_FATAL_FAILURE(start_pressing(config("ha_offline")));
  std::size_t from = observer_->size();
  observer_->publish("homeassistant/status", "offline");
  ASSERT_TRUE(
      eventually([&] { return daemon_->log().find("Home Assistant says it is offline") != std::string::npos; }, 10s));
  ASSERT_NO_FATAL_FAILURE(press_and_see_it(from));
  EXPECT_TRUE(expect("raspberry/relay/state", "ON", from));
  EXPECT_EQ(local_actions(), 1u);
  observer_->publish("homeassistant/status", "online");
  ASSERT_TRUE(
      eventually([&] { return daemon_->log().find("Home Assistant says it is online") != std::string::npos; }, 10s));
  ASSERT_NO_FATAL_FAILURE(press_and_see_it(from));
  EXPECT_EQ(local_actions(), 1u) << "Home Assistant is back: it switches the light";
  EXPECT_EQ(observer_->payloads_on("raspberry/relay/state").back(), "ON");
}

TEST_F(ADaemonWithABinding, TakesARetainedOfflineAsWhatHomeAssistantLastSaid) {
  observer_->publish("homeassistant/status", "offline", true);
  ASSERT_NO_FATAL_FAILURE(start_pressing(config("ha_offline")));
  std::size_t from = observer_->size();
  ASSERT_NO_FATAL_FAILURE(press_and_see_it(from));
  EXPECT_TRUE(expect("raspberry/relay/state", "ON", from));
  EXPECT_EQ(local_actions(), 1u);
}

TEST_F(ADaemonWithABinding, SwitchedOffOverMqttStaysOffAcrossARestart) {
  ASSERT_NO_FATAL_FAILURE(start_pressing(config("always")));
  std::size_t from = observer_->size();
  observer_->publish("raspberry/binding/wall/set", "OFF");
  ASSERT_TRUE(expect("raspberry/binding/wall/state", "OFF", from));
  daemon_->process().signal(SIGTERM);
  daemon_->process().wait(10s);

  from = observer_->size();
  start_daemon(config("always"));
  ASSERT_TRUE(came_online(from));
  ASSERT_TRUE(expect("raspberry/binding/wall/state", "OFF", from));
  control_ = std::make_unique<ControlSocket>(socket_path());
  ASSERT_TRUE(control_->pull("GPIO17", true)) << std::strerror(errno);
  ASSERT_NO_FATAL_FAILURE(press_and_see_it(from));
  EXPECT_EQ(local_actions(), 0u);
  EXPECT_EQ(observer_->payloads_on("raspberry/relay/state").back(), "OFF");

  observer_->publish("raspberry/binding/wall/set", "ON");
  ASSERT_TRUE(expect("raspberry/binding/wall/state", "ON", from));
  ASSERT_NO_FATAL_FAILURE(press_and_see_it(from));
  EXPECT_TRUE(expect("raspberry/relay/state", "ON", from));
  EXPECT_EQ(local_actions(), 1u);
}

// The relay replaced by a heater on slow software PWM on the same line (GPIO27, wired to `lamp`),
// which the wall button switches and a long press dims.
std::string with_heater(std::string yaml) {
  auto relay = yaml.find("  relay: {line: GPIO27, direction: output}\n");
  yaml.erase(relay, std::string("  relay: {line: GPIO27, direction: output}\n").size());
  auto bindings = yaml.find("bindings:\n");
  yaml.insert(bindings, "pwm:\n  heater: {line: GPIO27, period: 1s}\n");
  auto target = yaml.find("target: relay");
  yaml.replace(target, std::string("target: relay").size(), "target: heater");
  return yaml;
}

TEST_F(ADaemonWithABinding, SwitchesAPwmOutputWithTheBrokerDownAndPublishesItsStateAfter) {
  start_daemon(with_heater(config("broker_offline")));  // no relay: not start_pressing()
  ASSERT_TRUE(came_online());
  ASSERT_TRUE(observer_->wait_for("raspberry/heater/state", R"({"state":"OFF","brightness":0,"percentage":0})"));
  control_ = std::make_unique<ControlSocket>(socket_path());
  ASSERT_TRUE(control_->pull("GPIO17", true)) << std::strerror(errno);  // released
  broker_->kill();
  ASSERT_TRUE(eventually([&] { return daemon_->log().find("lost the connection to") != std::string::npos; }, 10s));
  ASSERT_NO_FATAL_FAILURE(press());
  ASSERT_TRUE(eventually([&] { return local_actions() == 1; }, 10s)) << daemon_->log();
  EXPECT_NE(daemon_->log().find("local: binding wall: wall single → toggle heater"), std::string::npos);
  broker_->start();
  MqttTestClient after(broker_->url(), "after");
  after.subscribe("raspberry/#");
  // Toggled on, at full (nothing kept yet): its line is held on, which the wired input shows.
  ASSERT_TRUE(after.wait_for("raspberry/heater/state", R"({"state":"ON","brightness":255,"percentage":100})", 0, 20s))
      << daemon_->log();
  ASSERT_TRUE(after.wait_for("raspberry/lamp/state", "ON"));
}

}  // namespace
}  // namespace gpio2mqtt::testing

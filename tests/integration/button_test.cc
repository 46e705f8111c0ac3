// Inputs in mode: button end to end: presses driven through the simulated chip's control socket,
// their gestures read back from a real mosquitto and by the Home Assistant stand-in.
#include <cerrno>
#include <cstring>
#include <thread>

#include "control_socket.h"
#include "daemon_fixture.h"
#include "home_assistant.h"

namespace gpio2mqtt::testing {
namespace {

using namespace std::chrono_literals;

class ADaemonWithAButton : public ADaemon {
 protected:
  std::string socket_path() const { return dir_ + "/control.sock"; }
  // A wall button to ground (pressed pulls the line low), and the relay start() waits for. The
  // window is wide so that presses a loaded machine delays still fall into one gesture.
  std::string config(const std::string& button = "{window: 1s, long_press: 3s}", const std::string& extra = "") const {
    return "mqtt:\n  server: " + broker_->url() + "\n  client_id: gpio2mqtt-test\n  base_topic: raspberry\n" +
           "dbus: off\n" + extra + "chips:\n  main:\n    simulated:\n      lines: [GPIO17, GPIO22, GPIO27]\n" +
           "      control: " + socket_path() +
           "\nlines:\n  hall: {line: GPIO17, mode: button, active_low: true, debounce: 5ms, button: " + button +
           "}\n  relay: {line: GPIO27, direction: output}\n";
  }
  void start_pressing(const std::string& config_yaml) {
    ASSERT_NO_FATAL_FAILURE(start(config_yaml));
    control_ = std::make_unique<ControlSocket>(socket_path());
    // The line idles high (released); pressing pulls it low. It starts low (pressed): the
    // release is seen before the first press comes.
    std::size_t from = observer_->size();
    ASSERT_NO_FATAL_FAILURE(level(true));
    ASSERT_TRUE(observer_->wait_for("raspberry/hall/state", "OFF", from)) << "the release was not seen";
  }
  void level(bool high) { ASSERT_TRUE(control_->pull("GPIO17", high)) << std::strerror(errno); }
  // A short press: the contact closes for about 50 ms and stays open 50 ms. Each change is
  // waited for on the state topic before the next: the simulated chip stamps an edge when the
  // daemon reads the pull from its control socket, so a loop held up longer than the press (seen
  // under ThreadSanitizer with two test processes on two cores) read both pulls at once, as a
  // glitch shorter than the 5 ms debounce, and the press was gone.
  void press() {
    std::size_t from = observer_->size();
    ASSERT_NO_FATAL_FAILURE(level(false));
    ASSERT_TRUE(observer_->wait_for("raspberry/hall/state", "ON", from)) << "the press was not seen";
    std::this_thread::sleep_for(50ms);
    from = observer_->size();
    ASSERT_NO_FATAL_FAILURE(level(true));
    ASSERT_TRUE(observer_->wait_for("raspberry/hall/state", "OFF", from)) << "the release was not seen";
    std::this_thread::sleep_for(50ms);
  }
  // Waits for `action` on the action topic after message `observed_`.
  void expect_action(const std::string& action, std::chrono::milliseconds timeout = 10s) {
    auto at = observer_->wait_for("raspberry/hall/action", action, observed_, timeout);
    ASSERT_TRUE(at) << "no action " << action << "; seen: " << actions().size() << "\n" << daemon_->log();
    observed_ = *at + 1;
  }
  std::vector<std::string> actions() const { return observer_->payloads_on("raspberry/hall/action"); }

  std::unique_ptr<ControlSocket> control_;
  std::size_t observed_ = 0;
};

TEST_F(ADaemonWithAButton, SendsSingleDoubleAndLongAsThePressesCome) {
  ASSERT_NO_FATAL_FAILURE(start_pressing(config()));
  ASSERT_NO_FATAL_FAILURE(press());
  ASSERT_NO_FATAL_FAILURE(expect_action("single"));
  ASSERT_NO_FATAL_FAILURE(press());
  ASSERT_NO_FATAL_FAILURE(press());
  ASSERT_NO_FATAL_FAILURE(expect_action("double"));
  ASSERT_NO_FATAL_FAILURE(level(false));
  ASSERT_NO_FATAL_FAILURE(expect_action("long")) << "while the button is still held";
  EXPECT_TRUE(observer_->payloads_on("raspberry/hall/state").back() == "ON") << "still pressed";
  ASSERT_NO_FATAL_FAILURE(level(true));
  ASSERT_NO_FATAL_FAILURE(expect_action("long_release"));
  EXPECT_EQ(actions(), (std::vector<std::string>{"single", "double", "long", "long_release"}));
  for (const auto& m : observer_->messages())
    if (m.topic == "raspberry/hall/action") {
      EXPECT_FALSE(m.retained) << m.payload;
    }
}

TEST_F(ADaemonWithAButton, KeepsTheStateTopicOfTheLineWithActiveLowApplied) {
  ASSERT_NO_FATAL_FAILURE(start_pressing(config()));
  std::size_t from = observer_->size();
  ASSERT_NO_FATAL_FAILURE(level(false));
  EXPECT_TRUE(expect("raspberry/hall/state", "ON", from)) << "pulled low is pressed";
  ASSERT_NO_FATAL_FAILURE(level(true));
  EXPECT_TRUE(expect("raspberry/hall/state", "OFF", from));
}

TEST_F(ADaemonWithAButton, ConfiguredForSinglePressesSendsEachAtItsRelease) {
  // A window of 5 s that is never waited for: each single comes at its release, well before it.
  ASSERT_NO_FATAL_FAILURE(start_pressing(config("{window: 5s, gestures: [single]}")));
  for (int i = 0; i < 3; ++i) {
    ASSERT_NO_FATAL_FAILURE(press());
    ASSERT_NO_FATAL_FAILURE(expect_action("single", 4s));
  }
}

TEST_F(ADaemonWithAButton, GivesHomeAssistantAnEventEntityOfItsGestures) {
  FakeHomeAssistant ha(broker_->url(), "homeassistant");
  ASSERT_NO_FATAL_FAILURE(start_pressing(
      config("{window: 1s, long_press: 3s, gestures: [single, double, long]}", "homeassistant: {discovery: true}\n")));
  ASSERT_TRUE(eventually([&] { return ha.find("hall_action").has_value(); }, 10s));
  Entity event = *ha.find("hall_action");
  EXPECT_EQ(event.platform, "event");
  EXPECT_EQ(event.event_types, (std::vector<std::string>{"single", "double", "long"}));
  ASSERT_NO_FATAL_FAILURE(press());
  ASSERT_NO_FATAL_FAILURE(press());
  ASSERT_NO_FATAL_FAILURE(expect_action("double"));
  ASSERT_NO_FATAL_FAILURE(level(false));
  ASSERT_NO_FATAL_FAILURE(expect_action("long"));
  ASSERT_NO_FATAL_FAILURE(level(true));
  EXPECT_TRUE(eventually([&] { return ha.events(event).size() >= 2; }, 10s));
  EXPECT_EQ(ha.events(event), (std::vector<std::string>{"double", "long"}));
  EXPECT_EQ(ha.errors(), std::vector<std::string>{});
}

}  // namespace
}  // namespace gpio2mqtt::testing

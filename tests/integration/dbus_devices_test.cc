// The devices on the daemon's D-Bus object (a private dbus-daemon, real D-Bus clients): covers,
// an interlocked output, PWM outputs, sensors. The fixture: dbus_fixture.h.
#include <gtest/gtest.h>
#include <sdbus-c++/sdbus-c++.h>

#include "dbus_fixture.h"

namespace gpio2mqtt::testing {
namespace {

using namespace std::chrono_literals;

TEST_F(ADaemonOnDbus, ReadsAndCommandsACover) {
  ASSERT_NO_FATAL_FAILURE(start_on_bus("",
                                       "  opener: {line: GPIO17, direction: output}\ncovers:\n"
                                       "  gate: {button: opener, open_time: 1s, close_time: 1s, margin: 100ms, "
                                       "press: 100ms}\n"));
  auto get = [&] {
    std::string state;
    std::int32_t position = 0;
    proxy_->callMethod("GetCover")
        .onInterface(kInterface)
        .withArguments(std::string("gate"))
        .storeResultsTo(state, position);
    return std::make_pair(state, position);
  };
  EXPECT_EQ(get(), std::make_pair(std::string("stopped"), -1));  // unknown until a full travel
  std::size_t from = observer_->size();
  proxy_->callMethod("SetCover").onInterface(kInterface).withArguments(std::string("gate"), std::string("open"));
  EXPECT_TRUE(expect("raspberry/opener/state", "ON", from));  // the press
  EXPECT_TRUE(expect("raspberry/gate/state", "open", from));
  EXPECT_EQ(get(), std::make_pair(std::string("open"), 100));
  for (auto [name, command, error] : {std::tuple{"gate", "up", "InvalidCommand"}, {"nope", "OPEN", "UnknownCover"}}) {
    try {
      proxy_->callMethod("SetCover").onInterface(kInterface).withArguments(std::string(name), std::string(command));
      ADD_FAILURE() << name << " " << command << " was taken";
    } catch (const sdbus::Error& e) {
      EXPECT_EQ(e.getName(), std::string("io.github.gpio2mqtt.Error.") + error);
    }
  }
}

TEST_F(ADaemonOnDbus, SetsAnInterlockedOutputThroughItsInterlock) {
  ASSERT_NO_FATAL_FAILURE(start_on_bus("",
                                       "  fan: {line: GPIO17, direction: output}\n"
                                       "interlocks: [{lines: [relay, fan], dead_time: 300ms}]\n"));
  std::size_t from = observer_->size();
  proxy_->callMethod("SetLine").onInterface(kInterface).withArguments(std::string("fan"), true);
  auto fan_on = observer_->wait_for("raspberry/fan/state", "ON", from);
  ASSERT_TRUE(fan_on);
  proxy_->callMethod("SetLine").onInterface(kInterface).withArguments(std::string("relay"), true);
  auto fan_off = observer_->wait_for("raspberry/fan/state", "OFF", *fan_on);
  ASSERT_TRUE(fan_off);
  auto relay_on = observer_->wait_for("raspberry/relay/state", "ON", *fan_on);
  ASSERT_TRUE(relay_on);
  EXPECT_LT(*fan_off, *relay_on);  // off first, the relay after the dead time
  bool fan = true;
  proxy_->callMethod("GetLine").onInterface(kInterface).withArguments(std::string("fan")).storeResultsTo(fan);
  EXPECT_FALSE(fan);
}

TEST_F(ADaemonOnDbus, ShowsAndSetsAPwmOutputAsItsSetTopicWould) {
  ASSERT_NO_FATAL_FAILURE(start_on_bus("", kHeater));
  auto get = [&](const std::string& name) {
    bool on = true;
    double percent = -1;
    proxy_->callMethod("GetPwm").onInterface(kInterface).withArguments(name).storeResultsTo(on, percent);
    return std::make_pair(on, percent);
  };
  EXPECT_EQ(get("heater"), std::make_pair(false, 0.0));
  std::size_t from = observer_->size();
  proxy_->callMethod("SetPwm").onInterface(kInterface).withArguments(std::string("heater"), std::string("40"));
  EXPECT_TRUE(
      observer_->wait_for("raspberry/heater/state", R"({"state":"ON","brightness":102,"percentage":40})", from));
  EXPECT_EQ(get("heater"), std::make_pair(true, 40.0));
  using Pwm = sdbus::Struct<std::string, bool, double>;
  EXPECT_EQ(property<std::vector<Pwm>>("PwmOutputs"), (std::vector<Pwm>{{"heater", true, 40.0}}));
  // OFF, then a plain ON brings back the last level; Home Assistant's JSON as on MQTT.
  proxy_->callMethod("SetPwm").onInterface(kInterface).withArguments(std::string("heater"), std::string("off"));
  EXPECT_EQ(get("heater"), std::make_pair(false, 0.0));
  proxy_->callMethod("SetPwm").onInterface(kInterface).withArguments(std::string("heater"), std::string("ON"));
  EXPECT_EQ(get("heater"), std::make_pair(true, 40.0));
  from = observer_->size();
  proxy_->callMethod("SetPwm")
      .onInterface(kInterface)
      .withArguments(std::string("heater"), std::string(R"({"state":"ON","brightness":255})"));
  EXPECT_TRUE(
      observer_->wait_for("raspberry/heater/state", R"({"state":"ON","brightness":255,"percentage":100})", from));
  EXPECT_TRUE(eventually([&] { return property<std::uint64_t>("CommandsApplied") == 4; }, 5s))
      << property<std::uint64_t>("CommandsApplied");
}

TEST_F(ADaemonOnDbus, RefusesAnUnknownPwmOutputAndAnInvalidCommand) {
  ASSERT_NO_FATAL_FAILURE(start_on_bus("", kHeater));
  try {
    proxy_->callMethod("SetPwm").onInterface(kInterface).withArguments(std::string("heater"), std::string("150"));
    ADD_FAILURE() << "accepted";
  } catch (const sdbus::Error& e) {
    EXPECT_EQ(e.getName(), "io.github.gpio2mqtt.Error.InvalidCommand");
    EXPECT_NE(e.getMessage().find("pwm 'heater': "), std::string::npos) << e.getMessage();
  }
  try {
    bool on;
    double percent;
    proxy_->callMethod("GetPwm")
        .onInterface(kInterface)
        .withArguments(std::string("relay"))
        .storeResultsTo(on, percent);
    ADD_FAILURE() << "a line is no PWM output";
  } catch (const sdbus::Error& e) {
    EXPECT_EQ(e.getName(), "io.github.gpio2mqtt.Error.UnknownPwm");
  }
  bool on = true;
  double percent = -1;
  proxy_->callMethod("GetPwm").onInterface(kInterface).withArguments(std::string("heater")).storeResultsTo(on, percent);
  EXPECT_FALSE(on);  // the refused command changed nothing
  EXPECT_EQ(property<std::uint64_t>("CommandsApplied"), 0u);
}

// A wall switch on GPIO17 that toggles the relay while Home Assistant is offline.
TEST_F(ADaemonOnDbus, ShowsEachSensorsValueAndAvailabilityAndTheSensorCounters) {
  ASSERT_NO_FATAL_FAILURE(start_on_bus("", sensor_tree(dir_ + "/sys")));
  using SensorStruct = sdbus::Struct<std::string, std::string, std::string, bool>;
  const std::vector<SensorStruct> expected{{"adc", "0.125", "V", true}, {"slow", "", "°C", false}};
  EXPECT_TRUE(eventually([&] { return property<std::vector<SensorStruct>>("Sensors") == expected; }, 10s))
      << daemon_->log();
  EXPECT_TRUE(eventually([&] { return property<std::uint64_t>("SensorTimeouts") >= 2; }, 10s)) << daemon_->log();
  EXPECT_GE(property<std::uint64_t>("SensorReads"), 1u);
  EXPECT_GE(property<std::uint64_t>("SensorFailures"), property<std::uint64_t>("SensorTimeouts"));
  EXPECT_EQ(property<std::uint64_t>("SensorReadingsDropped"), 0u);
}

}  // namespace
}  // namespace gpio2mqtt::testing

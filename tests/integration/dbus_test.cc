// The daemon's D-Bus object on a private dbus-daemon, read and driven by real D-Bus clients: its
// properties, lines, counters, bindings, reload and access (the devices: dbus_devices_test.cc).
#include <gtest/gtest.h>
#include <sdbus-c++/sdbus-c++.h>

#include <fstream>
#include <mutex>

#include "dbus_fixture.h"

namespace gpio2mqtt::testing {
namespace {

using namespace std::chrono_literals;

TEST_F(ADaemonOnDbus, ShowsItsStateAsProperties) {
  ASSERT_NO_FATAL_FAILURE(start_on_bus());
  EXPECT_TRUE(property<bool>("Connected"));
  EXPECT_EQ(property<std::string>("Broker"), broker_->url());
  EXPECT_EQ(property<std::string>("Server"), broker_->url());
  EXPECT_EQ(property<std::string>("Version"), GPIO2MQTT_VERSION);
  auto now_us = static_cast<std::uint64_t>(
      std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::system_clock::now().time_since_epoch())
          .count());
  EXPECT_LE(now_us - property<std::uint64_t>("StartedAt"), 60'000'000u);
  EXPECT_EQ(property<std::uint64_t>("EdgesPublished"), 0u);
  EXPECT_EQ(property<std::uint64_t>("CommandsRejected"), 0u);
  EXPECT_EQ(property<std::uint64_t>("KernelEventsDropped"), 0u);
  for (const char* counter :
       {"CommandsRateLimited", "EventsDropped", "MessagesDropped", "PublishesRefused", "LineErrors"})
    EXPECT_EQ(property<std::uint64_t>(counter), 0u) << counter;
  EXPECT_EQ(property<std::string>("LastError"), "");
  using Line = sdbus::Struct<std::string, std::string, bool>;
  EXPECT_EQ(property<std::vector<Line>>("Lines"),
            (std::vector<Line>{{"button", "input", false}, {"relay", "output", false}}));
}

TEST_F(ADaemonOnDbus, SetsAnOutputAndPublishesItsState) {
  ASSERT_NO_FATAL_FAILURE(start_on_bus());
  std::size_t from = observer_->size();
  proxy_->callMethod("SetLine").onInterface(kInterface).withArguments(std::string("relay"), true);
  expect("raspberry/relay/state", "ON", from);
  expect("raspberry/button/state", "ON", from);  // through the wire
  bool button = false;
  proxy_->callMethod("GetLine").onInterface(kInterface).withArguments(std::string("button")).storeResultsTo(button);
  EXPECT_TRUE(button);
  EXPECT_TRUE(eventually([&] { return property<std::uint64_t>("CommandsApplied") == 1; }, 5s));
  EXPECT_TRUE(eventually([&] { return property<std::uint64_t>("EdgesPublished") == 1; }, 5s));
}

TEST_F(ADaemonOnDbus, CountsTheCommandsOverALinesRateLimit) {
  ASSERT_NO_FATAL_FAILURE(start_on_bus());
  // 40 at once: the line takes a burst of 20, and one more each 100 ms.
  for (int i = 0; i < 40; ++i) observer_->publish("raspberry/relay/get", "");
  EXPECT_TRUE(eventually([&] { return property<std::uint64_t>("CommandsRateLimited") >= 10; }, 5s))
      << property<std::uint64_t>("CommandsRateLimited");
  EXPECT_LE(property<std::uint64_t>("CommandsRateLimited"), 20u);
}

TEST_F(ADaemonOnDbus, RefusesToSetAnInputOrAnUnknownLine) {
  ASSERT_NO_FATAL_FAILURE(start_on_bus());
  try {
    proxy_->callMethod("SetLine").onInterface(kInterface).withArguments(std::string("button"), true);
    FAIL() << "accepted";
  } catch (const sdbus::Error& e) {
    EXPECT_EQ(e.getName(), "io.github.gpio2mqtt.Error.NotAnOutput");
  }
  try {
    bool level;
    proxy_->callMethod("GetLine").onInterface(kInterface).withArguments(std::string("nope")).storeResultsTo(level);
    FAIL() << "accepted";
  } catch (const sdbus::Error& e) {
    EXPECT_EQ(e.getName(), "io.github.gpio2mqtt.Error.UnknownLine");
  }
}

TEST_F(ADaemonOnDbus, SignalsWhenTheBrokerIsLost) {
  ASSERT_NO_FATAL_FAILURE(start_on_bus());
  ASSERT_NO_FATAL_FAILURE(record_changes());
  broker_->kill();
  EXPECT_TRUE(eventually(
      [&] {
        std::lock_guard lock(mutex_);
        for (const auto& change : changes_)
          if (change.count("Connected") && !change.at("Connected").get<bool>())
            return change.count("Server") && change.at("Server").get<std::string>().empty();
        return false;
      },
      10s));
  connection_->leaveEventLoop();
}

TEST_F(ADaemonOnDbus, SaysWhyTheBrokerConnectionIsDownInLastErrorAndClearsItOnceBack) {
  ASSERT_NO_FATAL_FAILURE(start_on_bus());
  EXPECT_EQ(property<std::string>("LastError"), "");
  broker_->kill();
  std::string refused = "cannot connect to " + broker_->url() + ", retrying in ";
  ASSERT_TRUE(eventually(
      [&] {
        auto error = property<std::string>("LastError");
        return error.find(refused) == 0 && error.find(": connection refused by 127.0.0.1 port") != std::string::npos;
      },
      10s))
      << property<std::string>("LastError");
  broker_->start();
  EXPECT_TRUE(eventually([&] { return property<std::string>("LastError").empty(); }, 20s));
}

TEST_F(ADaemonOnDbus, ReloadsOnRequestAndReportsAnInvalidConfig) {
  ASSERT_NO_FATAL_FAILURE(start_on_bus());
  write_file(daemon_->config_path(),
             "dbus: session\nchips: {main: {simulated: {lines: [A]}}}\nlines: {x: {line: B}}\n");
  try {
    proxy_->callMethod("Reload").onInterface(kInterface);
    FAIL() << "accepted";
  } catch (const sdbus::Error& e) {
    EXPECT_EQ(e.getName(), "io.github.gpio2mqtt.Error.InvalidConfig");
    EXPECT_NE(e.getMessage().find("config.yaml:3:"), std::string::npos) << e.getMessage();
  }
  EXPECT_NE(property<std::string>("LastError").find("chip 'main' has no line 'B'"), std::string::npos);
  EXPECT_TRUE(property<bool>("Connected"));  // still running the old one
}

TEST_F(ADaemonOnDbus, ShowsAndSetsACountersCount) {
  start_on_bus("", "  meter: {line: GPIO17, mode: counter}\n");
  std::uint64_t count = 1;
  proxy_->callMethod("GetCount").onInterface(kInterface).withArguments(std::string("meter")).storeResultsTo(count);
  EXPECT_EQ(count, 0u);
  proxy_->callMethod("SetCount").onInterface(kInterface).withArguments(std::string("meter"), std::uint64_t{4242});
  EXPECT_TRUE(observer_->wait_for("raspberry/meter/total", "4.242"));
  proxy_->callMethod("GetCount").onInterface(kInterface).withArguments(std::string("meter")).storeResultsTo(count);
  EXPECT_EQ(count, 4242u);
  try {
    proxy_->callMethod("GetCount").onInterface(kInterface).withArguments(std::string("relay")).storeResultsTo(count);
    ADD_FAILURE() << "an output has no count";
  } catch (const sdbus::Error& e) {
    EXPECT_EQ(e.getName(), "io.github.gpio2mqtt.Error.NotACounter");
  }
}

// A heater on slow software PWM (GPIO17) beside the demo's lines.
const char* kNightBinding =
    "  wall: {line: GPIO17}\n"
    "bindings:\n  - {name: night, trigger: wall, on: on, target: relay, when: ha_offline}\n";
using BindingStruct = sdbus::Struct<std::string, std::string, bool, bool>;

TEST_F(ADaemonOnDbus, ListsTheBindingsAndWhatHomeAssistantLastSaidAndSignalsWhenThatChanges) {
  ASSERT_NO_FATAL_FAILURE(start_on_bus("", kNightBinding));
  const std::string night = "wall on → toggle relay, when Home Assistant is offline";
  EXPECT_EQ(property<std::string>("HomeAssistantStatus"), "unknown");
  EXPECT_EQ(property<std::vector<BindingStruct>>("Bindings"),
            (std::vector<BindingStruct>{{"night", night, true, false}}));  // unknown counts as online
  ASSERT_NO_FATAL_FAILURE(record_changes());
  observer_->publish("homeassistant/status", "offline");
  EXPECT_TRUE(eventually(
      [&] {
        std::lock_guard lock(mutex_);
        for (const auto& change : changes_)
          if (change.count("HomeAssistantStatus") && change.at("HomeAssistantStatus").get<std::string>() == "offline")
            return change.count("Bindings") && change.at("Bindings").get<std::vector<BindingStruct>>() ==
                                                   std::vector<BindingStruct>{{"night", night, true, true}};
        return false;
      },
      10s));
  connection_->leaveEventLoop();
  observer_->publish("homeassistant/status", "online");
  EXPECT_TRUE(eventually([&] { return property<std::string>("HomeAssistantStatus") == "online"; }, 10s));
  EXPECT_EQ(property<std::vector<BindingStruct>>("Bindings"),
            (std::vector<BindingStruct>{{"night", night, true, false}}));
}

TEST_F(ADaemonOnDbus, SwitchesABindingOffAsItsMqttSwitchDoesAndKeepsItInTheStateDirectory) {
  ASSERT_NO_FATAL_FAILURE(start_on_bus("", kNightBinding));
  ASSERT_TRUE(observer_->wait_for("raspberry/binding/night/state", "ON"));
  std::size_t from = observer_->size();
  proxy_->callMethod("SetBinding").onInterface(kInterface).withArguments(std::string("night"), false);
  auto off = observer_->wait_for("raspberry/binding/night/state", "OFF", from);
  ASSERT_TRUE(off);
  MqttTestClient late(broker_->url(), "late-reader");  // sees what the broker retained
  late.subscribe("raspberry/binding/night/state");
  EXPECT_TRUE(late.wait_for([](const Received& r) { return r.payload == "OFF" && r.retained; }));
  EXPECT_FALSE(std::get<2>(property<std::vector<BindingStruct>>("Bindings").at(0)));
  std::ifstream in(dir_ + "/state/bindings.state");
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  EXPECT_NE(text.find("night off"), std::string::npos) << text;
  EXPECT_NE(daemon_->log().find("binding night: switched off over D-Bus"), std::string::npos) << daemon_->log();
  // Switched on again while Home Assistant is offline, it would act now.
  observer_->publish("homeassistant/status", "offline");
  ASSERT_TRUE(eventually([&] { return property<std::string>("HomeAssistantStatus") == "offline"; }, 10s));
  proxy_->callMethod("SetBinding").onInterface(kInterface).withArguments(std::string("night"), true);
  EXPECT_TRUE(observer_->wait_for("raspberry/binding/night/state", "ON", *off));
  EXPECT_EQ(
      property<std::vector<BindingStruct>>("Bindings"),
      (std::vector<BindingStruct>{{"night", "wall on → toggle relay, when Home Assistant is offline", true, true}}));
  try {
    proxy_->callMethod("SetBinding").onInterface(kInterface).withArguments(std::string("nope"), false);
    ADD_FAILURE() << "accepted";
  } catch (const sdbus::Error& e) {
    EXPECT_EQ(e.getName(), "io.github.gpio2mqtt.Error.UnknownBinding");
  }
}

// An ADC that reads, and a thermometer whose `temperature` is a FIFO nobody writes: each of its
// reads times out after 300 ms.
std::string policy_owned_by(const std::string& user) {
  std::ifstream in(kPolicy);
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  auto at = text.find("<policy user=\"gpio2mqtt\">");
  EXPECT_NE(at, std::string::npos) << "the policy file no longer has the owner rule";
  if (at != std::string::npos) text.replace(at, 25, "<policy user=\"" + user + "\">");
  return text;
}

TEST_F(ADaemonOnDbus, LetsAnyoneReadButOnlyTheServiceGroupSetOnTheSystemBus) {
  start_on_bus(policy_owned_by("root"), kHeater);  // the tests run as root, standing in for gpio2mqtt
  ASSERT_TRUE(eventually([&] { return property<bool>("Connected"); }, 5s));
  auto [get_status, get_out] = busctl_as_nobody("GetLine s relay");
  EXPECT_EQ(get_status, 0) << get_out;
  EXPECT_EQ(get_out, "b false\n");
  auto [set_status, set_out] = busctl_as_nobody("SetLine sb relay true");
  EXPECT_NE(set_status, 0);
  EXPECT_NE(set_out.find("Access denied"), std::string::npos) << set_out;
  auto [get_pwm_status, get_pwm_out] = busctl_as_nobody("GetPwm s heater");
  EXPECT_EQ(get_pwm_status, 0) << get_pwm_out;
  EXPECT_EQ(get_pwm_out, "bd false 0\n");
  auto [set_pwm_status, set_pwm_out] = busctl_as_nobody("SetPwm ss heater 50");
  EXPECT_NE(set_pwm_status, 0);
  EXPECT_NE(set_pwm_out.find("Access denied"), std::string::npos) << set_pwm_out;
  auto [reload_status, reload_out] = busctl_as_nobody("Reload");
  EXPECT_NE(reload_status, 0) << reload_out;
  auto [binding_status, binding_out] = busctl_as_nobody("SetBinding sb night false");
  EXPECT_NE(binding_status, 0);
  EXPECT_NE(binding_out.find("Access denied"), std::string::npos) << binding_out;
  proxy_->callMethod("SetLine").onInterface(kInterface).withArguments(std::string("relay"), true);  // root may
  EXPECT_TRUE(observer_->wait_for("raspberry/relay/state", "ON"));
}

TEST_F(ADaemonOnDbus, LeavesTheNameToTheServiceUserAndRunsWithoutIt) {
  std::ifstream in(kPolicy);
  std::string policy((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  bus_ = nullptr;
  std::string policy_dir = dir_ + "/policy";
  mkdir(policy_dir.c_str(), 0755);
  write_file(policy_dir + "/io.github.gpio2mqtt.conf", policy);
  bus_ = std::make_unique<DbusDaemon>(dir_, policy_dir);
  start_daemon("dbus: system\n" + demo_config(broker_->url()), {"DBUS_SYSTEM_BUS_ADDRESS=" + bus_->address()});
  ASSERT_TRUE(came_online());  // runs on
  EXPECT_NE(daemon_->log().find("D-Bus: running without it"), std::string::npos);
  EXPECT_NE(daemon_->log().find("AccessDenied"), std::string::npos) << daemon_->log();
}

}  // namespace
}  // namespace gpio2mqtt::testing

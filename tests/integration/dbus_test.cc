// The daemon's D-Bus object on a private dbus-daemon, read and driven by real D-Bus clients.
#include <gtest/gtest.h>
#include <sdbus-c++/sdbus-c++.h>

#include <fstream>
#include <mutex>

#include "daemon_fixture.h"
#include "dbus_daemon.h"
#include "sdbus_proxy.h"

namespace gpio2mqtt::testing {
namespace {

using namespace std::chrono_literals;
constexpr const char* kInterface = "io.github.gpio2mqtt.Daemon1";
const std::string kPolicy = std::string(GPIO2MQTT_SOURCE_DIR) + "/systemd/io.github.gpio2mqtt.conf";

class ADaemonOnDbus : public ADaemon {
 protected:
  void SetUp() override {
    ADaemon::SetUp();
    if (IsSkipped()) return;
    if (!DbusDaemon::available()) GTEST_SKIP() << "dbus-daemon is not installed (apt-get install dbus-daemon)";
  }
  // Starts a bus (session, or system with `policy` as its only policy file) and the daemon on it,
  // with the demo's lines and `more_lines`.
  void start_on_bus(const std::string& policy = "", const std::string& more_lines = "") {
    std::string policy_dir;
    if (!policy.empty()) {
      policy_dir = dir_ + "/policy";
      mkdir(policy_dir.c_str(), 0755);
      write_file(policy_dir + "/io.github.gpio2mqtt.conf", policy);
    }
    bus_ = std::make_unique<DbusDaemon>(dir_, policy_dir);
    std::string which = policy.empty() ? "session" : "system";
    std::string env = (policy.empty() ? "DBUS_SESSION_BUS_ADDRESS=" : "DBUS_SYSTEM_BUS_ADDRESS=") + bus_->address();
    start_daemon(
        "dbus: " + which + "\nstate_directory: " + dir_ + "/state\n" + demo_config(broker_->url()) + more_lines, {env});
    ASSERT_TRUE(came_online());
    connection_ = sdbus::createSessionBusConnectionWithAddress(bus_->address());
    proxy_ = daemon_proxy(*connection_);
  }
  template <typename T>
  T property(const std::string& name) {
    sdbus::Variant value = proxy_->getProperty(name).onInterface(kInterface);
    return value.get<T>();
  }
  // Runs busctl as user `nobody` against the bus; returns its exit status and output.
  std::pair<int, std::string> busctl_as_nobody(const std::string& arguments) {
    std::string out = dir_ + "/busctl.out";
    std::string command = "setpriv --reuid=65534 --regid=65534 --clear-groups busctl --address=" + bus_->address() +
                          " call io.github.gpio2mqtt /io/github/gpio2mqtt " + kInterface + " " + arguments + " > " +
                          out + " 2>&1";
    int status = std::system(command.c_str());
    std::ifstream in(out);
    std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    return {WEXITSTATUS(status), text};
  }

  std::unique_ptr<DbusDaemon> bus_;
  std::unique_ptr<sdbus::IConnection> connection_;
  std::unique_ptr<sdbus::IProxy> proxy_;
};

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
  std::mutex mutex;
  std::vector<std::map<std::string, sdbus::Variant>> changes;
  proxy_->uponSignal("PropertiesChanged")
      .onInterface("org.freedesktop.DBus.Properties")
      .call([&](const std::string&, const std::map<std::string, sdbus::Variant>& changed,
                const std::vector<std::string>&) {
        std::lock_guard lock(mutex);
        changes.push_back(changed);
      });
  finish_signal_registration(*proxy_);
  connection_->enterEventLoopAsync();
  broker_->kill();
  EXPECT_TRUE(eventually(
      [&] {
        std::lock_guard lock(mutex);
        for (const auto& change : changes)
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

std::string policy_owned_by(const std::string& user) {
  std::ifstream in(kPolicy);
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  auto at = text.find("<policy user=\"gpio2mqtt\">");
  EXPECT_NE(at, std::string::npos) << "the policy file no longer has the owner rule";
  if (at != std::string::npos) text.replace(at, 25, "<policy user=\"" + user + "\">");
  return text;
}

TEST_F(ADaemonOnDbus, LetsAnyoneReadButOnlyTheServiceGroupSetOnTheSystemBus) {
  start_on_bus(policy_owned_by("root"));  // the tests run as root, standing in for gpio2mqtt
  ASSERT_TRUE(eventually([&] { return property<bool>("Connected"); }, 5s));
  auto [get_status, get_out] = busctl_as_nobody("GetLine s relay");
  EXPECT_EQ(get_status, 0) << get_out;
  EXPECT_EQ(get_out, "b false\n");
  auto [set_status, set_out] = busctl_as_nobody("SetLine sb relay true");
  EXPECT_NE(set_status, 0);
  EXPECT_NE(set_out.find("Access denied"), std::string::npos) << set_out;
  auto [reload_status, reload_out] = busctl_as_nobody("Reload");
  EXPECT_NE(reload_status, 0) << reload_out;
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

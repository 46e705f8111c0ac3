// systemd's view of the daemon (NOTIFY_SOCKET), reloads, and stopping: the real binary, a real
// mosquitto, a socket standing in for systemd.
#include <gtest/gtest.h>

#include <algorithm>
#include <fstream>
#include <regex>

#include "daemon_fixture.h"
#include "notify_socket.h"

namespace gpio2mqtt::testing {
namespace {

using namespace std::chrono_literals;

class ADaemonUnderSystemd : public ADaemon {
 protected:
  void SetUp() override {
    ADaemon::SetUp();
    if (IsSkipped()) return;
    notify_ = std::make_unique<NotifySocket>(dir_ + "/notify");
  }
  void start_notified(const std::string& config, std::vector<std::string> env = {}) {
    env.push_back(notify_->env());
    start_daemon(config, env);
    ASSERT_TRUE(came_online());
  }
  // Rewrites the config file and sends SIGHUP.
  void reload_with(const std::string& config) {
    write_file(daemon_->config_path(), config);
    daemon_->process().signal(SIGHUP);
  }
  std::unique_ptr<NotifySocket> notify_;
};

// STATUS= counts the sensors' reads, failures, timeouts and dropped readings (sensor_tree()).
TEST_F(ADaemonUnderSystemd, CountsTheSensorsReadsAndFailuresInItsStatus) {
  ASSERT_NO_FATAL_FAILURE(start_notified(demo_config(broker_->url()) + sensor_tree(dir_ + "/sys")));
  const std::regex counts(
      "; sensors: ([0-9]+) values read, ([0-9]+) reads failed \\(([0-9]+) timed out\\), ([0-9]+) "
      "readings dropped");
  std::size_t from = 0;
  bool seen = false;
  for (auto deadline = std::chrono::steady_clock::now() + 10s; !seen && std::chrono::steady_clock::now() < deadline;) {
    auto at = notify_->wait_for("; sensors: ", from, 1s);
    if (!at) continue;
    from = *at + 1;
    std::smatch match;
    const std::string text = notify_->received().at(*at).text;
    ASSERT_TRUE(std::regex_search(text, match, counts)) << text;
    auto number = [&](int i) { return std::stoull(match[i].str()); };
    EXPECT_LE(number(3), number(2)) << text;  // timeouts are failures
    EXPECT_EQ(number(4), 0u) << text;
    seen = number(1) >= 1 && number(3) >= 1;
  }
  EXPECT_TRUE(seen) << daemon_->log();
}

TEST_F(ADaemonUnderSystemd, SaysReadyThenWhatItIsDoing) {
  ASSERT_NO_FATAL_FAILURE(start_notified(demo_config(broker_->url())));
  auto ready = notify_->wait_for("READY=1");
  ASSERT_TRUE(ready);
  auto connected =
      notify_->wait_for("STATUS=connected to " + broker_->url() + ", 1 input, 1 output, 0 edges published");
  ASSERT_TRUE(connected);
  observer_->publish("raspberry/relay/set", "ON");
  EXPECT_TRUE(notify_->wait_for("STATUS=connected to " + broker_->url() + ", 1 input, 1 output, 1 edges published"));
}

TEST_F(ADaemonUnderSystemd, ReportsTheBrokerLostAndFoundAgain) {
  ASSERT_NO_FATAL_FAILURE(start_notified(demo_config(broker_->url())));
  auto connected = notify_->wait_for("STATUS=connected");
  ASSERT_TRUE(connected);
  broker_->kill();
  auto lost = notify_->wait_for("STATUS=lost the connection to " + broker_->url() + ", connecting again: ", *connected);
  ASSERT_TRUE(lost);
  broker_->start();
  EXPECT_TRUE(notify_->wait_for("STATUS=connected", *lost, 20s));
}

TEST_F(ADaemonUnderSystemd, ComesUpWithoutABroker) {
  broker_->kill();
  notify_ = std::make_unique<NotifySocket>(dir_ + "/notify2");
  start_daemon(demo_config(broker_->url()), {notify_->env()});
  EXPECT_TRUE(notify_->wait_for("READY=1"));
  // The delay is drawn between 0 and 1 s (the backoff's jitter).
  auto refused = notify_->wait_for("STATUS=cannot connect to " + broker_->url() + ", retrying in ");
  ASSERT_TRUE(refused);
  const auto& text = notify_->received()[*refused].text;
  EXPECT_TRUE(text.ends_with(" s: connection refused by 127.0.0.1 port " + std::to_string(broker_->port()) +
                             " (no broker listens there; check mqtt.server)"))
      << text;
}

TEST_F(ADaemonUnderSystemd, PingsTheWatchdogAtHalfItsInterval) {
  ASSERT_NO_FATAL_FAILURE(start_notified(demo_config(broker_->url()), {"WATCHDOG_USEC=200000"}));
  auto first = notify_->wait_for("WATCHDOG=1");
  ASSERT_TRUE(first);
  std::size_t at = *first;
  std::vector<std::chrono::system_clock::time_point> pings{notify_->received()[at].sent};
  while (pings.size() < 25) {
    auto next = notify_->wait_for("WATCHDOG=1", at + 1, 2s);
    ASSERT_TRUE(next) << "the pings stopped";
    at = *next;
    pings.push_back(notify_->received()[at].sent);
  }
  // Timed when the daemon sent them, not when this test got round to reading them, and judged by
  // the median interval: a late ping is followed by an early one (the timer keeps its grid), so
  // load moves single intervals but hardly the median. 100 ms is told from a busy loop or
  // WATCHDOG_USEC/4 (50 ms) below, and from pinging at the full interval (200 ms) above.
  std::vector<std::chrono::system_clock::duration> intervals;
  for (std::size_t i = 1; i < pings.size(); ++i) intervals.push_back(pings[i] - pings[i - 1]);
  std::nth_element(intervals.begin(), intervals.begin() + intervals.size() / 2, intervals.end());
  auto median = intervals[intervals.size() / 2];
  EXPECT_GE(median, 70ms);
  EXPECT_LE(median, 150ms);
}

TEST_F(ADaemonUnderSystemd, SaysStoppingOnSigterm) {
  ASSERT_NO_FATAL_FAILURE(start_notified(demo_config(broker_->url())));
  ASSERT_TRUE(notify_->wait_for("READY=1"));
  daemon_->process().signal(SIGTERM);
  EXPECT_EQ(daemon_->process().wait(5s), 0);
  EXPECT_TRUE(notify_->wait_for("STOPPING=1"));
}

const char* kReloadedLines = R"(
lines:
  relay: {line: GPIO27, direction: output, initial: off, on_disconnect: off}
  lamp: {line: GPIO17, direction: output}
  door: {line: GPIO22}
)";

std::string without_lines(const std::string& config) { return config.substr(0, config.find("\nlines:")); }

TEST_F(ADaemonUnderSystemd, ReloadsTheDifferenceKeepingTheConnectionAndUnchangedOutputs) {
  std::string config = demo_config(broker_->url());
  ASSERT_NO_FATAL_FAILURE(start_notified(config));
  observer_->publish("raspberry/relay/set", "ON");
  ASSERT_TRUE(observer_->wait_for("raspberry/button/state", "ON"));  // through the wire
  std::size_t from = observer_->size();
  auto ready = notify_->received().size();
  // button removed, lamp added, and door on button's line: it can only be had once released.
  reload_with(without_lines(config) + kReloadedLines);
  auto reloading = notify_->wait_for("RELOADING=1", ready);
  ASSERT_TRUE(reloading);
  ASSERT_TRUE(notify_->wait_for("READY=1", *reloading));
  ASSERT_TRUE(expect("raspberry/lamp/state", "OFF", from));  // the new lines, published
  ASSERT_TRUE(expect("raspberry/door/state", "ON", from));   // the relay still drives it
  observer_->publish("raspberry/lamp/set", "ON");
  ASSERT_TRUE(expect("raspberry/lamp/state", "ON", from));
  // The removed input no longer answers; the kept output never moved.
  observer_->publish("raspberry/button/get", "");
  observer_->publish("raspberry/relay/get", "");
  auto relay = expect("raspberry/relay/state", "ON", from);
  ASSERT_TRUE(relay);
  EXPECT_EQ(observer_->payloads_on("raspberry/button/state", from), std::vector<std::string>{});
  EXPECT_EQ(observer_->payloads_on("raspberry/relay/state", from), std::vector<std::string>{"ON"});
  // Same connection: no second On.
  EXPECT_EQ(observer_->payloads_on("raspberry/status", from), std::vector<std::string>{});
  EXPECT_EQ(daemon_->log().find("reconnecting"), std::string::npos);
}

TEST_F(ADaemonUnderSystemd, KeepsTheRunningConfigWhenTheNewOneIsInvalid) {
  std::string config = demo_config(broker_->url());
  ASSERT_NO_FATAL_FAILURE(start_notified(config));
  auto ready = notify_->received().size();
  reload_with(config + "  broken: {line: GPIO99}\n");
  auto status = notify_->wait_for("reload failed: " + daemon_->config_path() + ":17:18: line 'broken'", ready);
  ASSERT_TRUE(status) << daemon_->log();
  EXPECT_NE(notify_->received()[*status].text.find("chip 'main' has no line 'GPIO99'"), std::string::npos);
  EXPECT_TRUE(notify_->wait_for("READY=1", ready));
  std::size_t from = observer_->size();
  observer_->publish("raspberry/relay/set", "ON");  // the old config still works
  EXPECT_TRUE(expect("raspberry/button/state", "ON", from));
  EXPECT_NE(daemon_->log().find("reload failed, keeping the running configuration"), std::string::npos);
}

TEST_F(ADaemonUnderSystemd, ReconnectsWhenAReloadChangesTheMqttSection) {
  std::string config = demo_config(broker_->url());
  ASSERT_NO_FATAL_FAILURE(start_notified(config));
  std::size_t from = observer_->size();
  std::string changed = config;
  changed.replace(changed.find("base_topic: raspberry"), 21, "base_topic: garage");
  reload_with(changed);
  ASSERT_TRUE(expect("raspberry/status", kOn, from));  // a new connection says On again
  MqttTestClient garage(broker_->url(), "garage");
  garage.subscribe("garage/#");
  EXPECT_TRUE(garage.wait_for("garage/relay/state", "OFF"));
}

TEST_F(ADaemonUnderSystemd, SetsOutputsToTheirSafeLevelWhenTheBrokerGoesAndStopsInTime) {
  ASSERT_NO_FATAL_FAILURE(start_notified(demo_config(broker_->url())));
  observer_->publish("raspberry/relay/set", "ON");
  ASSERT_TRUE(observer_->wait_for("raspberry/button/state", "ON"));
  broker_->kill();
  ASSERT_TRUE(notify_->wait_for("STATUS=lost the connection to"));
  broker_->start();  // the falling edge of the wired button proves the relay went OFF meanwhile
  MqttTestClient watcher(broker_->url(), "watcher");
  watcher.subscribe("raspberry/#");
  ASSERT_TRUE(watcher.wait_for("raspberry/relay/state", "OFF", 0, 20s));
  broker_->kill();
  auto started = std::chrono::steady_clock::now();
  daemon_->process().signal(SIGTERM);
  EXPECT_EQ(daemon_->process().wait(5s), 0);
  EXPECT_LT(std::chrono::steady_clock::now() - started, 5s);
}

}  // namespace
}  // namespace gpio2mqtt::testing

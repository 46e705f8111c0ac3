// The gpio2mqtt binary against a real mosquitto and real MQTT clients, on a simulated chip.
#include <gtest/gtest.h>

#include "daemon_fixture.h"

namespace gpio2mqtt::testing {
namespace {

using namespace std::chrono_literals;

TEST_F(ADaemon, PublishesOnRetainedAfterStart) {
  ASSERT_NO_FATAL_FAILURE(start());
  MqttTestClient late(broker_->url(), "late");
  late.subscribe("raspberry/status");
  auto at = late.wait_for("raspberry/status", kOn);
  ASSERT_TRUE(at);
  EXPECT_TRUE(late.messages()[*at].retained);
  late.subscribe("raspberry/button/state");
  EXPECT_TRUE(late.wait_for("raspberry/button/state", "OFF"));  // the real level, retained
}

TEST_F(ADaemon, SwitchesTheRelayAndTheWiredButtonReportsTheEdge) {
  ASSERT_NO_FATAL_FAILURE(start());
  std::size_t from = observer_->size();
  observer_->publish("raspberry/relay/set", "ON");
  expect("raspberry/relay/state", "ON", from);
  expect("raspberry/button/state", "ON", from);
  auto event = observer_->wait_for([](const Received& r) { return r.topic == "raspberry/button/event"; }, from);
  ASSERT_TRUE(event);
  auto payload = observer_->messages()[*event].payload;
  EXPECT_NE(payload.find(R"("edge":"rising","state":"ON","timestamp_ns":)"), std::string::npos) << payload;
  EXPECT_NE(payload.find(R"("seq":1})"), std::string::npos) << payload;
  EXPECT_FALSE(observer_->messages()[*event].retained);
}

TEST_F(ADaemon, TogglesPulsesAndAnswersGet) {
  ASSERT_NO_FATAL_FAILURE(start());
  std::size_t from = observer_->size();
  observer_->publish("raspberry/relay/set", "toggle");
  auto on = expect("raspberry/relay/state", "ON", from);
  ASSERT_TRUE(on);
  observer_->publish("raspberry/relay/set", "TOGGLE");
  auto off = expect("raspberry/relay/state", "OFF", *on + 1);
  ASSERT_TRUE(off);
  observer_->publish("raspberry/relay/set", R"({"state":"ON","pulse_ms":300})");
  auto pulse_on = expect("raspberry/relay/state", "ON", *off + 1);
  ASSERT_TRUE(pulse_on);
  auto pulse_off = expect("raspberry/relay/state", "OFF", *pulse_on + 1);  // by itself, after 300 ms
  ASSERT_TRUE(pulse_off);
  std::size_t before_get = observer_->size();
  observer_->publish("raspberry/button/get", "");
  expect("raspberry/button/state", "OFF", before_get);
}

TEST_F(ADaemon, IgnoresGarbageAndRetainedCommands) {
  ASSERT_NO_FATAL_FAILURE(start());
  std::size_t from = observer_->size();
  for (std::string garbage : {"", "onn", "{\"state\":", "\xff\xfe\x00", "{\"state\":\"ON\",\"pulse_ms\":-1}"})
    observer_->publish("raspberry/relay/set", garbage);
  observer_->publish("raspberry/relay/set", std::string(1 << 20, 'x'));  // 1 MiB
  observer_->publish("raspberry/relay/set", "ON", /*retain=*/true);
  observer_->publish("raspberry/relay/get", "");
  auto answer = expect("raspberry/relay/state", "OFF", from);  // still OFF, and still answering
  ASSERT_TRUE(answer);
  EXPECT_EQ(observer_->payloads_on("raspberry/relay/state", from), std::vector<std::string>{"OFF"});
  EXPECT_TRUE(
      eventually([&] { return daemon_->log().find("retained commands are never acted on") != std::string::npos; }, 5s));
  observer_->publish("raspberry/relay/set", "", /*retain=*/true);  // clear it again
}

TEST_F(ADaemon, DoesNotReplayARetainedCommandAtStart) {
  observer_->publish("raspberry/relay/set", "ON", /*retain=*/true);
  ASSERT_NO_FATAL_FAILURE(start());
  std::size_t from = observer_->size();
  observer_->publish("raspberry/relay/get", "");
  ASSERT_TRUE(expect("raspberry/relay/state", "OFF", from));
  EXPECT_EQ(observer_->payloads_on("raspberry/relay/state"), (std::vector<std::string>{"OFF", "OFF"}));
}

TEST_F(ADaemon, SpeaksMqtt311TooAndSaysWhatItCannotProtectAgainstThere) {
  ASSERT_NO_FATAL_FAILURE(start(demo_config(broker_->url(), "60s", "3.1.1")));
  std::size_t from = observer_->size();
  observer_->publish("raspberry/relay/set", "1");
  expect("raspberry/button/state", "ON", from);
  EXPECT_NE(daemon_->log().find("MQTT 3.1.1: a command published with retain is delivered live without its retained "
                                "flag, so it is acted on"),
            std::string::npos)
      << daemon_->log();
}

TEST_F(ADaemon, PublishesOffAndExitsCleanlyOnSigterm) {
  ASSERT_NO_FATAL_FAILURE(start());
  observer_->publish("raspberry/relay/set", "ON");
  ASSERT_TRUE(observer_->wait_for("raspberry/relay/state", "ON"));
  ASSERT_TRUE(observer_->wait_for("raspberry/button/state", "ON"));
  std::size_t from = observer_->size();
  daemon_->process().signal(SIGTERM);
  EXPECT_EQ(daemon_->process().wait(5s), 0);
  auto relay_off = expect("raspberry/relay/state", "OFF", from);    // on_disconnect: off
  auto button_off = expect("raspberry/button/state", "OFF", from);  // wired to the relay
  auto off = expect("raspberry/status", kOff, from);
  ASSERT_TRUE(relay_off && button_off && off);
  EXPECT_LT(*relay_off, *off);
  EXPECT_LT(*button_off, *off);                 // the true final state of every line, then Off
  MqttTestClient late(broker_->url(), "late");  // live deliveries carry no retain flag: ask anew
  late.subscribe("raspberry/status");
  auto retained = late.wait_for("raspberry/status", kOff);
  ASSERT_TRUE(retained);
  EXPECT_TRUE(late.messages()[*retained].retained);
}

TEST_F(ADaemon, ExitsWithin5sOnSigtermWhenTheBrokerIsGone) {
  ASSERT_NO_FATAL_FAILURE(start());
  broker_->kill();
  ASSERT_TRUE(eventually([&] { return daemon_->log().find("lost the connection to") != std::string::npos; }, 10s));
  auto started = std::chrono::steady_clock::now();
  daemon_->process().signal(SIGTERM);
  EXPECT_EQ(daemon_->process().wait(6s), 0);
  EXPECT_LT(std::chrono::steady_clock::now() - started, 5s);
}

TEST_F(ADaemon, LeavesTheWillToTheBrokerWhenKilled) {
  ASSERT_NO_FATAL_FAILURE(start());
  std::size_t from = observer_->size();
  daemon_->process().signal(SIGKILL);  // the kernel closes the socket: the broker sees it at once
  ASSERT_TRUE(expect("raspberry/status", kOff, from));
  MqttTestClient late(broker_->url(), "late");
  late.subscribe("raspberry/status");
  auto retained = late.wait_for("raspberry/status", kOff);
  ASSERT_TRUE(retained);
  EXPECT_TRUE(late.messages()[*retained].retained);
}

TEST_F(ADaemon, LeavesTheWillAfterOneAndAHalfKeepalivesWhenItFallsSilent) {
  // A Pi that loses power sends nothing, not even a FIN: a stopped process behaves the same.
  ASSERT_NO_FATAL_FAILURE(start(demo_config(broker_->url(), "2s")));
  std::size_t from = observer_->size();
  auto silenced = std::chrono::steady_clock::now();
  daemon_->process().signal(SIGSTOP);
  auto off = expect("raspberry/status", kOff, from, 10s);  // 1.5 x 2 s = 3 s
  auto took = std::chrono::steady_clock::now() - silenced;
  daemon_->process().signal(SIGKILL);
  ASSERT_TRUE(off);
  EXPECT_GE(took, 2s);
}

TEST_F(ADaemon, ReconnectsAfterTheBrokerRestartsAndDeliversWhatHappenedMeanwhile) {
  ASSERT_NO_FATAL_FAILURE(start());
  observer_->publish("raspberry/relay/set", "ON");
  ASSERT_TRUE(observer_->wait_for("raspberry/button/state", "ON"));
  broker_->kill();
  // The loss sets the relay to its on_disconnect level (OFF), so the wired button falls while
  // the broker is down: that edge must arrive after the restart.
  ASSERT_TRUE(eventually([&] { return daemon_->log().find("lost the connection to") != std::string::npos; }, 10s));
  broker_->start();
  MqttTestClient watcher(broker_->url(), "watcher");
  watcher.subscribe("raspberry/#");
  ASSERT_TRUE(watcher.wait_for("raspberry/status", kOn, 0, 20s)) << daemon_->log();
  auto fell = watcher.wait_for([](const Received& r) {
    return r.topic == "raspberry/button/event" && r.payload.find("\"edge\":\"falling\"") != std::string::npos;
  });
  EXPECT_TRUE(fell) << "the edge made while the broker was down did not arrive";
  EXPECT_TRUE(watcher.wait_for("raspberry/button/state", "OFF"));
  // Resubscribed: a command after the restart works.
  std::size_t from = watcher.size();
  watcher.publish("raspberry/relay/set", "ON");
  EXPECT_TRUE(watcher.wait_for("raspberry/relay/state", "ON", from));
  EXPECT_TRUE(watcher.wait_for("raspberry/button/state", "ON", from));
}

TEST_F(ADaemon, RefusesAnInvalidConfigWithExit78AndTheLocation) {
  start_daemon("chips: {main: {simulated: {lines: [A]}}}\nlines:\n  x: {line: B}\n");
  EXPECT_EQ(daemon_->process().wait(10s), 78);
  EXPECT_NE(daemon_->log().find("config.yaml:3:13: line 'x': chip 'main' has no line 'B'"), std::string::npos)
      << daemon_->log();
}

}  // namespace
}  // namespace gpio2mqtt::testing

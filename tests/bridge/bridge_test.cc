#include "gpio2mqtt/bridge/bridge.h"

#include <gtest/gtest.h>
#include <spdlog/sinks/ostream_sink.h>
#include <spdlog/spdlog.h>

#include <sstream>

#include "fakes.h"
#include "gpio2mqtt/config/loader.h"

namespace gpio2mqtt::bridge {
namespace {

using namespace std::chrono_literals;

constexpr std::size_t kButton = 0, kRelay = 1;

config::Config demo_config(const std::string& button_extra = "", const std::string& relay_extra = "") {
  return config::parse_config(R"(
mqtt: {base_topic: pi, qos: 1, buffer: 3}
chips:
  main: {simulated: {lines: [A, B]}}
lines:
  button:
    line: A
    debounce: 10ms
)" + button_extra + R"(
  relay:
    line: B
    direction: output
    on_disconnect: off
)" + relay_extra,
                              "test.yaml", "host");
}

gpio::EdgeEvent edge(bool rising, Nanos at) { return {0, rising, static_cast<std::uint64_t>(at.count()), 0}; }

class ABridge : public BridgeTest {
 protected:
  void SetUp() override { make(demo_config()); }
  void command(std::string_view payload, MonoTime now = MonoTime(1s), bool retained = false) {
    bridge_->on_message("pi/relay/set", payload, retained, now);
  }
};

TEST_F(ABridge, PublishesStatusQueuedEventsAndEveryStateOnConnect) {
  Bridge bridge(config_, publisher_, lines_);
  start(bridge, config_, lines_, MonoTime(0s));
  lines_.levels[kButton] = true;
  bridge.on_edge(kButton, edge(true, 5s));  // before the first connect: queued
  lines_.levels[kButton] = false;
  bridge.on_edge(kButton, edge(false, 6s));
  EXPECT_TRUE(publisher_.take().empty());
  bridge.on_connected(MonoTime(7s));
  auto sent = publisher_.take();
  ASSERT_EQ(sent.size(), 5u);
  EXPECT_EQ(sent[0], (Message{"pi/status", R"({"status":"On"})", 1, true}));
  EXPECT_EQ(sent[1], (Message{"pi/button/event", R"({"edge":"rising","state":"ON","timestamp_ns":5000000000,"seq":1})",
                              1, false}));
  EXPECT_EQ(sent[2], (Message{"pi/button/event",
                              R"({"edge":"falling","state":"OFF","timestamp_ns":6000000000,"seq":2})", 1, false}));
  EXPECT_EQ(sent[3], (Message{"pi/button/state", "OFF", 1, true}));
  EXPECT_EQ(sent[4], (Message{"pi/relay/state", "OFF", 1, true}));
}

TEST_F(ABridge, PublishesStateAndEventForAnEdge) {
  bridge_->on_edge(kButton, edge(true, 5s));
  auto sent = publisher_.take();
  ASSERT_EQ(sent.size(), 2u);
  EXPECT_EQ(sent[0], (Message{"pi/button/state", "ON", 1, true}));
  EXPECT_EQ(sent[1], (Message{"pi/button/event", R"({"edge":"rising","state":"ON","timestamp_ns":5000000000,"seq":1})",
                              1, false}));
  bridge_->on_edge(kButton, edge(false, 6s));
  EXPECT_EQ(publisher_.payloads_on("pi/button/event").back(),
            R"({"edge":"falling","state":"OFF","timestamp_ns":6000000000,"seq":2})");
  EXPECT_EQ(bridge_->counters().edges_published, 2u);
}

TEST_F(ABridge, DebouncesWithTheTimePassedIn) {
  bridge_->on_edge(kButton, edge(true, 5s));
  bridge_->on_edge(kButton, edge(false, 5s + 1ms));
  bridge_->on_edge(kButton, edge(true, 5s + 2ms));
  bridge_->on_edge(kButton, edge(false, 5s + 3ms));
  EXPECT_EQ(publisher_.payloads_on("pi/button/state"), std::vector<std::string>{"ON"});
  EXPECT_EQ(bridge_->next_deadline(), MonoTime(5s + 10ms));
  bridge_->on_time(MonoTime(5s + 10ms));
  EXPECT_EQ(publisher_.payloads_on("pi/button/state"), (std::vector<std::string>{"ON", "OFF"}));
}

TEST_F(ABridge, ReportsOnlyTheConfiguredEdgeButKeepsTheStateRight) {
  make(demo_config("    edge: rising\n"));
  bridge_->on_edge(kButton, edge(true, 1s));
  bridge_->on_edge(kButton, edge(false, 2s));
  EXPECT_EQ(publisher_.payloads_on("pi/button/state"), (std::vector<std::string>{"ON", "OFF"}));
  ASSERT_EQ(publisher_.payloads_on("pi/button/event").size(), 1u);
  EXPECT_NE(publisher_.payloads_on("pi/button/event")[0].find("rising"), std::string::npos);
}

TEST_F(ABridge, PublishesOnlyTheStateOfALineWithoutEdgeEvents) {
  make(demo_config("    edge: none\n"));
  bridge_->on_edge(kButton, edge(true, 1s));
  bridge_->on_edge(kButton, edge(false, 2s));
  EXPECT_EQ(publisher_.take(),
            (std::vector<Message>{{"pi/button/state", "ON", 1, true}, {"pi/button/state", "OFF", 1, true}}));
  EXPECT_EQ(bridge_->counters().edges_published, 2u);
}

TEST_F(ABridge, DrivesAnOutputAndPublishesItsState) {
  command("ON");
  EXPECT_EQ(lines_.writes, (std::vector<std::pair<std::size_t, bool>>{{kRelay, true}}));
  EXPECT_EQ(publisher_.take(), (std::vector<Message>{{"pi/relay/state", "ON", 1, true}}));
  EXPECT_EQ(bridge_->counters().commands_applied, 1u);
}

TEST_F(ABridge, TogglesAnOutput) {
  command("TOGGLE");
  command("toggle");
  command(R"({"state":"TOGGLE"})");
  EXPECT_EQ(lines_.writes,
            (std::vector<std::pair<std::size_t, bool>>{{kRelay, true}, {kRelay, false}, {kRelay, true}}));
}

TEST_F(ABridge, EndsAPulseAtItsDeadline) {
  command(R"({"state":"ON","pulse_ms":500})", MonoTime(1s));
  EXPECT_EQ(bridge_->next_deadline(), MonoTime(1500ms));
  bridge_->on_time(MonoTime(1499ms));
  EXPECT_TRUE(bridge_->level(kRelay));
  bridge_->on_time(MonoTime(1500ms));
  EXPECT_FALSE(bridge_->level(kRelay));
  EXPECT_EQ(publisher_.payloads_on("pi/relay/state"), (std::vector<std::string>{"ON", "OFF"}));
  EXPECT_FALSE(bridge_->next_deadline());
}

TEST_F(ABridge, CancelsARunningPulseOnANewCommand) {
  command(R"({"state":"ON","pulse_ms":500})", MonoTime(1s));
  command("ON", MonoTime(1200ms));
  bridge_->on_time(MonoTime(2s));
  EXPECT_TRUE(bridge_->level(kRelay));
  EXPECT_FALSE(bridge_->next_deadline());
}

TEST_F(ABridge, RevertsOverlappingPulsesToTheLevelBeforeTheFirst) {
  command(R"({"state":"ON","pulse_ms":500})", MonoTime(1s));
  command(R"({"state":"ON","pulse_ms":500})", MonoTime(1200ms));
  bridge_->on_time(MonoTime(1700ms));
  EXPECT_FALSE(bridge_->level(kRelay));
}

TEST_F(ABridge, NeverActsOnARetainedCommand) {
  command("ON", MonoTime(1s), /*retained=*/true);
  EXPECT_TRUE(lines_.writes.empty());
  EXPECT_TRUE(publisher_.sent.empty());
  EXPECT_EQ(bridge_->counters().commands_rejected, 1u);
}

TEST_F(ABridge, RejectsGarbageAndChangesNothing) {
  for (auto payload : {"", "maybe", "{", R"({"state":"ON","x":1})", "\xff\xfe"}) command(payload);
  command(std::string(1000, 'O'));
  EXPECT_TRUE(lines_.writes.empty());
  EXPECT_TRUE(publisher_.sent.empty());
  EXPECT_EQ(bridge_->counters().commands_rejected, 6u);
}

TEST_F(ABridge, RefusesToDriveAnInput) {
  EXPECT_NE(bridge_->apply(kButton, Command{Command::Kind::kSet, true, {}}, MonoTime(1s)), "");
  bridge_->on_message("pi/button/set", "ON", false, MonoTime(1s));  // not even subscribed: counted, ignored
  EXPECT_TRUE(lines_.writes.empty());
}

TEST_F(ABridge, RepublishesAStateOnGet) {
  bridge_->on_message("pi/button/get", "", false, MonoTime(1s));
  bridge_->on_message("pi/relay/get", "anything", false, MonoTime(1s));
  EXPECT_EQ(publisher_.take(),
            (std::vector<Message>{{"pi/button/state", "OFF", 1, true}, {"pi/relay/state", "OFF", 1, true}}));
}

TEST_F(ABridge, SubscribesToEveryLinesSetAndGetUnderItsBaseTopic) {
  EXPECT_EQ(bridge_->subscriptions(), (std::vector<std::string>{"pi/+/get", "pi/+/set"}));
}

// What the log says while `body` runs.
template <typename F>
std::string logged_by(F&& body) {
  std::ostringstream log;
  auto previous = spdlog::default_logger();
  spdlog::set_default_logger(
      std::make_shared<spdlog::logger>("test", std::make_shared<spdlog::sinks::ostream_sink_st>(log)));
  body();
  spdlog::set_default_logger(previous);
  return log.str();
}

std::size_t occurrences(const std::string& text, const std::string& needle) {
  std::size_t n = 0;
  for (auto at = text.find(needle); at != std::string::npos; at = text.find(needle, at + 1)) ++n;
  return n;
}

TEST_F(ABridge, SaysOncePerTopicThatItIgnoresASetForAnInputOrAnUnknownLineAndARetainedGet) {
  auto log = logged_by([&] {
    for (int reconnect = 0; reconnect < 3; ++reconnect) {
      bridge_->on_message("pi/button/set", "ON", false, MonoTime(1s));
      bridge_->on_message("pi/garage/set", "ON", false, MonoTime(1s));
      bridge_->on_message("pi/relay/get", "", true, MonoTime(1s));
    }
  });
  EXPECT_EQ(occurrences(log,
                        "ignoring pi/button/set (said once per topic): line 'button' is an input: it takes get, "
                        "not set"),
            1u)
      << log;
  EXPECT_EQ(occurrences(log, "ignoring pi/garage/set (said once per topic): no line 'garage' is configured"), 1u);
  EXPECT_EQ(occurrences(log, "ignoring pi/relay/get (said once per topic): a retained get is never answered"), 1u);
  EXPECT_TRUE(publisher_.take().empty());
  EXPECT_TRUE(lines_.writes.empty());
  EXPECT_EQ(bridge_->counters().commands_rejected, 9u);
}

TEST_F(ABridge, StillAnswersAndObeysALineWhoseCommandsAreFloodedWithGarbageOrGets) {
  for (int i = 0; i < 100; ++i) {
    command("garbage", MonoTime(1s));
    command("ON", MonoTime(1s), /*retained=*/true);
    bridge_->on_message("pi/relay/get", "", false, MonoTime(1s));
  }
  publisher_.take();
  command("ON", MonoTime(1s));  // the sets' own budget is untouched
  EXPECT_EQ(lines_.writes, (std::vector<std::pair<std::size_t, bool>>{{kRelay, true}}));
  EXPECT_EQ(bridge_->counters().commands_rejected, 200u + (100u - static_cast<std::size_t>(kCommandBurst)));
}

TEST_F(ABridge, QueuesEventsWhileDisconnectedAndDeliversThemInOrder) {
  publisher_.up = false;
  bridge_->on_disconnected(MonoTime(2s));
  for (int i = 0; i < 2; ++i) {
    bridge_->on_edge(kButton, edge(true, 2s + i * 1s));
    bridge_->on_edge(kButton, edge(false, 2s + i * 1s + 100ms));
  }
  EXPECT_EQ(bridge_->queued(), 3u);  // the limit: the oldest went first
  EXPECT_EQ(bridge_->counters().events_dropped, 1u);
  publisher_.up = true;
  bridge_->on_connected(MonoTime(5s));
  auto events = publisher_.payloads_on("pi/button/event");
  ASSERT_EQ(events.size(), 3u);
  EXPECT_NE(events[0].find("\"seq\":2"), std::string::npos);
  EXPECT_NE(events[2].find("\"seq\":4"), std::string::npos);
  EXPECT_EQ(publisher_.sent.front().topic, "pi/status");
  EXPECT_EQ(publisher_.payloads_on("pi/button/state"), std::vector<std::string>{"OFF"});  // the latest, once
}

TEST_F(ABridge, SendsAgainFirstTheEventsTheBrokerNeverAcknowledged) {
  bridge_->on_edge(kButton, edge(true, 2s));
  bridge_->on_edge(kButton, edge(false, 3s));
  auto sent = publisher_.take();
  std::vector<Message> unacknowledged{sent[1], sent[3]};  // the two events (and not the states)
  unacknowledged.push_back({"pi/button/state", "OFF", 1, true});
  publisher_.up = false;
  bridge_->on_disconnected(MonoTime(2s), unacknowledged);
  bridge_->on_edge(kButton, edge(true, 5s));  // queued behind them
  EXPECT_EQ(bridge_->queued(), 3u);
  publisher_.up = true;
  bridge_->on_connected(MonoTime(6s));
  auto events = publisher_.payloads_on("pi/button/event");
  ASSERT_EQ(events.size(), 3u);
  EXPECT_NE(events[0].find("\"seq\":1"), std::string::npos);
  EXPECT_NE(events[1].find("\"seq\":2"), std::string::npos);
  EXPECT_NE(events[2].find("\"seq\":3"), std::string::npos);
}

TEST_F(ABridge, KeepsTheRestQueuedWhenTheConnectionDropsDuringDelivery) {
  publisher_.up = false;
  bridge_->on_disconnected(MonoTime(2s));
  bridge_->on_edge(kButton, edge(true, 2s));
  bridge_->on_connected(MonoTime(3s));  // publish still fails
  EXPECT_EQ(bridge_->queued(), 1u);
}

TEST_F(ABridge, SetsOutputsToTheirOnDisconnectLevelWhenTheBrokerIsLost) {
  command("ON");
  publisher_.take();
  bridge_->on_disconnected(MonoTime(2s));
  EXPECT_FALSE(bridge_->level(kRelay));
  EXPECT_EQ(lines_.writes.back(), (std::pair<std::size_t, bool>{kRelay, false}));
}

TEST_F(ABridge, KeepsAnOutputWhoseOnDisconnectIsKeep) {
  auto config = config::parse_config(R"(
chips: {main: {simulated: {lines: [A]}}}
lines: {relay: {line: A, direction: output, on_disconnect: keep}}
)",
                                     "t.yaml", "h");
  make(std::move(config));
  bridge_->on_message("raspberry/relay/set", "ON", false, MonoTime(1s));
  bridge_->on_disconnected(MonoTime(2s));
  EXPECT_TRUE(bridge_->level(0));
}

TEST_F(ABridge, PublishesTheSafeLevelBeforeStopping) {
  command("ON");
  publisher_.take();
  bridge_->on_stop(MonoTime(3s));
  EXPECT_EQ(publisher_.take(), (std::vector<Message>{{"pi/relay/state", "OFF", 1, true}}));
}

TEST_F(ABridge, PublishesTheTrueLevelOfAnInputWiredToAnOutputItSwitchesOffAtStop) {
  command("ON");
  lines_.levels[kButton] = true;  // the wire: the button follows the relay
  bridge_->on_edge(kButton, edge(true, 1s));
  bridge_->on_time(MonoTime(2s));
  publisher_.take();
  lines_.on_write = [&](std::size_t line, bool active) {
    if (line == kRelay) lines_.levels[kButton] = active;
  };
  bridge_->on_stop(MonoTime(3s));  // no edge will be read any more: the level is
  EXPECT_EQ(publisher_.take(),
            (std::vector<Message>{{"pi/relay/state", "OFF", 1, true}, {"pi/button/state", "OFF", 1, true}}));
}

TEST_F(ABridge, DropsAFloodOfCommandsBeyondTheRateLimit) {
  for (int i = 0; i < 100; ++i) command(i % 2 ? "ON" : "OFF", MonoTime(1s));  // all at once
  EXPECT_EQ(lines_.writes.size(), static_cast<std::size_t>(kCommandBurst));
  EXPECT_EQ(bridge_->counters().commands_rate_limited, 100u - static_cast<std::size_t>(kCommandBurst));
  command("ON", MonoTime(1s + 100ms));  // one more token a tenth of a second later
  EXPECT_EQ(lines_.writes.size(), static_cast<std::size_t>(kCommandBurst) + 1);
  for (int i = 0; i < 50; ++i) command("ON", MonoTime(10s + i * 100ms));  // 10 a second is fine
  EXPECT_EQ(bridge_->counters().commands_rate_limited, 100u - static_cast<std::size_t>(kCommandBurst));
}

TEST_F(ABridge, ReportsAFloodAtOnceThenItsCountEveryTenSecondsWhileItLasts) {
  std::ostringstream log;
  auto previous = spdlog::default_logger();
  spdlog::set_default_logger(
      std::make_shared<spdlog::logger>("test", std::make_shared<spdlog::sinks::ostream_sink_st>(log)));
  for (int i = 0; i < 30; ++i) command("ON", MonoTime(1s));  // 10 over the burst
  EXPECT_NE(log.str().find("line relay: commands dropped, over 10/s"), std::string::npos) << log.str();
  EXPECT_EQ(bridge_->next_deadline(), MonoTime(11s));       // the summary is due even if no command comes
  for (int i = 0; i < 5; ++i) command("ON", MonoTime(5s));  // 4 s: about 40 tokens, no drop
  bridge_->on_time(MonoTime(11s));
  EXPECT_NE(log.str().find("line relay: 10 commands dropped in the last 10 s"), std::string::npos) << log.str();
  bridge_->on_time(MonoTime(21s));  // quiet since: nothing to say, and the next flood is reported at once
  EXPECT_EQ(bridge_->next_deadline(), std::nullopt);
  spdlog::set_default_logger(previous);
}

TEST_F(ABridge, CountsALineThatFailsAndCarriesOn) {
  lines_.fail = true;
  command("ON");
  EXPECT_EQ(bridge_->counters().line_errors, 1u);
  EXPECT_FALSE(bridge_->level(kRelay));
  EXPECT_EQ(publisher_.payloads_on("pi/relay/state"), std::vector<std::string>{"OFF"});  // the truth
}

TEST_F(ABridge, SaysAFailingLineAtPowersOfTwoFailuresInARowAndWhenItWorksAgain) {
  lines_.fail = true;
  std::string log = logged_by([&] {
    for (int i = 1; i <= 9; ++i)
      bridge_->apply(kRelay, Command{Command::Kind::kToggle, false, std::nullopt}, MonoTime(1s));
  });
  EXPECT_EQ(bridge_->counters().line_errors, 9u);                                       // each one counted
  EXPECT_EQ(occurrences(log, "line 'relay': cannot set it ON: chip gone"), 4u) << log;  // 1st, 2nd, 4th, 8th
  EXPECT_NE(log.find("chip gone (8 failed writes in a row)"), std::string::npos) << log;
  lines_.fail = false;
  log = logged_by([&] { bridge_->apply(kRelay, Command{Command::Kind::kSet, true, std::nullopt}, MonoTime(2s)); });
  EXPECT_NE(log.find("line 'relay': set ON again, after 9 failed writes"), std::string::npos) << log;
}

TEST_F(ABridge, SaysWhyWhenApplyingACommandToAFailingLine) {
  lines_.fail = true;
  auto error = bridge_->apply(kRelay, Command{Command::Kind::kSet, true, std::nullopt}, MonoTime(1s));
  EXPECT_EQ(error, "line 'relay': cannot set it ON: chip gone");
  EXPECT_EQ(bridge_->apply(kRelay, Command{Command::Kind::kToggle, false, std::nullopt}, MonoTime(1s)),
            "line 'relay': cannot set it ON: chip gone");
  lines_.fail = false;
  EXPECT_EQ(bridge_->apply(kRelay, Command{Command::Kind::kSet, true, std::nullopt}, MonoTime(2s)), "");
}

TEST_F(ABridge, LeavesDebounceToTheKernelWhenItDebounces) {
  lines_.kernel_debounce = true;
  make(demo_config());
  bridge_->on_edge(kButton, edge(true, 5s));  // what the kernel let through: each one counts
  bridge_->on_edge(kButton, edge(false, 5s + 1ms));
  EXPECT_EQ(publisher_.payloads_on("pi/button/state"), (std::vector<std::string>{"ON", "OFF"}));
  EXPECT_EQ(publisher_.payloads_on("pi/button/event").size(), 2u);
  EXPECT_FALSE(bridge_->next_deadline());
}

TEST_F(ABridge, AddsTheKernelsSequenceNumbersToTheEvent) {
  gpio::EdgeEvent event = edge(true, 5s);
  event.line_seqno = 7;
  event.global_seqno = 12;
  bridge_->on_edge(kButton, event);
  EXPECT_EQ(publisher_.payloads_on("pi/button/event"),
            std::vector<std::string>{R"({"edge":"rising","state":"ON","timestamp_ns":5000000000,"seq":1,)"
                                     R"("line_seqno":7,"global_seqno":12})"});
}

}  // namespace
}  // namespace gpio2mqtt::bridge

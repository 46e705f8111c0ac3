// The service in-process: its loop stepped by the test, a recording MQTT client, a clock that
// moves when told, and simulated chips behind the kernel-chip seam. Reconnects, backoff,
// requeueing, resubscription, reloads and failing chips, without a broker or a timing margin.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/stat.h>

#include <cstdlib>
#include <filesystem>
#include <regex>

#include "gpio2mqtt/exit_codes.h"
#include "notify_socket.h"
#include "payloads.h"
#include "process.h"
#include "service_fixture.h"

namespace gpio2mqtt::service {
namespace {

using namespace std::chrono_literals;
using testing::kOff;
using testing::kOn;

constexpr unsigned kGpio5 = 3, kGpio27 = 2;  // offsets on the chip below

const std::string kLines = R"(lines:
  button: {chip: main, line: GPIO22}
  relay: {chip: main, line: GPIO27, direction: output, initial: off, on_disconnect: off}
  bell: {chip: main, line: GPIO5}
)";

// "ON 3" for an event payload with "state":"ON" and "seq":3.
std::string state_and_seq(const std::string& payload) {
  static const std::regex pattern(R"re("state":"(ON|OFF)".*"seq":(\d+))re");
  std::smatch match;
  if (!std::regex_search(payload, match, pattern)) return "unparsed: " + payload;
  return match[1].str() + " " + match[2].str();
}

class AService : public InProcessService {
 protected:
  AService()
      : InProcessService(kChip, {"GPIO17", "GPIO22", "GPIO27", "GPIO5"}, {{"GPIO27", "GPIO22"}}, Time::kManual) {}

  void make(const std::string& yaml = kMqtt + kLines) { InProcessService::make(yaml); }
  void start(const std::string& yaml = kMqtt + kLines) {
    make(yaml);
    service_->start();
    settle();
  }
  std::size_t sent() { return client().published.size(); }
};

TEST_F(AService, PublishesItsStatusAndEveryStateOnceConnected) {
  start();
  EXPECT_EQ(client().connects, 1);
  EXPECT_TRUE(client().subscribed.empty());
  connect();
  ASSERT_EQ(client().published.size(), 4u);
  EXPECT_EQ(client().published[0], (Message{"pi/status", kOn, 1, true}));
  EXPECT_EQ(client().published[1], (Message{"pi/button/state", "OFF", 1, true}));
  EXPECT_EQ(client().published[2], (Message{"pi/relay/state", "OFF", 1, true}));
  EXPECT_EQ(client().published[3], (Message{"pi/bell/state", "OFF", 1, true}));
  ASSERT_EQ(client().subscribed.size(), 1u);
  // Every line's commands, and those of lines it does not have (said once, at info).
  EXPECT_EQ(client().subscribed[0].topics, (std::vector<std::string>{"pi/+/get", "pi/+/set"}));
  EXPECT_EQ(client().subscribed[0].qos, 1);
}

TEST_F(AService, RetriesAfterOneSecondDoublingToAMinuteAndAtOnceAfterALossThenFromOneSecond) {
  start(std::string(kMqtt).insert(kMqtt.find("dbus:"), "  reconnect_jitter: off\n") + kLines);
  client().fail_connect();
  settle();
  for (auto expected : {1s, 2s, 4s, 8s, 16s, 32s, 60s, 60s}) {
    EXPECT_EQ(time_to_next_connect(), Nanos(expected));
    client().fail_connect();
    settle();
  }
  EXPECT_EQ(time_to_next_connect(), Nanos(60s));
  connect();
  int before = client().connects;
  client().drop_connection();
  settle();
  EXPECT_EQ(client().connects, before + 1);  // at once after a loss, without the clock moving
  client().fail_connect();
  settle();
  EXPECT_EQ(time_to_next_connect(), Nanos(1s));
}

TEST_F(AService, DrivesTheOutputsToTheirOnDisconnectLevelWhenTheConnectionIsLost) {
  start();
  connect();
  client().deliver("pi/relay/set", "ON");
  settle();
  ASSERT_TRUE(chip_.physical_level(kGpio27));
  client().drop_connection();
  settle();
  EXPECT_FALSE(chip_.physical_level(kGpio27));
  EXPECT_EQ(service_->get_line("relay"), false);
  EXPECT_FALSE(service_->connected());
}

TEST_F(AService, QueuesEventsWhileDisconnectedAndSendsThemInOrderAfterTheUnacknowledgedOnes) {
  start();
  connect();
  client().acknowledges = false;
  client().deliver("pi/relay/set", "ON");  // the relay drives the button: event 1, never acknowledged
  settle();
  client().drop_connection();  // the relay goes off: event 2, queued
  settle();
  ASSERT_FALSE(service_->set_line("relay", true));  // event 3, queued
  settle();
  std::size_t from = sent();
  advance(1s);
  connect();
  EXPECT_EQ(client().published.at(from), (Message{"pi/status", kOn, 1, true}));
  std::vector<std::string> events;
  for (const auto& payload : client().payloads_on("pi/button/event", from)) events.push_back(state_and_seq(payload));
  EXPECT_EQ(events, (std::vector<std::string>{"ON 1", "OFF 2", "ON 3"}));
  EXPECT_EQ(client().payloads_on("pi/button/state", from), std::vector<std::string>{"ON"});  // once, the last
}

TEST_F(AService, SubscribesAgainAfterEveryReconnect) {
  start();
  connect();
  client().drop_connection();
  settle();
  advance(1s);
  connect();
  ASSERT_EQ(client().subscribed.size(), 2u);
  EXPECT_EQ(client().subscribed[1].topics, client().subscribed[0].topics);
  client().deliver("pi/relay/set", "ON");
  settle();
  EXPECT_TRUE(chip_.physical_level(kGpio27));
}

TEST_F(AService, ReloadsTheDifferenceOfItsLinesKeepingTheConnection) {
  start();
  connect();
  client().deliver("pi/relay/set", "ON");  // the button, wired to it, reads ON
  settle();
  std::size_t from = sent();
  // bell removed, lamp added, the button now active-low, the relay as it was.
  next_config_ = kMqtt + R"(lines:
  button: {chip: main, line: GPIO22, active_low: true}
  relay: {chip: main, line: GPIO27, direction: output, initial: off, on_disconnect: off}
  lamp: {chip: main, line: GPIO17, direction: output, initial: on}
)";
  EXPECT_FALSE(service_->reload());
  settle();
  EXPECT_EQ(client().payloads_on("pi/button/state", from), std::vector<std::string>{"OFF"});
  EXPECT_EQ(client().payloads_on("pi/lamp/state", from), std::vector<std::string>{"ON"});
  EXPECT_EQ(client().payloads_on("pi/relay/state", from), std::vector<std::string>{});
  EXPECT_TRUE(chip_.physical_level(kGpio27));  // the relay kept its request and its level
  EXPECT_EQ(client().payloads_on("pi/status", from), std::vector<std::string>{});
  EXPECT_EQ(client().connects, 1);
  EXPECT_EQ(client().subscribed.size(), 1u);  // the wildcards cover the new line already
  EXPECT_TRUE(client().unsubscribed.empty());
  EXPECT_EQ(service_->get_line("bell"), std::nullopt);
}

TEST_F(AService, KeepsTheRunningConfigWhenTheReloadedOneIsBroken) {
  start();
  connect();
  for (const std::string& broken :
       {kMqtt + "lines: {button: [", kMqtt + "lines:\n  door: {chip: main, line: GPIO99}\n"}) {
    next_config_ = broken;
    auto error = service_->reload();
    ASSERT_TRUE(error);
    EXPECT_EQ(error->name, "InvalidConfig");
    EXPECT_EQ(error->message.rfind("test.yaml:", 0), 0u) << error->message;
    EXPECT_EQ(service_->last_error(), error->message);
  }
  std::size_t from = sent();
  client().deliver("pi/relay/set", "ON");
  settle();
  EXPECT_EQ(client().payloads_on("pi/relay/state", from), std::vector<std::string>{"ON"});
  EXPECT_EQ(client().subscribed.size(), 1u);
  EXPECT_TRUE(client().unsubscribed.empty());
}

TEST_F(AService, ReloadsOnSighup) {
  start();
  next_config_ = kMqtt + kLines;
  raise(SIGHUP);
  settle();
  EXPECT_EQ(reloads_, 1);
  EXPECT_EQ(service_->last_error(), "");
  EXPECT_FALSE(service_->stopping());
}

TEST_F(AService, ConnectsAnewWhenAReloadChangesTheMqttSection) {
  start();
  connect();
  next_config_ = kMqtt + kLines;
  next_config_.replace(next_config_.find("base_topic: pi"), 14, "base_topic: garage");
  EXPECT_FALSE(service_->reload());
  ASSERT_EQ(client_configs_.size(), 2u);
  EXPECT_EQ(client_configs_[1].base_topic, "garage");
  EXPECT_EQ(client().connects, 1);
  connect();
  EXPECT_EQ(client().payloads_on("garage/status"), std::vector<std::string>{kOn});
  EXPECT_EQ(client().payloads_on("garage/relay/state"), std::vector<std::string>{"OFF"});
}

TEST_F(AService, SendsWhatAClientReplacedByAReloadNeverDeliveredThroughTheNextOne) {
  start();
  connect();
  client().acknowledges = false;
  client().deliver("pi/relay/set", "ON");  // the relay drives the button: its event is never acknowledged
  settle();
  next_config_ = kMqtt + kLines;
  next_config_.replace(next_config_.find("client_id: inproc"), 17, "client_id: other");
  EXPECT_FALSE(service_->reload());
  connect();
  std::vector<std::string> events;
  for (const auto& payload : client().payloads_on("pi/button/event")) events.push_back(state_and_seq(payload));
  EXPECT_EQ(events, (std::vector<std::string>{"ON 1"}));
}

TEST_F(AService, CountsTheMessagesEveryClientDroppedAndShowsThemInItsStatus) {
  std::string dir = testing::make_temp_dir("gpio2mqtt-service");
  testing::NotifySocket notify(dir + "/notify");
  setenv("NOTIFY_SOCKET", (dir + "/notify").c_str(), 1);
  start();
  connect();
  client().dropped = 3;
  next_config_ = kMqtt + kLines;
  next_config_.replace(next_config_.find("client_id: inproc"), 17, "client_id: other");
  EXPECT_FALSE(service_->reload());  // a new client, which dropped nothing yet
  client().dropped = 2;
  EXPECT_EQ(service_->counters().messages_dropped, 5u);
  client().fail_connect();  // the status is told again
  settle();
  unsetenv("NOTIFY_SOCKET");
  bool told = false;
  for (const auto& notification : notify.received())
    told = told || notification.text.find(", 5 messages dropped on the way to the broker") != std::string::npos;
  EXPECT_TRUE(told);
  std::filesystem::remove_all(dir);
}

TEST_F(AService, OpensTheLinesAgainWithBackoffAfterTheirChipFailed) {
  start();
  connect();
  ASSERT_FALSE(service_->set_line("relay", true));
  settle();
  chips_.unplug("gpiochip-inproc");
  settle();                      // never idle if it went on watching the failed chip's fds
  chip_.set_pull(kGpio5, true);  // the bell rang while the chip was away
  std::size_t opens = chips_.opened.size();
  advance(1s);
  EXPECT_EQ(chips_.opened.size(), opens + 1);  // and failed
  advance(1s);
  EXPECT_EQ(chips_.opened.size(), opens + 1);
  advance(1s);
  EXPECT_EQ(chips_.opened.size(), opens + 2);
  chips_.plug("gpiochip-inproc");
  std::size_t from = sent();
  advance(4s);
  EXPECT_EQ(chips_.opened.size(), opens + 3);
  EXPECT_TRUE(chip_.physical_level(kGpio27));  // requested again at the level it had
  EXPECT_EQ(client().payloads_on("pi/bell/state", from), std::vector<std::string>{"ON"});
  client().deliver("pi/relay/set", "OFF");
  settle();
  EXPECT_FALSE(chip_.physical_level(kGpio27));
  chips_.unplug("gpiochip-inproc");  // a success started the backoff over
  settle();
  chips_.plug("gpiochip-inproc");
  advance(1s);
  EXPECT_EQ(chips_.opened.size(), opens + 4);
}

TEST_F(AService, OpensTheLinesAgainAsSoonAsTheirChipNodeChangesOwnerOrMode) {
  start();
  connect();
  ASSERT_FALSE(service_->set_line("relay", true));
  settle();
  chips_.unplug("gpiochip-inproc");
  settle();
  std::size_t opens = chips_.opened.size();
  chips_.plug("gpiochip-inproc");
  // udev gives the new node its group a moment after it appears: that is when it can be opened.
  ASSERT_EQ(chmod((dev_dir_ + "/gpiochip-inproc").c_str(), 0660), 0);
  settle();  // no time passes: the retry timer is not what opened it
  EXPECT_EQ(chips_.opened.size(), opens + 1);
  EXPECT_TRUE(chip_.physical_level(kGpio27));
}

TEST_F(AService, SaysWhyWhenAnOutputCannotBeSet) {
  start();
  chips_.unplug("gpiochip-inproc");
  auto error = service_->set_line("relay", true);
  ASSERT_TRUE(error);
  EXPECT_EQ(error->name, "LineFailed");
  EXPECT_EQ(error->message, "line 'relay': cannot set it ON: chip gpiochip-inproc is gone");
}

TEST_F(AService, PublishesTheOutputsSafeLevelsThenOffWhenStoppedBySigterm) {
  start();
  connect();
  client().deliver("pi/relay/set", "ON");
  settle();
  std::size_t from = sent();
  raise(SIGTERM);
  settle();
  ASSERT_TRUE(service_->stopping());
  service_->stop();
  EXPECT_FALSE(chip_.physical_level(kGpio27));
  ASSERT_EQ(client().shutdowns.size(), 1u);
  EXPECT_EQ(client().shutdowns[0].last, (Message{"pi/status", kOff, 1, true}));
  EXPECT_LE(client().shutdowns[0].budget, 5s);
  ASSERT_GE(client().published.size(), from + 2);
  EXPECT_EQ(client().published[from], (Message{"pi/relay/state", "OFF", 1, true}));
  EXPECT_EQ(client().published.back(), (Message{"pi/status", kOff, 1, true}));
}

TEST_F(AService, RunsUntilSigtermAndReturnsZero) {
  make();
  raise(SIGTERM);
  EXPECT_EQ(service_->run(), kExitOk);
  EXPECT_EQ(client().connects, 1);
  EXPECT_EQ(client().shutdowns.size(), 1u);
}

TEST_F(AService, CountsAHandlerThatThrewAndSaysSoInItsStatus) {
  std::string dir = testing::make_temp_dir("gpio2mqtt-service");
  testing::NotifySocket notify(dir + "/notify");
  setenv("NOTIFY_SOCKET", (dir + "/notify").c_str(), 1);
  start();
  client().fail_next_take = "broken client";
  client().deliver("pi/relay/get", "");
  settle();
  client().fail_connect();  // the status is told again
  settle();
  unsetenv("NOTIFY_SOCKET");
  bool told = false;
  for (const auto& notification : notify.received())  // sent before fail_connect() returned
    told = told || notification.text.find("; 1 internal error (see the log)") != std::string::npos;
  EXPECT_TRUE(told);
  std::filesystem::remove_all(dir);
}

TEST_F(AService, ReadsBackItsDiscoveryAndAnswersHomeAssistantsBirthWithinTheDelay) {
  const std::string device = "homeassistant/device/inproc/config";
  start(kMqtt + kLines + "homeassistant: {discovery: true, device_id: inproc, announce_delay: 2s}\n");
  connect();
  ASSERT_EQ(client().subscribed_retained.size(), 1u);  // before the announcement, with room for it
  EXPECT_EQ(client().subscribed_retained[0].topics, std::vector<std::string>{device});
  EXPECT_GE(client().read_back_cap, client().published.at(1).payload.size());
  EXPECT_EQ(client().payloads_on(device).size(), 1u);
  std::size_t from = sent();
  client().deliver("homeassistant/status", "online");
  settle();
  advance(2s);
  EXPECT_EQ(client().payloads_on(device, from).size(), 1u);
  EXPECT_EQ(client().payloads_on("pi/relay/state", from), std::vector<std::string>{"OFF"});
}

}  // namespace
}  // namespace gpio2mqtt::service

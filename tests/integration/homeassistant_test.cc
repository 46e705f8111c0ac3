// Home Assistant discovery end to end: the real daemon, a real mosquitto, and a client that plays
// Home Assistant by its documented rules, knowing nothing of the bridge's topics (home_assistant.h).
#include <gtest/gtest.h>

#include "daemon_fixture.h"
#include "home_assistant.h"
#include "util/json.h"

namespace gpio2mqtt::testing {
namespace {

using namespace std::chrono_literals;

constexpr auto kAnnounceDelay = 2s;  // homeassistant.announce_delay below
const std::string kDiscovery = "homeassistant: {discovery: true, announce_delay: 2s}\n";

std::string with_discovery(const std::string& config) { return config + kDiscovery; }
std::string without_lines(const std::string& config) { return config.substr(0, config.find("\nlines:")); }

class ADaemonWithDiscovery : public ADaemon {
 protected:
  void SetUp() override {
    ADaemon::SetUp();
    if (IsSkipped()) return;
    ha_ = std::make_unique<FakeHomeAssistant>(broker_->url(), "homeassistant");
  }
  void TearDown() override {
    if (ha_) {
      EXPECT_EQ(ha_->errors(), std::vector<std::string>{});
    }
    ADaemon::TearDown();
  }
  // Waits until Home Assistant knows exactly the components `ids` (by component id).
  bool knows_exactly(FakeHomeAssistant& ha, std::vector<std::string> ids, std::chrono::milliseconds timeout = 10s) {
    std::sort(ids.begin(), ids.end());
    return eventually(
        [&] {
          std::vector<std::string> known;
          for (const auto& [unique_id, entity] : ha.entities()) known.push_back(entity.id);
          std::sort(known.begin(), known.end());
          return known == ids;
        },
        timeout);
  }
  void reload_with(const std::string& config) {
    write_file(daemon_->config_path(), config);
    daemon_->process().signal(SIGHUP);
  }
  // The retained discovery a Home Assistant starting now would read: every retained message
  // under the prefix, read by a fresh client until `expected` came or 3 s passed.
  std::vector<Received> retained_discovery(std::size_t expected) {
    MqttTestClient late(broker_->url(), "late-reader");
    late.subscribe("homeassistant/#");
    eventually([&] { return late.size() >= expected + 1; }, 3s);  // waits the 3 s: a surplus is the point
    auto messages = late.messages();
    std::erase_if(messages, [](const Received& r) { return !r.retained; });
    return messages;
  }
  std::unique_ptr<FakeHomeAssistant> ha_;
};

TEST_F(ADaemonWithDiscovery, AppearsAsOneDeviceWithTheRelayAsASwitchAndTheButtonAsABinarySensor) {
  start(with_discovery(demo_config(broker_->url())));
  ASSERT_TRUE(knows_exactly(*ha_, {"button", "relay"}));
  EXPECT_EQ(ha_->devices().size(), 1u);
  auto relay = *ha_->find("relay");
  auto button = *ha_->find("button");
  EXPECT_EQ(relay.platform, "switch");
  EXPECT_EQ(button.platform, "binary_sensor");
  EXPECT_NE(relay.unique_id, button.unique_id);
  EXPECT_TRUE(eventually([&] { return ha_->available(relay) == true && ha_->available(button) == true; }, 10s));
  EXPECT_TRUE(eventually([&] { return ha_->state(relay) == "off"; }, 10s));
  // Through the discovered command topic; the wire makes the button follow.
  ha_->turn(relay, true);
  EXPECT_TRUE(eventually([&] { return ha_->state(relay) == "on" && ha_->state(button) == "on"; }, 10s));
  ha_->turn(relay, false);
  EXPECT_TRUE(eventually([&] { return ha_->state(relay) == "off" && ha_->state(button) == "off"; }, 10s));
  // The will makes every entity unavailable.
  daemon_->process().signal(SIGKILL);
  EXPECT_TRUE(eventually([&] { return ha_->available(relay) == false && ha_->available(button) == false; }, 10s));
}

TEST_F(ADaemonWithDiscovery, ShowsAMomentaryOutputAsAButtonWhosePressIsOnePulse) {
  std::string config = demo_config(broker_->url());
  config.replace(config.find("on_disconnect: off}"), 19, "on_disconnect: off, momentary: 300ms}");
  start(with_discovery(config));
  ASSERT_TRUE(knows_exactly(*ha_, {"button", "relay"}));
  auto relay = *ha_->find("relay");
  auto button = *ha_->find("button");
  EXPECT_EQ(relay.platform, "button");
  EXPECT_EQ(relay.state_topic, "");
  ASSERT_TRUE(eventually([&] { return ha_->state(button) == "off"; }, 10s));
  // The input wired to the relay sees the pulse: on, then off again by itself.
  std::size_t from = observer_->size();
  ha_->press(relay);
  auto on = observer_->wait_for("raspberry/button/state", "ON", from);
  ASSERT_TRUE(on);
  EXPECT_TRUE(observer_->wait_for("raspberry/button/state", "OFF", *on));
}

TEST_F(ADaemonWithDiscovery, ShowsAGarageDoorAsACoverAndItsButtonLineAsNothingElse) {
  start(
      with_discovery(demo_config(broker_->url()) +
                     "  opener: {line: GPIO17, direction: output}\n"
                     "covers:\n  garage: {button: opener, open_time: 1s, close_time: 1s, margin: 100ms, press: 100ms, "
                     "dead_time: 200ms}\n"));
  ASSERT_TRUE(knows_exactly(*ha_, {"button", "relay", "garage"}));
  auto garage = *ha_->find("garage");
  EXPECT_EQ(garage.platform, "cover");
  EXPECT_EQ(garage.device_class, "garage");
  EXPECT_EQ(garage.set_position_topic, garage.command_topic);
  EXPECT_TRUE(eventually([&] { return ha_->available(garage) == true && ha_->value(garage) == "stopped"; }, 10s));
  EXPECT_EQ(ha_->position(garage), std::nullopt) << "unknown until a full travel";
  ha_->move(garage, "open");
  EXPECT_TRUE(eventually([&] { return ha_->value(garage) == "open" && ha_->position(garage) == 100; }, 10s))
      << daemon_->log();
  ha_->set_position(garage, 50);
  EXPECT_TRUE(eventually([&] { return ha_->value(garage) == "stopped" && ha_->position(garage) == 50; }, 10s))
      << daemon_->log();
}

TEST_F(ADaemonWithDiscovery, FollowsAPlainStatusPayloadToo) {
  std::string config = demo_config(broker_->url());
  const std::string json_status = R"(online: '{"status":"On"}', offline: '{"status":"Off"}')";
  config.replace(config.find(json_status), json_status.size(), "online: online, offline: offline");
  daemon_ = std::make_unique<Daemon>(dir_, with_discovery(config));
  ASSERT_TRUE(knows_exactly(*ha_, {"button", "relay"})) << daemon_->log();
  auto relay = *ha_->find("relay");
  EXPECT_TRUE(relay.availability.at(0).value_template.empty());
  EXPECT_TRUE(eventually([&] { return ha_->available(relay) == true; }, 10s));
}

TEST_F(ADaemonWithDiscovery, AnnouncesAgainWithinTheDelayWhenHomeAssistantSaysOnlineAndNotWhenOffline) {
  start(with_discovery(demo_config(broker_->url())));
  ASSERT_TRUE(knows_exactly(*ha_, {"button", "relay"}));
  auto seen = ha_->discoveries();
  auto announced = [&] { return ha_->entities().size() && ha_->discoveries() > seen; };
  ha_->say("offline");
  EXPECT_FALSE(eventually(announced, kAnnounceDelay + 1s)) << "announced after offline";
  std::size_t from = ha_->client().size();
  auto said = std::chrono::steady_clock::now();
  ha_->say("online");
  ASSERT_TRUE(eventually(announced, kAnnounceDelay + 3s));  // the bound, plus room for a loaded machine
  EXPECT_LE(std::chrono::steady_clock::now() - said, kAnnounceDelay + 3s);
  // ...followed by the states, so that Home Assistant shows them at once.
  auto relay = *ha_->find("relay");
  EXPECT_TRUE(ha_->client().wait_for(relay.state_topic, "OFF", from));
  EXPECT_TRUE(knows_exactly(*ha_, {"button", "relay"}));
}

TEST_F(ADaemonWithDiscovery, AnswersAFloodOfOnlineAtMostOncePerDelay) {
  start(with_discovery(demo_config(broker_->url())));
  ASSERT_TRUE(knows_exactly(*ha_, {"button", "relay"}));
  auto seen = ha_->discoveries();
  MqttTestClient flood(broker_->url(), "flood");
  // `online` as fast as the broker acknowledges it, for three delays: every answer would be due
  // almost at once (the earliest of many random delays) if births were not rate limited.
  auto started = std::chrono::steady_clock::now();
  int sent = 0;
  while (std::chrono::steady_clock::now() - started < 3 * kAnnounceDelay) {
    flood.publish("homeassistant/status", "online");
    ++sent;
  }
  auto took = std::chrono::steady_clock::now() - started;
  ha_->entities();
  auto announced = ha_->discoveries() - seen;
  EXPECT_GE(announced, 1u);
  EXPECT_LE(announced, static_cast<std::size_t>(took / kAnnounceDelay + 1)) << sent << " in " << took / 1ms << " ms";
  // ...and it still answers.
  std::size_t from = observer_->size();
  observer_->publish(ha_->find("relay")->command_topic, "ON");
  EXPECT_TRUE(expect(ha_->find("relay")->state_topic, "ON", from));
}

TEST_F(ADaemonWithDiscovery, IsAnnouncedAgainAfterTheBrokerRestarts) {
  start(with_discovery(demo_config(broker_->url())));
  ASSERT_TRUE(knows_exactly(*ha_, {"button", "relay"}));
  ha_.reset();
  broker_->kill();  // no persistence: the retained discovery is gone with it
  ASSERT_TRUE(eventually([&] { return daemon_->log().find("lost the connection") != std::string::npos; }, 10s));
  broker_->start();
  ha_ = std::make_unique<FakeHomeAssistant>(broker_->url(), "homeassistant-again");
  ASSERT_TRUE(knows_exactly(*ha_, {"button", "relay"}, 20s)) << daemon_->log();
  auto relay = *ha_->find("relay");
  EXPECT_TRUE(eventually([&] { return ha_->available(relay) == true; }, 10s));
}

const char* kReloadedLines = R"(
lines:
  door: {line: GPIO22, homeassistant: {name: Front door, device_class: door}}
  relay: {line: GPIO27, direction: output, homeassistant: false}
  lamp: {line: GPIO17, direction: output, homeassistant: {icon: 'mdi:lamp'}}
)";

TEST_F(ADaemonWithDiscovery, AddsRemovesAndRenamesComponentsOnReloadLeavingNoGhosts) {
  std::string config = with_discovery(demo_config(broker_->url()));
  start(config);
  ASSERT_TRUE(knows_exactly(*ha_, {"button", "relay"}));
  // button renamed door, relay hidden, lamp added.
  reload_with(without_lines(config) + kReloadedLines + kDiscovery);
  ASSERT_TRUE(knows_exactly(*ha_, {"door", "lamp"})) << daemon_->log();
  EXPECT_EQ(ha_->find("door")->name, "Front door");
  EXPECT_EQ(ha_->find("door")->device_class, "door");
  EXPECT_EQ(ha_->find("lamp")->icon, "mdi:lamp");
  // A Home Assistant starting now reads one retained payload, with exactly these two.
  auto retained = retained_discovery(1);
  ASSERT_EQ(retained.size(), 1u);
  FakeHomeAssistant fresh(broker_->url(), "fresh-homeassistant");
  EXPECT_TRUE(knows_exactly(fresh, {"door", "lamp"}));
  EXPECT_EQ(fresh.errors(), std::vector<std::string>{});
  auto lamp = *ha_->find("lamp");
  ha_->turn(lamp, true);
  EXPECT_TRUE(eventually([&] { return ha_->state(lamp) == "on"; }, 10s));
}

TEST_F(ADaemonWithDiscovery, RemovesWhatLinesRemovedWhileItWasStoppedLeftBehind) {
  for (std::string version : {"5", "3.1.1"}) {
    SCOPED_TRACE("MQTT " + version);
    std::string config = with_discovery(demo_config(broker_->url(), "60s", version));
    start(config);
    ASSERT_TRUE(knows_exactly(*ha_, {"button", "relay"}));
    daemon_->process().signal(SIGTERM);
    ASSERT_EQ(daemon_->process().wait(5s), 0);
    // The button's line is gone from the config when it starts again.
    std::string relay_only =
        without_lines(config) + "\nlines:\n  relay: {line: GPIO27, direction: output}\n" + kDiscovery;
    start(relay_only);
    ASSERT_TRUE(knows_exactly(*ha_, {"relay"})) << daemon_->log();
    FakeHomeAssistant fresh(broker_->url(), "fresh-homeassistant");
    EXPECT_TRUE(knows_exactly(fresh, {"relay"}));
    EXPECT_EQ(fresh.errors(), std::vector<std::string>{});
    daemon_->process().signal(SIGTERM);
    ASSERT_EQ(daemon_->process().wait(5s), 0);
    ha_ = std::make_unique<FakeHomeAssistant>(broker_->url(), "homeassistant-" + version);
  }
}

TEST_F(ADaemonWithDiscovery, RemovesTheDeviceWhenAReloadTurnsDiscoveryOff) {
  std::string config = demo_config(broker_->url());
  start(with_discovery(config));
  ASSERT_TRUE(knows_exactly(*ha_, {"button", "relay"}));
  reload_with(config);  // no homeassistant section: off
  ASSERT_TRUE(knows_exactly(*ha_, {})) << daemon_->log();
  EXPECT_EQ(retained_discovery(0).size(), 0u);
}

// The stand-in must catch what it is there to catch, or every test above could pass on nothing.
TEST_F(ADaemonWithDiscovery, PlaysAHomeAssistantThatCatchesBadPayloads) {
  FakeHomeAssistant strict(broker_->url(), "strict-homeassistant");
  MqttTestClient device(broker_->url(), "bad-device");
  device.publish("homeassistant/device/bad/config",
                 R"({"dev":{"ids":["bad"],"name":"bad"},"o":{"name":"x"},"cmps":{)"
                 R"("a":{"p":"switch","unique_id":"u","state_topic":"s","retain":true},)"
                 R"("b":{"p":"binary_sensor","uniq_id":"u","stat_t":"s","stat_topic":"s"},)"
                 R"("c":{"p":"light","unique_id":"v","state_topic":"s"}}})");
  device.publish("homeassistant/device/bad id/config", "{}");
  ASSERT_TRUE(eventually([&] { return strict.entities().size() >= 1 && strict.errors().size() >= 5; }, 10s))
      << ::testing::PrintToString(strict.errors());
  std::string all;
  for (const auto& e : strict.errors()) all += e + "\n";
  EXPECT_NE(all.find("a is a switch without command_topic"), std::string::npos) << all;
  EXPECT_NE(all.find("a would retain its commands"), std::string::npos) << all;
  EXPECT_NE(all.find("unique_id u is taken"), std::string::npos) << all;
  EXPECT_NE(all.find("b: key 'stat_topic' is unknown"), std::string::npos) << all;
  EXPECT_NE(all.find("unknown platform 'light'"), std::string::npos) << all;
  EXPECT_NE(all.find("not a discovery topic Home Assistant accepts: homeassistant/device/bad id/config"),
            std::string::npos)
      << all;
  device.publish("homeassistant/device/bad/config", "", /*retain=*/true);
}

TEST_F(ADaemonWithDiscovery, ShowsWhatItWouldAnnounceInCheckConfig) {
  write_file(dir_ + "/check.yaml", with_discovery(demo_config(broker_->url())));
  Process check({daemon_binary(), "--check-config", dir_ + "/check.yaml"}, dir_ + "/check.log");
  ASSERT_EQ(check.wait(10s), 0) << check.log();
  std::string out = check.log();
  auto topic = out.find("  homeassistant/device/gpio2mqtt_");
  ASSERT_NE(topic, std::string::npos) << out;
  auto line = out.find("\n  {", topic);
  ASSERT_NE(line, std::string::npos) << out;
  auto payload = out.substr(line + 3, out.find('\n', line + 1) - line - 3);
  auto json = parse_json(payload);
  ASSERT_TRUE(json) << payload;
  EXPECT_EQ((*json)["cmps"]["relay"]["p"].string, "switch");
}

}  // namespace
}  // namespace gpio2mqtt::testing

// A counter in Home Assistant: a sensor for its total that the energy dashboard takes, and one for
// its rate; and the readings published again when Home Assistant comes online.
#include <gtest/gtest.h>

#include "fakes.h"
#include "gpio2mqtt/bridge/bridge.h"
#include "gpio2mqtt/bridge/discovery.h"
#include "gpio2mqtt/config/loader.h"
#include "util/json.h"

namespace gpio2mqtt::bridge {
namespace {

using namespace std::chrono_literals;

config::Config meter_config(const std::string& meter) {
  auto config = config::parse_config(
      "mqtt: {base_topic: pi}\nhomeassistant: {discovery: true, device_id: dev, announce_delay: 3s}\n"
      "chips:\n  main: {simulated: {lines: [A, B]}}\nlines:\n  meter: {line: A, mode: counter" +
          meter + "}\n",
      "test.yaml", "host");
  return config;
}

Json components(const config::Config& config) {
  auto json = parse_json(device_payload(config));
  EXPECT_TRUE(json) << device_payload(config);
  return json ? (*json)["cmps"] : Json{};
}

TEST(ACountersDiscovery, IsAnEnergySensorForItsTotalAndAPowerSensorForItsRate) {
  Json cmps = components(meter_config(""));
  ASSERT_EQ(cmps.object.size(), 2u);
  const Json& total = cmps["meter"];
  EXPECT_EQ(total["p"].string, "sensor");
  EXPECT_EQ(total["name"].string, "meter");
  EXPECT_EQ(total["unique_id"].string, "dev_meter");
  EXPECT_EQ(total["state_topic"].string, "pi/meter/total");
  EXPECT_EQ(total["unit_of_measurement"].string, "kWh");
  EXPECT_EQ(total["device_class"].string, "energy");
  EXPECT_EQ(total["state_class"].string, "total_increasing");
  EXPECT_FALSE(total.has("command_topic"));
  const Json& rate = cmps["meter_rate"];
  EXPECT_EQ(rate["p"].string, "sensor");
  EXPECT_EQ(rate["name"].string, "meter rate");
  EXPECT_EQ(rate["unique_id"].string, "dev_meter_rate");
  EXPECT_EQ(rate["state_topic"].string, "pi/meter/rate");
  EXPECT_EQ(rate["unit_of_measurement"].string, "kW");
  EXPECT_EQ(rate["device_class"].string, "power");
  EXPECT_EQ(rate["state_class"].string, "measurement");
}

TEST(ACountersDiscovery, MakesAVolumeAWaterMeterWithAFlowRate) {
  Json cmps = components(meter_config(", unit: m³, pulses_per_unit: 100"));
  EXPECT_EQ(cmps["meter"]["device_class"].string, "water");
  EXPECT_EQ(cmps["meter"]["unit_of_measurement"].string, "m³");
  EXPECT_EQ(cmps["meter_rate"]["device_class"].string, "volume_flow_rate");
  EXPECT_EQ(cmps["meter_rate"]["unit_of_measurement"].string, "m³/h");
}

TEST(ACountersDiscovery, TakesGasAndANameFromTheLinesHomeAssistantKey) {
  Json cmps = components(meter_config(", unit: m³, homeassistant: {name: Gas, device_class: gas}"));
  EXPECT_EQ(cmps["meter"]["device_class"].string, "gas");
  EXPECT_EQ(cmps["meter"]["name"].string, "Gas");
  EXPECT_EQ(cmps["meter_rate"]["name"].string, "Gas rate");
  EXPECT_EQ(cmps["meter_rate"]["device_class"].string, "volume_flow_rate");
}

TEST(ACountersDiscovery, GivesAnUnknownUnitNoDeviceClass) {
  Json cmps = components(meter_config(", unit: rotations"));
  EXPECT_FALSE(cmps["meter"].has("device_class"));
  EXPECT_EQ(cmps["meter"]["state_class"].string, "total_increasing");
  EXPECT_EQ(cmps["meter_rate"]["unit_of_measurement"].string, "rotations/h");
}

TEST(ACountersDiscovery, RefusesADeviceClassThatIsNoMeter) {
  EXPECT_THROW(meter_config(", homeassistant: {device_class: door}"), config::ConfigError);
}

TEST(ACountersDiscovery, ListsBothComponentsSoThatRemovingTheLineRemovesBoth) {
  auto ids = announced_components(meter_config(""));
  EXPECT_EQ(ids, (std::vector<ComponentId>{{"meter", "sensor"}, {"meter_rate", "sensor"}}));
}

TEST(ACountersDiscovery, PublishesTheReadingsAgainAfterHomeAssistantsBirth) {
  config::Config config = meter_config("");
  RecordingPublisher publisher;
  FakeLines lines;
  Bridge bridge(config, publisher, lines);
  start(bridge, config, lines, MonoTime(0s));
  bridge.on_connected(MonoTime(0s));
  publisher.take();
  bridge.on_message("homeassistant/status", "online", false, MonoTime(10s));
  bridge.on_time(*bridge.next_deadline());
  auto sent = publisher.take();
  ASSERT_EQ(sent.size(), 4u) << sent[0].topic << " " << sent.back().topic;
  EXPECT_EQ(sent[0].topic, "homeassistant/device/dev/config");
  EXPECT_EQ(sent[1].topic, "pi/meter/count");
  EXPECT_EQ(sent[2].topic, "pi/meter/total");
  EXPECT_EQ(sent[3].topic, "pi/meter/rate");
}

}  // namespace
}  // namespace gpio2mqtt::bridge

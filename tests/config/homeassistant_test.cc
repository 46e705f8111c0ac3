// The `homeassistant:` section and each line's `homeassistant:` key.
#include <gtest/gtest.h>

#include "gpio2mqtt/config/entity.h"
#include "gpio2mqtt/config/loader.h"

namespace gpio2mqtt::config {
namespace {

using namespace std::chrono_literals;

const std::string kChips = "chips:\n  main: {simulated: {lines: [A, B, C]}}\n";

Config load(const std::string& ha, const std::string& lines = "  button: {line: A}\n") {
  return parse_config(ha + kChips + "lines:\n" + lines, "c.yaml", "pi");
}

std::string error_of(const std::string& ha, const std::string& lines = "  button: {line: A}\n") {
  try {
    load(ha, lines);
  } catch (const ConfigError& e) {
    return std::string(e.what()).substr(7);  // without "c.yaml:"
  }
  ADD_FAILURE() << "accepted:\n" << ha << lines;
  return "";
}

TEST(TheHomeAssistantSection, IsOffByDefaultWithHomeAssistantsOwnDefaults) {
  Config c = load("");
  EXPECT_FALSE(c.homeassistant.discovery);
  EXPECT_EQ(c.homeassistant.prefix, "homeassistant");
  EXPECT_EQ(c.homeassistant.status_topic, "homeassistant/status");
  EXPECT_EQ(c.homeassistant.device_name, "pi");
  EXPECT_EQ(c.homeassistant.device_id, "");  // derived from the machine id at start
  EXPECT_EQ(c.homeassistant.device_id_seed, "gpio2mqtt-{hostname}");
  EXPECT_EQ(c.homeassistant.announce_delay, 5s);
}

TEST(TheHomeAssistantSection, TakesEveryKey) {
  Config c = load(
      "mqtt: {client_id: 'bridge-{hostname}'}\n"
      "homeassistant: {discovery: true, prefix: ha, status_topic: ha/birth, device_name: 'Shed {hostname}', "
      "device_id: shed-1, announce_delay: 500ms}\n");
  EXPECT_TRUE(c.homeassistant.discovery);
  EXPECT_EQ(c.homeassistant.prefix, "ha");
  EXPECT_EQ(c.homeassistant.status_topic, "ha/birth");
  EXPECT_EQ(c.homeassistant.device_name, "Shed pi");
  EXPECT_EQ(c.homeassistant.device_id, "shed-1");
  EXPECT_EQ(c.homeassistant.device_id_seed, "bridge-{hostname}");  // as written: a rename keeps it
  EXPECT_EQ(c.homeassistant.announce_delay, 1s);
}

TEST(TheHomeAssistantSection, RefusesMistakesAtTheirLocation) {
  EXPECT_EQ(error_of("homeassistant: {discovery: maybe}\n"),
            "1:28: homeassistant.discovery: expected true/false (or on/off), got 'maybe'");
  EXPECT_EQ(error_of("homeassistant: {discover: true}\n").substr(0, 50),
            "1:17: homeassistant: unknown key 'discover'; expec");
  EXPECT_EQ(error_of("homeassistant: {prefix: 'home/#'}\n"),
            "1:25: homeassistant.prefix: 'home/#' is not a usable topic (no '+', '#', NUL or empty levels)");
  EXPECT_EQ(error_of("homeassistant: {device_id: 'my device'}\n"),
            "1:28: homeassistant.device_id: expected 1 to 64 letters, digits, '_' or '-'");
  EXPECT_EQ(error_of("homeassistant: {announce_delay: 1h}\n"), "1:33: homeassistant.announce_delay: at most 600s");
  EXPECT_EQ(error_of("homeassistant: [true]\n"), "1:16: homeassistant: expected a mapping of keys to values");
}

TEST(ALinesHomeAssistantKey, NamesClassifiesOrHidesTheLine) {
  Config c = load("",
                  "  door: {line: A, homeassistant: {name: Front door, device_class: door, icon: 'mdi:door'}}\n"
                  "  relay: {line: B, direction: output, homeassistant: {device_class: outlet}}\n"
                  "  hidden: {line: C, homeassistant: false}\n");
  EXPECT_EQ(c.lines[0].entity.name, "Front door");
  EXPECT_EQ(c.lines[0].entity.device_class, "door");
  EXPECT_EQ(c.lines[0].entity.icon, "mdi:door");
  EXPECT_FALSE(c.lines[0].entity.hidden);
  EXPECT_EQ(c.lines[1].entity.device_class, "outlet");
  EXPECT_TRUE(c.lines[2].entity.hidden);
  EXPECT_EQ(entity_platform(c.lines[0]), "binary_sensor");
  EXPECT_EQ(entity_platform(c.lines[1]), "switch");
}

TEST(ALinesHomeAssistantKey, RefusesDeviceClassesItsPlatformDoesNotHave) {
  EXPECT_EQ(error_of("", "  relay: {line: B, direction: output, homeassistant: {device_class: door}}\n"),
            "4:69: line 'relay'.homeassistant.device_class: 'door' is not a device class of switch; expected one "
            "of: outlet, switch");
  EXPECT_EQ(error_of("", "  door: {line: A, homeassistant: {device_class: outlet}}\n").substr(0, 93),
            "4:49: line 'door'.homeassistant.device_class: 'outlet' is not a device class of binary_sensor");
}

TEST(ALinesHomeAssistantKey, RefusesUnknownKeysBadIconsAndOtherScalars) {
  EXPECT_EQ(error_of("", "  door: {line: A, homeassistant: {unit: W}}\n"),
            "4:35: line 'door'.homeassistant: unknown key 'unit'; expected one of: name, device_class, icon");
  EXPECT_EQ(error_of("", "  door: {line: A, homeassistant: {icon: door}}\n"),
            "4:41: line 'door'.homeassistant.icon: expected an icon like mdi:lightbulb");
  EXPECT_EQ(error_of("", "  door: {line: A, homeassistant: hide}\n"),
            "4:34: line 'door'.homeassistant (false hides the line, or name, device_class, icon): expected "
            "true/false (or on/off), got 'hide'");
  EXPECT_EQ(error_of("", "  door: {line: A, homeassistant: {name: ''}}\n"),
            "4:41: line 'door'.homeassistant.name: expected 1 to 255 characters of text without control characters");
}

TEST(ALinesHomeAssistantKey, RefusesTwoLinesWithOneDiscoveryId) {
  EXPECT_EQ(error_of("homeassistant: {discovery: true}\n", "  a.b: {line: A}\n  a_b: {line: B}\n"),
            "6:3: line 'a_b': its Home Assistant id 'a_b' is another line's too ('.' becomes '_'; a counter adds "
            "<id>_rate, a button <id>_action); rename one of them");
  EXPECT_NO_THROW(load("", "  a.b: {line: A}\n  a_b: {line: B}\n"));  // without discovery they never meet
}

TEST(ALinesHomeAssistantKey, WarnsWhenTheEntitysNameRepeatsTheDevicesName) {
  Config c =
      load("homeassistant: {discovery: true, device_name: Shed}\n",
           "  shed_door: {line: A}\n  lamp: {line: B, homeassistant: {name: shed lamp}}\n  shedding: {line: C}\n");
  ASSERT_EQ(c.warnings.size(), 2u);
  EXPECT_EQ(c.warnings[0],
            "c.yaml:5:3: line 'shed_door': Home Assistant shows it as 'Shed shed_door': leave the device's name out "
            "of the entity's");
  EXPECT_NE(c.warnings[1].find("'Shed shed lamp'"), std::string::npos);
}

}  // namespace
}  // namespace gpio2mqtt::config

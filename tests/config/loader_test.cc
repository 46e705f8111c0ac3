#include "gpio2mqtt/config/loader.h"

#include <gtest/gtest.h>

#include <fstream>

#include "config_errors.h"

namespace gpio2mqtt::config {
namespace {

using namespace std::chrono_literals;

const char* kIssueExample = R"(mqtt:
  server: mqtt://127.0.0.1:1883      # mqtts://host:8883 for TLS
  client_id: gpio2mqtt-{hostname}
  keepalive: 60s
  version: 5                         # 5 or 3.1.1
  base_topic: raspberry
  qos: 1
  status:                            # the last will, retained
    topic: raspberry/status
    online: '{"status":"On"}'
    offline: '{"status":"Off"}'
chips:
  main:
    simulated:                       # on hardware: label: pinctrl-bcm2711, or path: /dev/gpiochip0
      lines: [GPIO17, GPIO22, GPIO27]
      wires: {GPIO27: GPIO22}        # the simulated output GPIO27 drives the input GPIO22
lines:
  button:
    chip: main                       # may be left out when there is one chip
    line: GPIO22                     # a line name, or an offset
    direction: input
    edge: both                       # rising | falling | both
    bias: pull-up                    # pull-up | pull-down | disable | as-is
    active_low: false
    debounce: 10ms
  relay:
    line: GPIO27
    direction: output
    initial: off                     # set in the same request that makes it an output
    on_disconnect: off               # level while the broker is lost and after a stop; keep = leave it
)";

std::string error_of(const std::string& text) { return testing::config_error_of(text); }

const std::string kChips = "chips:\n  main: {simulated: {lines: [A, B, C]}}\n";

TEST(TheConfigLoader, LoadsTheDocumentedExampleAsIs) {
  Config c = parse_config(kIssueExample, "example.yaml", "pi");
  EXPECT_EQ(c.mqtt.server, "mqtt://127.0.0.1:1883");
  EXPECT_EQ(c.mqtt.client_id, "gpio2mqtt-pi");
  EXPECT_EQ(c.mqtt.keepalive, 60s);
  EXPECT_EQ(c.mqtt.version, 5);
  EXPECT_EQ(c.mqtt.status.topic, "raspberry/status");
  EXPECT_EQ(c.mqtt.status.offline, R"({"status":"Off"})");
  ASSERT_EQ(c.chips.size(), 1u);
  EXPECT_EQ(c.chips[0].simulated.wires, (std::vector<std::pair<std::string, std::string>>{{"GPIO27", "GPIO22"}}));
  ASSERT_EQ(c.lines.size(), 2u);
  EXPECT_EQ(c.lines[0].name, "button");
  EXPECT_EQ(c.lines[0].bias, gpio::Bias::kPullUp);
  EXPECT_EQ(c.lines[0].debounce, 10ms);
  EXPECT_EQ(c.lines[1].chip, "main");  // filled in: there is one chip
  EXPECT_EQ(c.lines[1].direction, gpio::Direction::kOutput);
  EXPECT_EQ(c.lines[1].on_disconnect, OnDisconnect::kOff);
  EXPECT_EQ(c.lines[1].where.line, 26);
}

TEST(TheConfigLoader, ExpandsTheHostnameInTopicsAndAddsADefaultPort) {
  Config c = parse_config("mqtt: {server: 'mqtts://broker', base_topic: 'home/{hostname}', version: 3.1.1}\n" + kChips +
                              "lines: {x: {line: 2}}\n",
                          "c.yaml", "pi");
  EXPECT_EQ(c.mqtt.server, "mqtts://broker:8883");
  EXPECT_EQ(c.mqtt.base_topic, "home/pi");
  EXPECT_EQ(c.mqtt.status.topic, "home/pi/status");
  EXPECT_EQ(c.mqtt.version, 4);
  EXPECT_EQ(c.lines[0].offset, 2u);
}

TEST(TheConfigLoader, MakesTheDefaultClientIdUniquePerMachine) {
  // Two Pis cloned from one image keep the host name but get their own /etc/machine-id.
  Config c = parse_config(kChips + "lines: {x: {line: 2}}\n", "c.yaml",
                          Host("raspberrypi", "3d1219c7c4c5404aaa1f6d2a48adfda4"));
  EXPECT_EQ(c.mqtt.client_id, "gpio2mqtt-raspberrypi-3d1219c7");
  EXPECT_EQ(parse_config(kChips + "lines: {x: {line: 2}}\n", "c.yaml", "pi").mqtt.client_id, "gpio2mqtt-pi");
}

TEST(TheConfigLoader, AcceptsAutoAsTheMqttVersion) {
  EXPECT_EQ(parse_config("mqtt: {version: auto}\n" + kChips + "lines: {x: {line: 2}}\n", "c.yaml", "pi").mqtt.version,
            kAutoVersion);
}

TEST(TheConfigLoader, RefusesAnUnknownPlaceholderWithItsPlace) {
  EXPECT_EQ(error_of("mqtt:\n  client_id: gpio2mqtt-{host}\n" + kChips + "lines: {}\n"),
            "2:14: mqtt.client_id: unknown placeholder '{host}'; known: {hostname}, {machine_id}");
  EXPECT_EQ(error_of("mqtt: {base_topic: 'home/{HOSTNAME}'}\n" + kChips + "lines: {}\n"),
            "1:20: mqtt.base_topic: unknown placeholder '{HOSTNAME}'; known: {hostname}, {machine_id}");
  EXPECT_EQ(error_of("mqtt: {status: {topic: '{hostname}/{x}/status'}}\n" + kChips + "lines: {}\n"),
            "1:24: mqtt.status.topic: unknown placeholder '{x}'; known: {hostname}, {machine_id}");
}

TEST(TheConfigLoader, StatesTheAsciiRuleForLineNames) {
  EXPECT_EQ(error_of(kChips + "lines:\n  küche_licht: {line: A}\n"),
            "4:3: line 'küche_licht': a line name is one topic level and part of ids that must be ASCII: use ASCII "
            "letters (a-z, A-Z), digits, '_', '-' or '.'");
}

TEST(TheConfigLoader, EscapesWhatIsNotTextWhenItQuotesTheFile) {
  EXPECT_EQ(error_of("mqtt: {qos: \"\\e[31mhigh\\xff\"}\n" + kChips + "lines: {}\n"),
            "1:13: mqtt.qos: expected a whole number, got '\\x1b[31mhighÿ'");
}

TEST(TheConfigLoader, NamesTheFileLineAndColumnOfEachMistake) {
  EXPECT_EQ(error_of(kChips + "lines:\n  a: {line: A, colour: red}\n"),
            "4:16: line 'a': unknown key 'colour'; expected one of: chip, line, direction, edge, bias, active_low, "
            "debounce, initial, on_disconnect, drive, mode, pulses_per_unit, unit, rate_timeout, publish_interval, "
            "persist_every, button, momentary, homeassistant");
  EXPECT_EQ(error_of("mqtt: {qos: high}\n" + kChips + "lines: {}\n"),
            "1:13: mqtt.qos: expected a whole number, got 'high'");
  EXPECT_EQ(error_of("mqtt: {qos: 3}\n" + kChips + "lines: {}\n"), "1:13: mqtt.qos: 3 is out of range 0..2");
  EXPECT_EQ(error_of("mqtt: {status: [a]}\n" + kChips + "lines: {}\n"),
            "1:16: mqtt.status: expected a mapping of keys to values");
  EXPECT_EQ(error_of(kChips + "lines:\n  a: {line: GPIO99}\n"),
            "4:13: line 'a': chip 'main' has no line 'GPIO99'; its lines: A, B, C");
  EXPECT_EQ(error_of(kChips + "lines:\n  a: {line: A}\n  b: {line: A}\n"),
            "5:13: line 'b': line A is already used by another line");
  EXPECT_EQ(error_of(kChips + "lines:\n  a: {line: A, initial: on}\n"),
            "4:25: line 'a': an input has no initial level (initial is for outputs)");
  EXPECT_EQ(error_of(kChips + "lines:\n  a: {line: A, direction: output, edge: both}\n"),
            "4:41: line 'a': edge is for inputs");
  EXPECT_EQ(error_of("mqtt: {base_topic: 'a/+/b'}\n" + kChips + "lines: {}\n"),
            "1:20: mqtt.base_topic: 'a/+/b' is not a usable topic (no '+', '#', NUL or empty levels)");
  EXPECT_EQ(error_of("mqtt: {status: {topic: 'a/#'}}\n" + kChips + "lines: {}\n"),
            "1:24: mqtt.status.topic: 'a/#' is not a usable topic (no '+', '#', NUL or empty levels)");
  EXPECT_EQ(error_of(kChips + "lines:\n  'a+': {line: A}\n"),
            "4:3: line 'a+': a line name is one topic level and part of ids that must be ASCII: use ASCII letters "
            "(a-z, A-Z), digits, '_', '-' or '.'");
  EXPECT_EQ(error_of(kChips + "lines:\n  a: {line: A, debounce: 10}\n"),
            "4:26: line 'a'.debounce: '10' is not a duration; expected a number and a unit, e.g. 10ms, 1.5s, 2m");
  EXPECT_EQ(error_of("mqtt: {keepalive: soon}\n" + kChips + "lines: {}\n"),
            "1:19: mqtt.keepalive: 'soon' is not a duration; expected a number and a unit, e.g. 10ms, 1.5s, 2m");
  EXPECT_EQ(error_of(kChips + "lines:\n  a: {line: A, edge: up}\n"),
            "4:22: line 'a'.edge: 'up' is not one of rising | falling | both | none");
  EXPECT_EQ(error_of(kChips + "lines:\n  a: {line: A, mode: counter, edge: none}\n"),
            "4:37: line 'a'.edge: a counter counts rising, falling or both edges (none counts nothing)");
  EXPECT_EQ(error_of(kChips + "lines:\n  a: {line: A, chip: other}\n"),
            "4:22: line 'a': no chip 'other'; configured chips: main");
  EXPECT_EQ(error_of(kChips + "lines:\n  a: {line: 7}\n"), "4:13: line 'a': chip 'main' has 3 lines (offsets 0..2)");
  EXPECT_EQ(error_of("mqtt: {version: 4.0}\n" + kChips + "lines: {}\n"),
            "1:17: mqtt.version: '4.0' is not supported; expected 5, 3.1.1 or auto");
  EXPECT_EQ(error_of("mqtt: {server: 'http://x'}\n" + kChips + "lines: {}\n"),
            "1:16: mqtt.server: unknown scheme 'http'; expected mqtt, mqtts, tcp, ssl, ws or wss");
  EXPECT_EQ(error_of("mqtt: {server: 'mqtt://x:99999'}\n" + kChips + "lines: {}\n"),
            "1:16: mqtt.server: port 99999 is not 1..65535");
}

TEST(TheConfigLoader, RejectsDuplicateKeysUnknownSectionsAndBrokenYaml) {
  EXPECT_EQ(error_of(kChips + "lines:\n  a: {line: A}\n  a: {line: B}\n"), "5:3: lines: key 'a' appears twice");
  EXPECT_EQ(error_of("mqtt: {qos: 1, qos: 0}\n" + kChips + "lines: {}\n"), "1:16: mqtt: key 'qos' appears twice");
  EXPECT_EQ(error_of(kChips + "lines: {}\nextra: 1\n"),
            "4:1: top level: unknown key 'extra'; expected one of: mqtt, dbus, chips, lines, interlocks, pwm, sensors, "
            "sysfs, homeassistant, state_directory, bindings, covers");
  EXPECT_EQ(error_of("mqtt: [\n"), "2:1: invalid YAML: end of sequence flow not found");
  EXPECT_EQ(error_of("just text\n"), "1:1: expected a mapping with the keys mqtt, chips and lines");
  EXPECT_EQ(error_of(kChips), "1:1: top level: a 'lines' section is required");
  EXPECT_EQ(error_of("chips:\n  main: {label: x, path: y}\nlines: {}\n"),
            "2:9: chip 'main': expected exactly one of simulated, label or path");
  EXPECT_EQ(error_of("chips:\n  main: {simulated: {lines: [A, A]}}\nlines: {}\n"),
            "2:33: chip 'main'.simulated.lines: 'A' is listed twice");
  EXPECT_EQ(error_of("chips:\n  main: {simulated: {lines: [A], wires: {A: Z}}}\nlines: {}\n"),
            "2:45: chip 'main'.simulated.wires: no line 'Z' on this chip");
}

TEST(TheConfigLoader, ReadsTheControlSocketOfASimulatedChip) {
  Config c =
      parse_config("chips:\n  main: {simulated: {lines: [A], control: /run/sim.sock}}\nlines: {}\n", "c.yaml", "pi");
  EXPECT_EQ(c.chips[0].simulated.control, "/run/sim.sock");
  EXPECT_EQ(parse_config(kChips + "lines: {}\n", "c.yaml", "pi").chips[0].simulated.control, "");
  EXPECT_EQ(error_of("chips:\n  main: {simulated: {lines: [A], control: sim.sock}}\nlines: {}\n"),
            "2:43: chip 'main'.simulated.control: expected an absolute path of at most 107 bytes");
  EXPECT_EQ(error_of("chips:\n  main: {simulated: {lines: [A], contrl: /x}}\nlines: {}\n"),
            "2:34: chip 'main'.simulated: unknown key 'contrl'; expected one of: lines, wires, control");
}

TEST(TheConfigLoader, ReadsAFileAndNamesItInErrors) {
  std::string path = ::testing::TempDir() + "/gpio2mqtt-loader-test.yaml";
  std::ofstream(path) << kChips << "lines:\n  a: {line: A, bias: sideways}\n";
  try {
    load_config_file(path, "pi");
    FAIL() << "accepted";
  } catch (const ConfigError& e) {
    EXPECT_EQ(std::string(e.what()),
              path + ":4:22: line 'a'.bias: 'sideways' is not one of as-is | disable | pull-up | pull-down");
    EXPECT_EQ(e.where().line, 4);
  }
  EXPECT_THROW(load_config_file("/nonexistent/gpio2mqtt.yaml", "pi"), ConfigError);
}

}  // namespace
}  // namespace gpio2mqtt::config

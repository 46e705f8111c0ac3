// Inputs in mode: counter as the loader reads them, and where their state lives.
#include <gtest/gtest.h>

#include "bridge/describe.h"
#include "gpio2mqtt/config/loader.h"

namespace gpio2mqtt::config {
namespace {

using namespace std::chrono_literals;

Config parse(const std::string& line, const std::string& top = "state_directory: /var/lib/g\n") {
  return parse_config(top + "chips:\n  main: {simulated: {lines: [A, B]}}\nlines:\n  meter: " + line + "\n", "c.yaml",
                      "host");
}

std::string error_of(const std::string& line) {
  try {
    parse(line);
  } catch (const ConfigError& e) {
    return e.what();
  }
  return "no error";
}

TEST(ACounterConfig, DefaultsToAnS0MeterCountingFallingEdges) {
  Config config = parse("{line: A, mode: counter}");
  const LineConfig& meter = config.lines[0];
  EXPECT_EQ(meter.mode, Mode::kCounter);
  EXPECT_EQ(meter.edge, Edge::kFalling);
  EXPECT_EQ(meter.counter.pulses_per_unit, 1000);
  EXPECT_EQ(meter.counter.unit, "kWh");
  EXPECT_EQ(meter.counter.publish_interval, 1s);
  EXPECT_EQ(meter.counter.persist_every, 60s);
  EXPECT_EQ(meter.counter.rate_timeout, 5min);
  EXPECT_EQ(config.state_directory, "/var/lib/g");
}

TEST(ACounterConfig, AsksTheKernelOnlyForTheEdgesItCountsWhenTheBridgeDoesNotDebounce) {
  EXPECT_EQ(parse("{line: A, mode: counter}").lines[0].kernel_edges(false), gpio::Edges::kFalling);
  EXPECT_EQ(parse("{line: A, mode: counter, edge: rising}").lines[0].kernel_edges(false), gpio::Edges::kRising);
  EXPECT_EQ(parse("{line: A, mode: counter, edge: both}").lines[0].kernel_edges(false), gpio::Edges::kBoth);
  // The bridge debounces from both edges (a glitch ends with the other one); the kernel needs none.
  const LineConfig debounced = parse("{line: A, mode: counter, debounce: 10ms}").lines[0];
  EXPECT_EQ(debounced.kernel_edges(false), gpio::Edges::kBoth);
  EXPECT_EQ(debounced.kernel_edges(true), gpio::Edges::kFalling);
  // Every other input keeps both: its state topic follows both.
  EXPECT_EQ(parse("{line: A, edge: falling}").lines[0].kernel_edges(false), gpio::Edges::kBoth);
}

TEST(ACounterConfig, TakesEveryKey) {
  const LineConfig meter =
      parse(
          "{line: A, mode: counter, edge: rising, debounce: 20ms, pulses_per_unit: 0.5, unit: m³, rate_timeout: 10m, "
          "publish_interval: 250ms, persist_every: 5m}")
          .lines[0];
  EXPECT_EQ(meter.edge, Edge::kRising);
  EXPECT_EQ(meter.debounce, 20ms);
  EXPECT_EQ(meter.counter.pulses_per_unit, 0.5);
  EXPECT_EQ(meter.counter.unit, "m³");
  EXPECT_EQ(meter.counter.rate_timeout, 10min);
  EXPECT_EQ(meter.counter.publish_interval, 250ms);
  EXPECT_EQ(meter.counter.persist_every, 5min);
}

TEST(ACounterConfig, NamesWhereAWrongValueStands) {
  EXPECT_EQ(error_of("{line: A, mode: counter, pulses_per_unit: -3}").rfind("c.yaml:5:52: ", 0), 0u)
      << error_of("{line: A, mode: counter, pulses_per_unit: -3}");
  EXPECT_NE(error_of("{line: A, mode: counter, persist_every: 0}").find("persist_every: expected more than 0"),
            std::string::npos);
  EXPECT_NE(error_of("{line: A, mode: meter}").find("'meter' is not one of level | counter"), std::string::npos);
  EXPECT_NE(error_of("{line: A, direction: output, mode: counter}").find("mode counter is for inputs"),
            std::string::npos);
  EXPECT_NE(error_of("{line: A, unit: kWh}").find("unit is for inputs in mode: counter"), std::string::npos);
}

TEST(ACounterConfig, TakesTheStateDirectoryFromSystemdWhenTheFileDoesNotSayIt) {
  Config config = parse("{line: A, mode: counter}", "");
  resolve_state_directory(config, "/var/lib/gpio2mqtt:/var/lib/other");
  EXPECT_EQ(config.state_directory, "/var/lib/gpio2mqtt");
  EXPECT_EQ(config.state_directory_source, "$STATE_DIRECTORY");
  Config configured = parse("{line: A, mode: counter}");
  resolve_state_directory(configured, "/elsewhere");
  EXPECT_EQ(configured.state_directory, "/var/lib/g");
}

TEST(ACounterConfig, NeedsAStateDirectory) {
  Config config = parse("{line: A, mode: counter}", "");
  resolve_state_directory(config, nullptr);
  try {
    require_state_directory(config);
    FAIL() << "no error";
  } catch (const ConfigError& e) {
    EXPECT_EQ(std::string(e.what()).rfind("c.yaml:4:3: line 'meter': a counter keeps its total", 0), 0u) << e.what();
  }
  Config plain = parse("{line: A}", "");
  EXPECT_NO_THROW(require_state_directory(plain));
}

TEST(ACounterConfig, IsDescribedWithoutAStateDirectoryAsSystemdWouldRunIt) {
  Config config = parse("{line: A, mode: counter}", "");
  std::string text = describe(config);
  EXPECT_NE(text.find("state directory: $STATE_DIRECTORY, which systemd sets"), std::string::npos) << text;
  EXPECT_NE(text.find("kept in $STATE_DIRECTORY/counter-meter.state"), std::string::npos) << text;
}

TEST(ACounterConfig, IsDescribedWithItsTopicsAndStateFile) {
  std::string text = describe(parse("{line: A, mode: counter, debounce: 20ms}"));
  EXPECT_NE(text.find("state directory: /var/lib/g (from state_directory)"), std::string::npos) << text;
  EXPECT_NE(text.find("meter: counter, line A on simulated chip main; counts falling edges held 20000 us, 1000 "
                      "pulses per kWh"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("raspberry/meter/count, raspberry/meter/total (kWh) and raspberry/meter/rate"), std::string::npos)
      << text;
  EXPECT_NE(text.find("kept in /var/lib/g/counter-meter.state every 60 s"), std::string::npos) << text;
}

}  // namespace
}  // namespace gpio2mqtt::config

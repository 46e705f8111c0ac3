// A bridge with an input in mode: counter: what it publishes, stores and takes as commands.
#include <gtest/gtest.h>

#include "fakes.h"
#include "gpio2mqtt/bridge/bridge.h"
#include "gpio2mqtt/config/loader.h"

namespace gpio2mqtt::bridge {
namespace {

using namespace std::chrono_literals;

constexpr std::size_t kMeter = 0;

config::Config meter_config(const std::string& extra = "") {
  return config::parse_config(R"(
mqtt: {base_topic: pi, qos: 1}
chips:
  main: {simulated: {lines: [A, B]}}
lines:
  meter:
    line: A
    mode: counter
    debounce: 10ms
    pulses_per_unit: 1000
    persist_every: 60s
)" + extra,
                              "test.yaml", "host");
}

class ABridgeWithACounter : public ::testing::Test {
 protected:
  void SetUp() override {
    store_.counts["meter"] = 1000;
    lines_.levels[kMeter] = true;  // an S0 idles high
    make(meter_config());
  }
  void make(config::Config config) {
    config_ = std::move(config);
    bridge_.emplace(config_, publisher_, lines_, nullptr, &store_);
    start(*bridge_, config_, lines_, MonoTime(0s));
    bridge_->on_connected(MonoTime(0ms));
  }
  void pulse(MonoTime at) {
    bridge_->on_edge(kMeter, edge(false, at));
    bridge_->on_edge(kMeter, edge(true, at + 30ms));
  }
  // Runs on_time() at `now`, as the service does at each deadline.
  void time(MonoTime now) { bridge_->on_time(now); }

  config::Config config_;
  config::Config next_;  // what a reload moves the bridge to
  RecordingPublisher publisher_;
  FakeLines lines_;
  RecordingCounterStore store_;
  std::optional<Bridge> bridge_;
};

TEST_F(ABridgeWithACounter, PublishesTheStoredCountRetainedOnConnect) {
  auto sent = publisher_.take();
  ASSERT_EQ(sent.size(), 4u);  // the status, then count, total and rate
  EXPECT_EQ(sent[1].topic, "pi/meter/count");
  EXPECT_EQ(sent[1].payload, "1000");
  EXPECT_TRUE(sent[1].retain);
  EXPECT_EQ(sent[2].topic, "pi/meter/total");
  EXPECT_EQ(sent[2].payload, "1");
  EXPECT_EQ(sent[3].topic, "pi/meter/rate");
  EXPECT_EQ(sent[3].payload, "0");
  EXPECT_TRUE(publisher_.payloads_on("pi/meter/state").empty());
}

TEST_F(ABridgeWithACounter, PublishesPulsesAtMostOncePerInterval) {
  publisher_.take();
  pulse(MonoTime(1s));
  pulse(MonoTime(1500ms));
  EXPECT_TRUE(publisher_.payloads_on("pi/meter/count").empty()) << "published from on_time() only";
  time(MonoTime(1500ms + 30ms));
  EXPECT_EQ(publisher_.payloads_on("pi/meter/count"), std::vector<std::string>{"1002"});
  EXPECT_EQ(publisher_.payloads_on("pi/meter/rate"), std::vector<std::string>{"7.2"});  // 0.5 s per Wh
  pulse(MonoTime(2s));
  time(MonoTime(2100ms));
  EXPECT_EQ(publisher_.payloads_on("pi/meter/count").size(), 1u);
  EXPECT_EQ(bridge_->next_deadline(), MonoTime(1500ms + 30ms + 1s));
  time(MonoTime(3s));
  EXPECT_EQ(publisher_.payloads_on("pi/meter/count"), (std::vector<std::string>{"1002", "1003"}));
}

TEST_F(ABridgeWithACounter, StoresAtMostOncePerPersistEveryAndAtAStop) {
  pulse(MonoTime(1s));
  time(MonoTime(1100ms));
  ASSERT_EQ(store_.saves.size(), 1u);
  pulse(MonoTime(2s));
  time(MonoTime(2100ms));
  EXPECT_EQ(store_.saves.size(), 1u);
  time(MonoTime(61100ms));
  ASSERT_EQ(store_.saves.size(), 2u);
  EXPECT_EQ(store_.saves.back().second, 1002u);
  pulse(MonoTime(62s));
  publisher_.take();
  bridge_->on_stop(MonoTime(62100ms));
  EXPECT_EQ(store_.counts["meter"], 1003u);
  EXPECT_EQ(publisher_.payloads_on("pi/meter/count"), std::vector<std::string>{"1003"});
}

TEST_F(ABridgeWithACounter, SetsTheTotalFromACommandStoresAndPublishesIt) {
  publisher_.take();
  bridge_->on_message("pi/meter/set", "12345.678", false, MonoTime(1s));
  EXPECT_EQ(store_.counts["meter"], 12345678u);
  EXPECT_EQ(publisher_.payloads_on("pi/meter/total"), std::vector<std::string>{"12345.678"});
  bridge_->on_message("pi/meter/set", "reset", false, MonoTime(2s));
  EXPECT_EQ(store_.counts["meter"], 0u);
  EXPECT_EQ(bridge_->counters().commands_applied, 2u);
}

TEST_F(ABridgeWithACounter, RefusesOtherCommandsAndRetainedOnes) {
  publisher_.take();
  bridge_->on_message("pi/meter/set", "ON", false, MonoTime(1s));
  bridge_->on_message("pi/meter/set", "5", true, MonoTime(1s));
  EXPECT_EQ(bridge_->counters().commands_rejected, 2u);
  EXPECT_TRUE(store_.saves.empty());
  EXPECT_EQ(bridge_->counter_reading(kMeter)->count, 1000u);
}

TEST_F(ABridgeWithACounter, KeepsTheCountOverAReloadThatChangesItsSettings) {
  pulse(MonoTime(1s));
  pulse(MonoTime(2s));
  time(MonoTime(2100ms));
  next_ = meter_config("    unit: m³\n");
  next_.lines[0].counter.pulses_per_unit = 100;
  reload(*bridge_, config_, next_, lines_, MonoTime(2200ms));
  EXPECT_EQ(bridge_->counter_reading(kMeter)->count, 1002u);
  EXPECT_DOUBLE_EQ(bridge_->counter_reading(kMeter)->total, 10.02);
}

TEST_F(ABridgeWithACounter, StoresACounterThatAReloadRemoves) {
  pulse(MonoTime(1s));
  time(MonoTime(1100ms));
  pulse(MonoTime(2s));
  next_ = config::parse_config(
      "mqtt: {base_topic: pi}\nchips: {main: {simulated: {lines: [A, B]}}}\nlines: {door: {line: B}}\n", "t.yaml",
      "host");
  reload(*bridge_, config_, next_, lines_, MonoTime(2100ms));
  EXPECT_EQ(store_.counts["meter"], 1002u);
}

TEST_F(ABridgeWithACounter, DoesNotCountALevelChangeItDidNotSeeAsAnEdge) {
  lines_.levels[kMeter] = false;
  bridge_->resync_inputs();
  time(MonoTime(5s));
  EXPECT_EQ(bridge_->counter_reading(kMeter)->count, 1000u);
}

}  // namespace
}  // namespace gpio2mqtt::bridge

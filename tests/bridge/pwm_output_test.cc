// A dimmable output end to end in pure logic: commands on its set topic, the state it publishes,
// the duties and line levels it drives over time, the levels it starts at and falls to, and what
// it keeps for the next run.
#include "gpio2mqtt/bridge/pwm_output.h"

#include <gtest/gtest.h>

#include <map>

#include "fakes.h"

namespace gpio2mqtt::bridge {
namespace {

using namespace std::chrono_literals;
constexpr MonoTime kStart = MonoTime(1000s);

class RecordingDrive : public PwmDrive {
 public:
  std::vector<double> duties;
  std::vector<bool> lines;
  void set_duty(double duty) override { duties.push_back(duty); }
  void set_line(bool on) override { lines.push_back(on); }
};

class MemoryMap : public PwmMemoryStore {
 public:
  std::map<std::string, DimmerMemory> kept;
  std::optional<DimmerMemory> load(const std::string& name) override {
    auto it = kept.find(name);
    return it == kept.end() ? std::nullopt : std::optional(it->second);
  }
  void save(const std::string& name, const DimmerMemory& memory) override { kept[name] = memory; }
};

class APwmOutput : public ::testing::Test {
 protected:
  APwmOutput() {
    lamp_.name = "lamp";
    lamp_.pwm_chip = "pwm-sim";
    heater_.name = "heater";
    heater_.kind = config::PwmOutputConfig::Kind::kSoftware;
    heater_.line = "GPIO17";
    heater_.period = 1s;
  }
  PwmOutput make(const config::PwmOutputConfig& config, MonoTime now = kStart) {
    return PwmOutput(config, mqtt_, drive_, &memory_, publisher_, now);
  }
  config::MqttConfig mqtt_;
  config::PwmOutputConfig lamp_, heater_;
  RecordingDrive drive_;
  MemoryMap memory_;
  RecordingPublisher publisher_;
};

TEST_F(APwmOutput, StartsOffAndTakesHomeAssistantsLightCommands) {
  PwmOutput lamp = make(lamp_);
  EXPECT_EQ(drive_.duties, (std::vector<double>{0}));
  EXPECT_TRUE(lamp.on_message("raspberry/lamp/set", R"({"state":"ON","brightness":255})", false, kStart));
  EXPECT_EQ(drive_.duties, (std::vector<double>{0, 1}));
  EXPECT_EQ(publisher_.sent.back(),
            (Message{"raspberry/lamp/state", R"({"state":"ON","brightness":255,"percentage":100})", 1, true}));
  EXPECT_FALSE(lamp.on_message("raspberry/relay/set", "ON", false, kStart));
}

TEST_F(APwmOutput, FadesAtTheTimesItAsksFor) {
  lamp_.transition = 100ms;
  PwmOutput lamp = make(lamp_);
  lamp.on_message("raspberry/lamp/set", "100", false, kStart);
  MonoTime now = kStart;
  while (auto next = lamp.next_deadline()) lamp.on_time(now = *next);
  EXPECT_EQ(now, kStart + 100ms);
  EXPECT_EQ(drive_.duties, (std::vector<double>{0, 0.2, 0.4, 0.6, 0.8, 1}));
  // The state says where it is going, once, at the start.
  EXPECT_EQ(publisher_.payloads_on("raspberry/lamp/state").size(), 1u);
}

TEST_F(APwmOutput, SwitchesASoftwarePwmLineOverEachPeriod) {
  PwmOutput heater = make(heater_);
  EXPECT_EQ(heater.next_deadline(), std::nullopt);  // held off: nothing to switch
  heater.on_message("raspberry/heater/set", "25", false, kStart);
  EXPECT_EQ(heater.next_deadline(), kStart + 250ms);
  heater.on_time(kStart + 250ms);
  heater.on_time(kStart + 1s);
  EXPECT_EQ(drive_.lines, (std::vector<bool>{false, true, false, true}));
  heater.on_message("raspberry/heater/set", "OFF", false, kStart + 1100ms);
  EXPECT_EQ(drive_.lines.back(), false);
  EXPECT_EQ(heater.next_deadline(), std::nullopt);
}

TEST_F(APwmOutput, RefusesRetainedAndMalformedCommands) {
  PwmOutput lamp = make(lamp_);
  lamp.on_message("raspberry/lamp/set", "ON", true, kStart);
  lamp.on_message("raspberry/lamp/set", "bright", false, kStart);
  EXPECT_EQ(lamp.commands_rejected(), 2u);
  EXPECT_EQ(lamp.commands_applied(), 0u);
  EXPECT_EQ(drive_.duties.size(), 1u);
}

TEST_F(APwmOutput, RemembersItsLevelForTheNextRun) {
  {
    PwmOutput lamp = make(lamp_);
    lamp.on_message("raspberry/lamp/set", "40", false, kStart);
    lamp.on_message("raspberry/lamp/set", "OFF", false, kStart + 1s);
  }
  EXPECT_EQ(memory_.kept["lamp"], (DimmerMemory{false, 400}));
  PwmOutput again = make(lamp_, kStart + 10s);
  again.on_message("raspberry/lamp/set", "ON", false, kStart + 11s);
  EXPECT_DOUBLE_EQ(drive_.duties.back(), 0.4);
}

TEST_F(APwmOutput, RestoresOnAndItsLevelWithInitialRestore) {
  memory_.kept["lamp"] = {true, 700};
  lamp_.initial = {config::PwmLevel::Kind::kRestore, 0};
  PwmOutput lamp = make(lamp_);
  EXPECT_DOUBLE_EQ(drive_.duties.back(), 0.7);
  lamp.on_connected();
  EXPECT_EQ(publisher_.payloads_on("raspberry/lamp/state").back(),
            R"({"state":"ON","brightness":179,"percentage":70})");
  memory_.kept["lamp"] = {false, 700};
  make(lamp_);
  EXPECT_DOUBLE_EQ(drive_.duties.back(), 0);
}

TEST_F(APwmOutput, FallsToItsOnDisconnectLevelAtOnce) {
  lamp_.transition = 5s;
  lamp_.on_disconnect = {config::PwmLevel::Kind::kLevel, 100};
  PwmOutput lamp = make(lamp_);
  lamp.on_message("raspberry/lamp/set", "ON", false, kStart);
  lamp.on_disconnected(kStart + 1s);
  EXPECT_DOUBLE_EQ(drive_.duties.back(), 0.1);
  EXPECT_EQ(lamp.next_deadline(), std::nullopt);
  EXPECT_EQ(memory_.kept["lamp"], (DimmerMemory{true, kFullLevel}));  // a plain ON still brings full back
}

TEST_F(APwmOutput, AnswersGetWithItsState) {
  PwmOutput lamp = make(lamp_);
  EXPECT_TRUE(lamp.on_message("raspberry/lamp/get", "", false, kStart));
  EXPECT_EQ(publisher_.payloads_on("raspberry/lamp/state"),
            (std::vector<std::string>{R"({"state":"OFF","brightness":0,"percentage":0})"}));
}

}  // namespace
}  // namespace gpio2mqtt::bridge

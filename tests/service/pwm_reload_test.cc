// Reloading the `pwm:` section: unchanged outputs run on (level, fade, channel exported), changed
// ones go on at their level with their new settings, removed ones go off and unexported with their
// retained state cleared, new ones open; a reload that fails changes no output. Hardware channels
// are recorded by a fake pwm::ChipProvider, software PWM lines on a simulated chip.
#include <gtest/gtest.h>

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "gpio2mqtt/pwm/pwm.h"
#include "service_fixture.h"

namespace gpio2mqtt::service {
namespace {

using namespace std::chrono_literals;

constexpr unsigned kGpio17 = 0, kGpio27 = 2, kGpio5 = 3;  // offsets on the chip below

// One PWM chip, "pwm-test", of two channels: what each channel was set to, how often it was opened
// and whether it is exported now.
class RecordingPwmChips : public pwm::ChipProvider {
 public:
  struct Record {
    std::vector<pwm::State> applied;
    int opened = 0;
    bool exported = false;
  };
  std::vector<pwm::ChipInfo> chips() override { return {{"pwmchip0", "pwm-test", "", 2}}; }
  std::unique_ptr<pwm::Channel> open(const std::string& name, unsigned channel) override {
    pwm::find_chip(chips(), name);  // NotFound, naming what there is
    if (channel >= 2) throw pwm::NotFound("no channel " + std::to_string(channel));
    Record& record = records[channel];
    if (record.exported) throw pwm::Refused("channel " + std::to_string(channel) + " is exported already");
    ++record.opened;
    record.exported = true;
    return std::make_unique<RecordedChannel>(record);
  }
  // The duty last set on `channel`, as a fraction of the period.
  double duty(unsigned channel) {
    const auto& state = records[channel].applied.back();
    return static_cast<double>(state.duty_ns) / static_cast<double>(state.period_ns);
  }

  std::map<unsigned, Record> records;

 private:
  class RecordedChannel : public pwm::Channel {
   public:
    explicit RecordedChannel(Record& record) : record_(record) {}
    ~RecordedChannel() override { record_.exported = false; }
    void apply(const pwm::State& state) override {
      state_ = state;
      record_.applied.push_back(state);
    }
    const pwm::State& state() const override { return state_; }
    std::string describe() const override { return "pwmchip0"; }

   private:
    Record& record_;
    pwm::State state_;
  };
};

const std::string kHead = R"(mqtt:
  server: mqtt://127.0.0.1:1883
  client_id: inproc
  base_topic: pi
dbus: off
chips:
  main: {path: /dev/gpiochip-pwm}
lines:
  relay: {chip: main, line: GPIO17, direction: output}
)";
const std::string kLamp = "  lamp: {pwm_chip: pwm-test, channel: 0, frequency: 1kHz}\n";
const std::string kHeater = "  heater: {line: GPIO27, period: 1s}\n";

class APwmReload : public InProcessService {
 protected:
  APwmReload() : InProcessService("gpiochip-pwm", {"GPIO17", "GPIO22", "GPIO27", "GPIO5"}, {}, Time::kManual) {}

  void SetUp() override {
    InProcessService::SetUp();
    pwm_chips_ = &recorded_;
    make(kHead + "pwm:\n" + kLamp + kHeater);
    service_->start();
    settle();
    connect();
    command("lamp", "40");
    command("heater", "30");
    ASSERT_NEAR(recorded_.duty(0), 0.4, 1e-9);
    from_ = client().published.size();
  }
  // A reload that works. The outputs it makes are driven at the loop's next turn (the service
  // arms its timer for them once the reload is done): the loop is settled twice.
  void reload() {
    ASSERT_FALSE(service_->reload());
    settle();
    settle();
  }
  void command(const std::string& name, const std::string& payload) {
    client().deliver("pi/" + name + "/set", payload);
    settle();
  }
  // The milliseconds the heater's line was on in the next second, sampled every 10 ms.
  int heater_on_ms(unsigned offset = kGpio27) {
    int on = 0;
    for (int i = 0; i < 100; ++i) {
      advance(10ms);
      on += chip_.physical_level(offset) ? 10 : 0;
    }
    return on;
  }
  std::vector<std::string> states(const std::string& name) {
    return client().payloads_on("pi/" + name + "/state", from_);
  }

  RecordingPwmChips recorded_;
  std::size_t from_ = 0;
};

TEST_F(APwmReload, KeepsUnchangedOutputsRunningWhereTheirLinesMoved) {
  ASSERT_EQ(heater_on_ms(), 300);
  std::size_t writes = recorded_.records[0].applied.size();
  // A line in front of them: the heater's line moves in the LineSet's requests.
  next_config_ = kHead + "  bell: {chip: main, line: GPIO5, direction: output}\npwm:\n" + kLamp + kHeater;
  ASSERT_NO_FATAL_FAILURE(reload());
  EXPECT_EQ(recorded_.records[0].opened, 1);  // kept exported, never opened again
  EXPECT_TRUE(recorded_.records[0].exported);
  EXPECT_EQ(recorded_.records[0].applied.size(), writes);  // not even written
  EXPECT_EQ(heater_on_ms(), 300);
  EXPECT_FALSE(chip_.physical_level(kGpio5));
  // The bridge makes its devices anew and publishes their states: the same level.
  EXPECT_EQ(states("lamp"), std::vector<std::string>{R"({"state":"ON","brightness":102,"percentage":40})"});
  command("bell", "ON");
  EXPECT_TRUE(chip_.physical_level(kGpio5));
  EXPECT_EQ(heater_on_ms(), 300);
  EXPECT_EQ(service_->get_pwm("heater").index(), 0u);
}

TEST_F(APwmReload, KeepsAFadeGoingThroughAReload) {
  command("lamp", R"({"state":"ON","brightness":255,"transition":2})");
  advance(1s);
  double halfway = recorded_.duty(0);
  EXPECT_GT(halfway, 0.6);
  EXPECT_LT(halfway, 0.8);
  next_config_ = kHead + "  bell: {chip: main, line: GPIO5}\npwm:\n" + kLamp + kHeater;
  ASSERT_NO_FATAL_FAILURE(reload());
  EXPECT_NEAR(recorded_.duty(0), halfway, 1e-9);
  advance(1100ms);
  EXPECT_NEAR(recorded_.duty(0), 1.0, 1e-9);
}

TEST_F(APwmReload, GoesOnAtTheSameLevelWithChangedSettingsOnTheSameChannelAndLine) {
  next_config_ = kHead + "pwm:\n  lamp: {pwm_chip: pwm-test, channel: 0, frequency: 1kHz, max: 50}\n" +
                 "  heater: {line: GPIO27, period: 500ms}\n";
  ASSERT_NO_FATAL_FAILURE(reload());
  EXPECT_EQ(recorded_.records[0].opened, 1);  // handed over, not unexported and exported again
  EXPECT_NEAR(recorded_.duty(0), 0.2, 1e-9);  // 40 % of a maximum duty of 50 %
  EXPECT_EQ(service_->get_pwm("lamp").index(), 0u);
  EXPECT_EQ(std::get<dbus::PwmView>(service_->get_pwm("lamp")).percent, 40.0);
  EXPECT_EQ(std::get<dbus::PwmView>(service_->get_pwm("heater")).percent, 30.0);
  // Their states again, as for a line whose settings changed: the same levels.
  EXPECT_EQ(states("lamp"), std::vector<std::string>{R"({"state":"ON","brightness":102,"percentage":40})"});
  EXPECT_EQ(heater_on_ms(), 300);  // 30 % at two periods of 500 ms
}

TEST_F(APwmReload, SwitchesOffAndUnexportsRemovedOutputsAndClearsTheirState) {
  command("heater", "100");
  ASSERT_TRUE(chip_.physical_level(kGpio27));
  next_config_ = kHead;
  ASSERT_NO_FATAL_FAILURE(reload());
  EXPECT_NEAR(recorded_.duty(0), 0.0, 1e-9);  // off before the unexport: the kernel keeps the last duty
  EXPECT_FALSE(recorded_.records[0].exported);
  EXPECT_FALSE(chip_.physical_level(kGpio27));
  EXPECT_EQ(states("lamp"), std::vector<std::string>{""});
  EXPECT_EQ(states("heater"), (std::vector<std::string>{R"({"state":"ON","brightness":255,"percentage":100})", ""}));
  EXPECT_EQ(service_->get_pwm("lamp").index(), 1u);
  // The line is free for a configured output now.
  next_config_ = kHead + "  spare: {chip: main, line: GPIO27, direction: output}\n";
  ASSERT_NO_FATAL_FAILURE(reload());
  command("spare", "ON");
  EXPECT_TRUE(chip_.physical_level(kGpio27));
  EXPECT_EQ(service_->counters().commands_applied, 4u);  // the removed outputs' commands still count
}

TEST_F(APwmReload, OpensNewOutputsAtTheirInitialLevel) {
  next_config_ = kHead + "pwm:\n" + kLamp + kHeater +
                 "  fan: {pwm_chip: pwm-test, channel: 1, frequency: 1kHz, initial: 60}\n"
                 "  valve: {line: GPIO5, period: 1s, initial: on}\n";
  ASSERT_NO_FATAL_FAILURE(reload());
  EXPECT_TRUE(recorded_.records[1].exported);
  EXPECT_NEAR(recorded_.duty(1), 0.6, 1e-9);
  EXPECT_TRUE(chip_.physical_level(kGpio5));
  command("valve", "50");
  EXPECT_EQ(heater_on_ms(kGpio5), 500);
  EXPECT_EQ(states("fan"), std::vector<std::string>{R"({"state":"ON","brightness":153,"percentage":60})"});
}

TEST_F(APwmReload, ThatOpensAMissingChipFailsChangingNoOutput) {
  command("heater", "100");
  std::size_t writes = recorded_.records[0].applied.size();
  // A new output on a channel that opens, one on a chip that is not there, the heater removed.
  next_config_ = kHead + "pwm:\n" + kLamp + "  fan: {pwm_chip: pwm-test, channel: 1}\n" +
                 "  spot: {pwm_chip: no-such.pwm, channel: 0}\n";
  auto error = service_->reload();
  settle();
  ASSERT_TRUE(error);
  EXPECT_NE(error->message.find("pwm 'spot': no PWM chip 'no-such.pwm'"), std::string::npos) << error->message;
  EXPECT_TRUE(chip_.physical_level(kGpio27));
  EXPECT_EQ(recorded_.records[0].applied.size(), writes);
  EXPECT_FALSE(recorded_.records[1].exported);  // opened for the reload, closed with it
  EXPECT_EQ(service_->get_pwm("fan").index(), 1u);
  EXPECT_EQ(client().payloads_on("pi/heater/state", from_).size(), 1u);  // the 100 only
  command("heater", "30");
  EXPECT_EQ(heater_on_ms(), 300);
}

TEST_F(APwmReload, ThatFailsOnABusyLineLeavesARemovedSoftwareOutputAtItsLevel) {
  command("heater", "100");
  gpio::LineSettings held;
  held.offset = kGpio5;
  auto other_program = chip_.request("another-program", {held});
  next_config_ = kHead + "  bell: {chip: main, line: GPIO5}\npwm:\n" + kLamp;
  ASSERT_TRUE(service_->reload());
  settle();
  EXPECT_TRUE(chip_.physical_level(kGpio27));  // off for the attempt, on again after it
  advance(2s);
  EXPECT_TRUE(chip_.physical_level(kGpio27));
  EXPECT_TRUE(recorded_.records[0].exported);
}

}  // namespace
}  // namespace gpio2mqtt::service

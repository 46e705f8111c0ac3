// The Bridge's routing to devices (bridge/device.h), on a recording device: commands and gets on
// its topics (retained ones refused), time and deadlines, the broker's loss, the stop, a claimed
// input's debounced changes, a binding's action, its state at connect, and a reload's retire.
#include <gtest/gtest.h>

#include "fakes.h"
#include "gpio2mqtt/bridge/bridge.h"
#include "gpio2mqtt/config/loader.h"

namespace gpio2mqtt::bridge {
namespace {

using namespace std::chrono_literals;

MonoTime at(Nanos t) { return MonoTime(t); }

constexpr std::size_t kWall = 0, kEndStop = 1;

class RecordingDevice : public Device {
 public:
  // Logs into `log`, which outlives it (a reload destroys it).
  RecordingDevice(std::string name, std::vector<std::size_t> lines, std::vector<std::string>& into)
      : log(into), name_(std::move(name)), lines_(std::move(lines)) {}
  const std::string& name() const override { return name_; }
  bool takes_commands() const override { return true; }
  std::vector<std::size_t> lines() const override { return lines_; }
  Refusal check_command(std::string_view payload) const override {
    if (payload == "GO") return std::nullopt;
    return "not GO";
  }
  void on_command(std::string_view payload, MonoTime now) override { log.push_back(std::string(payload) + at_(now)); }
  void publish_state(MonoTime now) override { log.push_back("state" + at_(now)); }
  void start(MonoTime now) override { log.push_back("start" + at_(now)); }
  void on_line_edge(std::size_t line, bool level, MonoTime when) override {
    log.push_back("edge " + std::to_string(line) + (level ? " on" : " off") + at_(when));
  }
  std::string act(const Action& action, MonoTime now) override {
    log.push_back("act " + action.verb + at_(now));
    return {};
  }
  void on_time(MonoTime now) override {
    if (due && now >= *due) {
      due.reset();
      log.push_back("time" + at_(now));
    }
  }
  std::optional<MonoTime> deadline() const override { return due; }
  void on_disconnected(MonoTime now) override { log.push_back("disconnected" + at_(now)); }
  void on_stop(MonoTime now) override { log.push_back("stop" + at_(now)); }
  void retire(MonoTime now) override { log.push_back("retire" + at_(now)); }

  std::vector<std::string>& log;
  std::optional<MonoTime> due;

 private:
  static std::string at_(MonoTime t) {
    return " @" + std::to_string(std::chrono::duration_cast<std::chrono::milliseconds>(t.time_since_epoch()).count());
  }
  std::string name_;
  std::vector<std::size_t> lines_;
};

class ABridgeWithADevice : public ::testing::Test {
 protected:
  void SetUp() override {
    config_ = config::parse_config(R"(
mqtt: {base_topic: pi}
chips:
  main: {simulated: {lines: [A, B]}}
lines:
  wall: {line: A, mode: button, button: {window: 300ms}}
  stop: {line: B, debounce: 10ms}
)",
                                   "t.yaml", "h");
    config::BindingConfig binding;
    binding.name = "wall_gate";
    binding.trigger = "wall";
    binding.on = config::BindingConfig::On::kGesture;
    binding.target = "gate";
    binding.action = "open";
    config_.bindings.push_back(binding);
    bridge_.emplace(config_, publisher_, lines_);
    auto made = std::make_unique<RecordingDevice>("gate", std::vector<std::size_t>{kEndStop}, log_);
    device_ = made.get();
    bridge_->add_device(std::move(made));
    start(*bridge_, config_, lines_, at(0s));
    bridge_->on_connected(at(0s));
    publisher_.take();
  }

  config::Config config_;
  config::Config next_;
  RecordingPublisher publisher_;
  FakeLines lines_;
  std::optional<Bridge> bridge_;
  std::vector<std::string> log_;
  RecordingDevice* device_ = nullptr;
  std::vector<std::string> take() { return std::exchange(log_, {}); }
};

TEST_F(ABridgeWithADevice, StartsItAfterTheLinesAndPublishesItsStateAtConnect) {
  EXPECT_EQ(take(), (std::vector<std::string>{"start @0", "state @0"}));
  EXPECT_EQ(bridge_->device("gate"), device_);
  EXPECT_EQ(bridge_->device("wall"), nullptr);
}

TEST_F(ABridgeWithADevice, HandsItCommandsOnItsSetTopicAndRefusesRetainedAndMalformedOnes) {
  take();
  bridge_->on_message("pi/gate/set", "GO", false, at(1s));
  bridge_->on_message("pi/gate/set", "GO", true, at(2s));
  bridge_->on_message("pi/gate/set", "NO", false, at(3s));
  bridge_->on_message("pi/gate/get", "", false, at(4s));
  EXPECT_EQ(take(), (std::vector<std::string>{"GO @1000", "state @4000"}));
  EXPECT_EQ(bridge_->counters().commands_rejected, 2u);
}

TEST_F(ABridgeWithADevice, RunsItsDeadlinesThroughTheBridgesTimer) {
  take();
  device_->due = at(5s);
  EXPECT_EQ(bridge_->next_deadline(), at(5s));
  bridge_->on_time(at(4s));
  bridge_->on_time(at(5s));
  EXPECT_EQ(take(), std::vector<std::string>{"time @5000"});
  EXPECT_EQ(bridge_->next_deadline(), std::nullopt);
}

TEST_F(ABridgeWithADevice, HearsTheDebouncedChangesOfTheInputsItClaims) {
  take();
  bridge_->on_edge(kEndStop, edge(true, at(1s)));
  bridge_->on_edge(kEndStop, edge(false, at(1s + 2ms)));  // a bounce
  bridge_->on_edge(kEndStop, edge(true, at(1s + 4ms)));
  bridge_->on_time(at(1s + 20ms));
  EXPECT_EQ(take(), std::vector<std::string>{"edge 1 on @1000"});
}

TEST_F(ABridgeWithADevice, TakesABindingsActionWithoutTheBroker) {
  bridge_->on_disconnected(at(1s));
  take();
  bridge_->on_edge(kWall, edge(true, at(2s)));
  bridge_->on_edge(kWall, edge(false, at(2s + 100ms)));
  bridge_->on_time(at(2s + 500ms));
  EXPECT_EQ(take(), std::vector<std::string>{"act open @2500"});
}

TEST_F(ABridgeWithADevice, TellsItOfTheBrokersLossAndOfTheStop) {
  take();
  bridge_->on_disconnected(at(1s));
  bridge_->on_connected(at(2s));
  bridge_->on_stop(at(3s));
  EXPECT_EQ(take(),
            (std::vector<std::string>{"disconnected @1000", "state @2000", "disconnected @3000", "stop @3000"}));
}

TEST_F(ABridgeWithADevice, RetiresItAtAReloadThatMakesTheConfigsDevicesAnew) {
  take();
  next_ = config_;
  reload(*bridge_, config_, next_, lines_, at(1s));
  EXPECT_EQ(take(), std::vector<std::string>{"retire @1000"});
  EXPECT_TRUE(bridge_->devices().empty());  // the registry makes none of this kind
}

}  // namespace
}  // namespace gpio2mqtt::bridge

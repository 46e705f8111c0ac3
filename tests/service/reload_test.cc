// Reloads that fail change no output: everything that can fail (parsing, opening chips,
// requesting lines) comes before the bridge switches anything, and the old config goes on serving.
#include <gtest/gtest.h>

#include "payloads.h"
#include "service_fixture.h"

namespace gpio2mqtt::service {
namespace {

using namespace std::chrono_literals;

constexpr unsigned kGpio17 = 0, kGpio27 = 2, kGpio5 = 3;  // offsets on the chip below

const std::string kTwoOutputs = R"(lines:
  relay: {chip: main, line: GPIO27, direction: output}
  lamp: {chip: main, line: GPIO17, direction: output}
)";
// Both outputs in one interlock group now: were this applied, one of them would go off.
const std::string kInterlocked = R"(interlocks:
  - lines: [relay, lamp]
    dead_time: 100ms
)";

class AFailingReload : public InProcessService {
 protected:
  AFailingReload() : InProcessService(kChip, {"GPIO17", "GPIO22", "GPIO27", "GPIO5"}, {}, Time::kManual) {}

  void SetUp() override {
    InProcessService::SetUp();
    make(kMqtt + kTwoOutputs);
    service_->start();
    settle();
    client().complete_connect();
    settle();
    client().deliver("pi/relay/set", "ON");
    client().deliver("pi/lamp/set", "ON");
    settle();
    ASSERT_TRUE(chip_.physical_level(kGpio27));
    ASSERT_TRUE(chip_.physical_level(kGpio17));
    from_ = client().published.size();
  }
  // The reload fails, says why, and leaves both outputs on with no state published.
  void expect_refused(const std::string& why) {
    auto error = service_->reload();
    settle();
    ASSERT_TRUE(error);
    EXPECT_NE(error->message.find(why), std::string::npos) << error->message;
    EXPECT_TRUE(chip_.physical_level(kGpio27));
    EXPECT_TRUE(chip_.physical_level(kGpio17));
    EXPECT_EQ(client().payloads_on("pi/relay/state", from_), std::vector<std::string>{});
    EXPECT_EQ(client().payloads_on("pi/lamp/state", from_), std::vector<std::string>{});
    EXPECT_EQ(service_->get_line("relay"), true);
    EXPECT_EQ(service_->get_line("bell"), std::nullopt);
  }
  // The old config still serves: its lines take commands, without an interlock.
  void expect_old_config_serving() {
    client().deliver("pi/relay/set", "OFF");
    settle();
    EXPECT_FALSE(chip_.physical_level(kGpio27));
    EXPECT_TRUE(chip_.physical_level(kGpio17));
    client().deliver("pi/relay/set", "ON");
    settle();
    EXPECT_TRUE(chip_.physical_level(kGpio27));
    EXPECT_TRUE(chip_.physical_level(kGpio17));
  }

  // GPIO5 held by another program, and a reload that adds it and interlocks both outputs.
  std::unique_ptr<gpio::LineRequest> hold_gpio5_and_plan_to_add_it() {
    gpio::LineSettings held;
    held.offset = kGpio5;
    next_config_ = kMqtt + kTwoOutputs + "  bell: {chip: main, line: GPIO5}\n" + kInterlocked;
    return chip_.request("another-program", {held});
  }

  std::size_t from_ = 0;
};

TEST_F(AFailingReload, WhoseNewLineIsBusyChangesNoOutput) {
  auto other_program = hold_gpio5_and_plan_to_add_it();
  expect_refused("busy");
  expect_old_config_serving();
}

TEST_F(AFailingReload, WhoseNewChipIsGoneChangesNoOutput) {
  chips_.add("gpiochip-gone", {"GPIO6"});
  chips_.unplug("gpiochip-gone");
  next_config_ = kMqtt + "  spare: {path: /dev/gpiochip-gone}\n" + kTwoOutputs +
                 "  bell: {chip: spare, line: GPIO6}\n" + kInterlocked;
  expect_refused("gpiochip-gone");
  expect_old_config_serving();
}

TEST_F(AFailingReload, IsFollowedByOneThatWorksAsIfNothingHadHappened) {
  {
    auto other_program = hold_gpio5_and_plan_to_add_it();
    expect_refused("busy");
  }
  EXPECT_FALSE(service_->reload());  // the line is free now: the plan applies
  settle();
  EXPECT_FALSE(chip_.physical_level(kGpio27));  // a group must not have two on: both go off
  EXPECT_FALSE(chip_.physical_level(kGpio17));
  EXPECT_EQ(service_->last_error(), "");
}

}  // namespace
}  // namespace gpio2mqtt::service

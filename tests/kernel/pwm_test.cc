// The daemon's sysfs PWM path against the kernel's real PWM core, with pwm-sim.ko
// (tests/kernel/vm/pwm-sim.c) loaded in the test VM: export, the order of writes the core
// accepts, a period the chip refuses, a polarity it changes only while off, a missing chip.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>

#include "pwm/sysfs_pwm.h"
#include "pwm_sim.h"
#include "util/unique_fd.h"

namespace gpio2mqtt::pwm {
namespace {

using kernel_test::PwmSimModule;

std::string chip_reports(unsigned channel) { return PwmSimModule::reports(channel); }

class APwmSimChip : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!module_.why().empty()) GTEST_SKIP() << module_.why();
    ASSERT_EQ(module_.load_error(), "");
  }
  void TearDown() override { EXPECT_TRUE(module_.unload()) << std::strerror(errno); }
  std::string channel_dir(unsigned channel) {
    auto chip = find_chip(pwm_.chips(), "pwm-sim");
    return "/sys/class/pwm/" + chip.sysfs_name + "/pwm" + std::to_string(channel);
  }

  PwmSimModule module_;
  SysfsPwm pwm_;
};

TEST_F(APwmSimChip, IsFoundByItsDeviceAndExportedForTheDaemon) {
  auto chips = pwm_.chips();
  const ChipInfo chip = find_chip(chips, "pwm-sim");  // a copy: GCC 14 takes the name for a dangling temporary
  EXPECT_EQ(chip.channels, 2u);
  EXPECT_FALSE(std::filesystem::exists(channel_dir(1)));
  auto channel = pwm_.open("pwm-sim", 1);
  EXPECT_TRUE(std::filesystem::exists(channel_dir(1)));
  EXPECT_EQ(channel->describe(), chip.sysfs_name + " (pwm-sim) channel 1");
  channel.reset();
  EXPECT_FALSE(std::filesystem::exists(channel_dir(1))) << "not unexported";
}

TEST_F(APwmSimChip, TakesAFreshChannelsPeriodDutyAndEnable) {
  auto channel = pwm_.open("pwm-sim", 0);
  channel->apply({1'000'000, 300'000, Polarity::kNormal, true});
  EXPECT_EQ(chip_reports(0), "1000000 300000 normal 1");
  EXPECT_EQ(channel->state(), (State{1'000'000, 300'000, Polarity::kNormal, true}));
}

TEST_F(APwmSimChip, AcceptsAShorterPeriodThanTheDutyWasAndALongerDutyThanThePeriodWas) {
  auto channel = pwm_.open("pwm-sim", 0);
  channel->apply({1'000'000, 800'000, Polarity::kNormal, true});
  channel->apply({500'000, 250'000, Polarity::kNormal, true});
  EXPECT_EQ(chip_reports(0), "500000 250000 normal 1");
  channel->apply({2'000'000, 1'500'000, Polarity::kNormal, true});
  EXPECT_EQ(chip_reports(0), "2000000 1500000 normal 1");
}

// What the daemon's order of writes avoids: the kernel refuses them one at a time.
TEST_F(APwmSimChip, RefusesAPeriodShorterThanTheDutyAndAPolarityChangeWhileOn) {
  auto channel = pwm_.open("pwm-sim", 0);
  channel->apply({1'000'000, 800'000, Polarity::kNormal, true});
  auto write = [&](const std::string& attribute, const std::string& value) {
    UniqueFd out(::open((channel_dir(0) + "/" + attribute).c_str(), O_WRONLY | O_CLOEXEC));
    return out.valid() && ::write(out.get(), value.data(), value.size()) == static_cast<ssize_t>(value.size()) ? 0
                                                                                                               : errno;
  };
  EXPECT_EQ(write("period", "500000"), EINVAL);
  EXPECT_EQ(write("polarity", "inversed"), EBUSY);
  EXPECT_EQ(chip_reports(0), "1000000 800000 normal 1");
}

TEST_F(APwmSimChip, SaysWhichPeriodTheChipRefusedAndKeepsWhatItHad) {
  auto channel = pwm_.open("pwm-sim", 0);
  channel->apply({1'000'000, 500'000, Polarity::kNormal, true});
  try {
    channel->apply({500, 250, Polarity::kNormal, true});
    FAIL() << "a period of 500 ns was accepted";
  } catch (const Refused& e) {
    EXPECT_NE(std::string(e.what()).find("period 500 ns refused: Invalid argument"), std::string::npos) << e.what();
  }
  EXPECT_EQ(chip_reports(0), "1000000 250 normal 1");  // the duty went first, as it had to
  EXPECT_EQ(channel->state().period_ns, 1'000'000u);
}

TEST_F(APwmSimChip, ChangesThePolarityWhileTheChannelIsOff) {
  auto channel = pwm_.open("pwm-sim", 0);
  channel->apply({1'000'000, 100'000, Polarity::kNormal, true});
  channel->apply({1'000'000, 100'000, Polarity::kInversed, true});
  EXPECT_EQ(chip_reports(0), "1000000 100000 inversed 1");
}

TEST_F(APwmSimChip, KeepsTheLastStateWhenTheDaemonLetsGo) {
  auto channel = pwm_.open("pwm-sim", 0);
  channel->apply({1'000'000, 400'000, Polarity::kNormal, true});
  channel.reset();
  EXPECT_EQ(chip_reports(0), "1000000 400000 normal 1");
}

TEST_F(APwmSimChip, IsNotTakenForAChipNamedOtherwise) {
  try {
    pwm_.open("1f00098000.pwm", 0);
    FAIL() << "opened a chip that is not there";
  } catch (const NotFound& e) {
    EXPECT_NE(std::string(e.what()).find("(pwm-sim, 2 channels)"), std::string::npos) << e.what();
  }
  EXPECT_THROW(pwm_.open("pwm-sim", 2), NotFound);
}

}  // namespace
}  // namespace gpio2mqtt::pwm

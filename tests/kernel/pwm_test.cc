// The daemon's sysfs PWM path against the kernel's real PWM core, with pwm-sim.ko
// (tests/kernel/vm/pwm-sim.c) loaded in the test VM: export, the order of writes the core
// accepts, a period the chip refuses, a polarity it changes only while off, a missing chip.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "pwm/sysfs_pwm.h"
#include "util/unique_fd.h"

namespace gpio2mqtt::pwm {
namespace {

constexpr const char* kDevice = "/sys/devices/platform/pwm-sim";

std::string module_path() {
  const char* cache = std::getenv("GPIO2MQTT_VM_CACHE");
  return std::string(cache && *cache ? cache : "/var/cache/gpio2mqtt-vm") + "/out/pwm-sim.ko";
}

// What pwm-sim says channel `channel` is set to: "<period> <duty> <polarity> <enabled>".
std::string chip_reports(unsigned channel) {
  std::ifstream in(std::string(kDevice) + "/channels");
  std::string line;
  for (unsigned i = 0; i <= channel && std::getline(in, line); ++i) {
  }
  return line;
}

class APwmSimChip : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!std::getenv("VMRUN")) GTEST_SKIP() << "runs in the test VM (tests/kernel/run.sh)";
    UniqueFd module(::open(module_path().c_str(), O_RDONLY | O_CLOEXEC));
    if (!module.valid()) GTEST_SKIP() << module_path() << ": " << std::strerror(errno) << " (tests/kernel/vm/build.sh)";
    ASSERT_EQ(::syscall(SYS_finit_module, module.get(), "npwm=2 min_period_ns=1000", 0), 0)
        << "loading pwm-sim.ko: " << std::strerror(errno);
    loaded_ = true;
  }
  void TearDown() override {
    if (!loaded_) return;
    EXPECT_EQ(::syscall(SYS_delete_module, "pwm_sim", O_NONBLOCK), 0) << std::strerror(errno);
  }
  std::string channel_dir(unsigned channel) {
    auto chip = find_chip(pwm_.chips(), "pwm-sim");
    return "/sys/class/pwm/" + chip.sysfs_name + "/pwm" + std::to_string(channel);
  }

  bool loaded_ = false;
  SysfsPwm pwm_;
};

TEST_F(APwmSimChip, IsFoundByItsDeviceAndExportedForTheDaemon) {
  auto chips = pwm_.chips();
  const ChipInfo& chip = find_chip(chips, "pwm-sim");
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

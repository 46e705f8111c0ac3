// The sysfs PWM path against a file tree laid out as the kernel's ABI describes it
// (Documentation/ABI/testing/sysfs-class-pwm): chips found by their device, the order of writes
// (recorded with inotify), export and unexport. The real PWM core is tested in the VM
// (tests/kernel/pwm_test.cc).
#include "pwm/sysfs_pwm.h"

#include <gtest/gtest.h>
#include <sys/inotify.h>

#include <filesystem>
#include <fstream>
#include <thread>

#include "process.h"
#include "util/unique_fd.h"

namespace gpio2mqtt::pwm {
namespace {

namespace fs = std::filesystem;
using gpio2mqtt::testing::eventually;
using gpio2mqtt::testing::write_file;

std::string read_first_line(const std::string& path) {
  std::ifstream in(path);
  std::string line;
  std::getline(in, line);
  return line;
}

class ASysfsPwm : public ::testing::Test {
 protected:
  // A chip as the kernel shows it: /sys/class/pwm/pwmchipN is a link into /sys/devices, whose
  // `device` links to the parent device, whose `of_node` links into the device tree.
  void add_chip(const std::string& sysfs_name, const std::string& device, const std::string& node, unsigned npwm) {
    std::string device_dir = root_ + "/devices/platform/" + device;
    std::string chip_dir = device_dir + "/pwm/" + sysfs_name;
    fs::create_directories(chip_dir);
    fs::create_directories(root_ + "/class/pwm");
    fs::create_symlink(chip_dir, root_ + "/class/pwm/" + sysfs_name);
    fs::create_symlink("../../../" + device, chip_dir + "/device");
    if (!node.empty()) {
      fs::create_directories(root_ + "/firmware/devicetree/base" + node);
      fs::create_symlink(root_ + "/firmware/devicetree/base" + node, device_dir + "/of_node");
    }
    write_file(chip_dir + "/npwm", std::to_string(npwm) + "\n");
    write_file(chip_dir + "/export", "");
    write_file(chip_dir + "/unexport", "");
  }
  // What the kernel makes on export: a disabled channel with no period.
  void add_channel(const std::string& sysfs_name, unsigned channel, std::uint64_t period = 0, std::uint64_t duty = 0,
                   bool enabled = false) {
    std::string dir = channel_dir(sysfs_name, channel);
    fs::create_directories(dir);
    write_file(dir + "/period", std::to_string(period) + "\n");
    write_file(dir + "/duty_cycle", std::to_string(duty) + "\n");
    write_file(dir + "/polarity", "normal\n");
    write_file(dir + "/enable", enabled ? "1\n" : "0\n");
  }
  std::string channel_dir(const std::string& sysfs_name, unsigned channel) {
    return root_ + "/class/pwm/" + sysfs_name + "/pwm" + std::to_string(channel);
  }
  // The attributes of a channel in the order they were written from now on.
  class WriteOrder {
   public:
    explicit WriteOrder(const std::string& dir) : fd_(::inotify_init1(IN_NONBLOCK | IN_CLOEXEC)) {
      ::inotify_add_watch(fd_.get(), dir.c_str(), IN_MODIFY);
    }
    std::vector<std::string> written() {
      std::vector<std::string> names;
      alignas(inotify_event) char buffer[4096];
      for (ssize_t n; (n = ::read(fd_.get(), buffer, sizeof buffer)) > 0;)
        for (char* at = buffer; at < buffer + n;) {
          auto* event = reinterpret_cast<inotify_event*>(at);
          if (names.empty() || names.back() != event->name) names.push_back(event->name);
          at += sizeof(inotify_event) + event->len;
        }
      return names;
    }

   private:
    UniqueFd fd_;
  };

  // Why opening `name`'s channel failed; a test failure when it did not.
  std::string not_found(const std::string& name, unsigned channel) {
    try {
      pwm_.open(name, channel);
    } catch (const NotFound& e) {
      return e.what();
    }
    ADD_FAILURE() << "opened " << name << " channel " << channel;
    return "";
  }

  gpio2mqtt::testing::ScratchDirectory scratch_{"gpio2mqtt-pwm"};
  const std::string root_ = scratch_.path();
  SysfsPwm pwm_{root_, std::chrono::milliseconds(300)};
};

TEST_F(ASysfsPwm, ListsEachChipWithItsDeviceAndDeviceTreeNode) {
  add_chip("pwmchip10", "other.pwm", "", 1);
  add_chip("pwmchip2", "1f00098000.pwm", "/axi/pcie@120000/rp1/pwm@98000", 4);
  auto chips = pwm_.chips();
  ASSERT_EQ(chips.size(), 2u);
  EXPECT_EQ(chips[0].sysfs_name, "pwmchip2");
  EXPECT_EQ(chips[0].device, "1f00098000.pwm");
  EXPECT_EQ(chips[0].device_tree, "/axi/pcie@120000/rp1/pwm@98000");
  EXPECT_EQ(chips[0].channels, 4u);
  EXPECT_EQ(chips[1].sysfs_name, "pwmchip10");
  EXPECT_EQ(chips[1].device_tree, "");
}

TEST_F(ASysfsPwm, FindsAChipByItsDeviceItsNodeOrItsNumber) {
  add_chip("pwmchip2", "1f00098000.pwm", "/axi/pcie@120000/rp1/pwm@98000", 4);
  add_chip("pwmchip0", "fe20c000.pwm", "/soc/pwm@7e20c000", 2);
  auto chips = pwm_.chips();
  for (const char* name : {"1f00098000.pwm", "/axi/pcie@120000/rp1/pwm@98000", "pwm@98000", "pwmchip2"})
    EXPECT_EQ(find_chip(chips, name).sysfs_name, "pwmchip2") << name;
  EXPECT_EQ(find_chip(chips, "pwm@7e20c000").sysfs_name, "pwmchip0");
}

TEST_F(ASysfsPwm, NamesTheChipsThereWhenTheOneAskedForIsMissing) {
  add_chip("pwmchip0", "fe20c000.pwm", "/soc/pwm@7e20c000", 2);
  EXPECT_EQ(not_found("1f00098000.pwm", 0),
            "no PWM chip '1f00098000.pwm'; the PWM chips here: pwmchip0 (fe20c000.pwm, /soc/pwm@7e20c000, 2 "
            "channels)");
}

TEST_F(ASysfsPwm, SaysHowToGetAChipWhenThereIsNone) {
  EXPECT_NE(not_found("pwmchip0", 0).find("dtoverlay=pwm"), std::string::npos);
}

TEST_F(ASysfsPwm, RefusesAChannelTheChipDoesNotHave) {
  add_chip("pwmchip0", "fe20c000.pwm", "/soc/pwm@7e20c000", 2);
  EXPECT_NE(not_found("fe20c000.pwm", 2).find("it has no channel 2"), std::string::npos);
}

TEST_F(ASysfsPwm, RefusesANameTwoChipsShare) {
  add_chip("pwmchip0", "a.pwm", "/bus1/pwm@0", 1);
  add_chip("pwmchip1", "b.pwm", "/bus2/pwm@0", 1);
  auto chips = pwm_.chips();
  EXPECT_THROW(find_chip(chips, "pwm@0"), NotFound);
  EXPECT_EQ(find_chip(chips, "/bus2/pwm@0").sysfs_name, "pwmchip1");
}

TEST_F(ASysfsPwm, ExportsTheChannelAndUnexportsItWhenDone) {
  add_chip("pwmchip0", "fe20c000.pwm", "", 2);
  std::string export_file = root_ + "/class/pwm/pwmchip0/export";
  // The kernel's part: the channel's directory appears once its number is written to `export`.
  std::thread kernel([&] {
    if (eventually([&] { return read_first_line(export_file) == "1"; }, std::chrono::seconds(5)))
      add_channel("pwmchip0", 1);
  });
  auto channel = pwm_.open("fe20c000.pwm", 1);
  kernel.join();
  EXPECT_EQ(channel->describe(), "pwmchip0 (fe20c000.pwm) channel 1");
  EXPECT_EQ(read_first_line(root_ + "/class/pwm/pwmchip0/unexport"), "");
  channel.reset();
  EXPECT_EQ(read_first_line(root_ + "/class/pwm/pwmchip0/unexport"), "1");
}

TEST_F(ASysfsPwm, TakesOverAChannelAlreadyExportedAndLeavesItExported) {
  add_chip("pwmchip0", "fe20c000.pwm", "", 2);
  add_channel("pwmchip0", 0, 1'000'000, 250'000, true);
  auto channel = pwm_.open("pwmchip0", 0);
  EXPECT_EQ(channel->state(), (State{1'000'000, 250'000, Polarity::kNormal, true}));
  channel.reset();
  EXPECT_EQ(read_first_line(root_ + "/class/pwm/pwmchip0/export"), "");
  EXPECT_EQ(read_first_line(root_ + "/class/pwm/pwmchip0/unexport"), "");
}

TEST_F(ASysfsPwm, SaysWhenAnExportMakesNoChannel) {
  add_chip("pwmchip0", "fe20c000.pwm", "", 2);
  EXPECT_THROW(pwm_.open("pwmchip0", 0), Refused);
}

TEST_F(ASysfsPwm, SetsAFreshChannelsPeriodBeforeItsDutyAndEnablesItLast) {
  add_chip("pwmchip0", "fe20c000.pwm", "", 1);
  add_channel("pwmchip0", 0);
  auto channel = pwm_.open("pwmchip0", 0);
  WriteOrder order(channel_dir("pwmchip0", 0));
  channel->apply({1'000'000, 300'000, Polarity::kNormal, true});
  EXPECT_EQ(order.written(), (std::vector<std::string>{"period", "duty_cycle", "enable"}));
  EXPECT_EQ(read_first_line(channel_dir("pwmchip0", 0) + "/period"), "1000000");
  EXPECT_EQ(read_first_line(channel_dir("pwmchip0", 0) + "/duty_cycle"), "300000");
  EXPECT_EQ(read_first_line(channel_dir("pwmchip0", 0) + "/enable"), "1");
}

TEST_F(ASysfsPwm, ShortensTheDutyBeforeAPeriodShorterThanIt) {
  add_chip("pwmchip0", "fe20c000.pwm", "", 1);
  add_channel("pwmchip0", 0, 1'000'000, 800'000, true);
  auto channel = pwm_.open("pwmchip0", 0);
  WriteOrder order(channel_dir("pwmchip0", 0));
  channel->apply({500'000, 250'000, Polarity::kNormal, true});
  EXPECT_EQ(order.written(), (std::vector<std::string>{"duty_cycle", "period"}));
  channel->apply({2'000'000, 1'500'000, Polarity::kNormal, true});
  EXPECT_EQ(order.written(), (std::vector<std::string>{"period", "duty_cycle"}));
}

TEST_F(ASysfsPwm, WritesOnlyTheDutyDuringAFade) {
  add_chip("pwmchip0", "fe20c000.pwm", "", 1);
  add_channel("pwmchip0", 0, 1'000'000, 100'000, true);
  auto channel = pwm_.open("pwmchip0", 0);
  WriteOrder order(channel_dir("pwmchip0", 0));
  channel->apply({1'000'000, 200'000, Polarity::kNormal, true});
  channel->apply({1'000'000, 200'000, Polarity::kNormal, true});
  EXPECT_EQ(order.written(), (std::vector<std::string>{"duty_cycle"}));
}

TEST_F(ASysfsPwm, ChangesThePolarityOnlyWhileDisabled) {
  add_chip("pwmchip0", "fe20c000.pwm", "", 1);
  add_channel("pwmchip0", 0, 1'000'000, 100'000, true);
  auto channel = pwm_.open("pwmchip0", 0);
  WriteOrder order(channel_dir("pwmchip0", 0));
  channel->apply({1'000'000, 100'000, Polarity::kInversed, true});
  EXPECT_EQ(order.written(), (std::vector<std::string>{"enable", "polarity", "enable"}));
  EXPECT_EQ(read_first_line(channel_dir("pwmchip0", 0) + "/polarity"), "inversed");
}

TEST_F(ASysfsPwm, RefusesADutyLongerThanThePeriodWithoutWriting) {
  add_chip("pwmchip0", "fe20c000.pwm", "", 1);
  add_channel("pwmchip0", 0);
  auto channel = pwm_.open("pwmchip0", 0);
  WriteOrder order(channel_dir("pwmchip0", 0));
  EXPECT_THROW(channel->apply({1000, 2000, Polarity::kNormal, true}), Refused);
  EXPECT_TRUE(order.written().empty());
}

}  // namespace
}  // namespace gpio2mqtt::pwm

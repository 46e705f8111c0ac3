// Devices' files in a temporary directory: a device never saved is unknown (not at 0), what one
// run saves the next loads, each kind in files of its own.
#include "service/device_file.h"

#include <gtest/gtest.h>

#include <filesystem>

#include "process.h"

namespace gpio2mqtt::service {
namespace {

class ADeviceFile : public ::testing::Test {
 protected:
  gpio2mqtt::testing::ScratchDirectory scratch_{"gpio2mqtt-device"};
  const std::string dir_ = scratch_.path();
};

TEST_F(ADeviceFile, SaysNothingOfADeviceNeverSaved) {
  DeviceFile store(dir_);
  EXPECT_EQ(store.load("cover", "shutter"), std::nullopt);
}

TEST_F(ADeviceFile, GivesTheNextRunWhatThisOneSaved) {
  {
    DeviceFile store(dir_);
    store.save("cover", "shutter", 0);
    store.save("cover", "garage", 4250);
  }
  DeviceFile next(dir_);
  EXPECT_EQ(next.load("cover", "shutter"), 0u);  // 0 is a position, not nothing
  EXPECT_EQ(next.load("cover", "garage"), 4250u);
  EXPECT_EQ(next.load("light", "garage"), std::nullopt);
  EXPECT_TRUE(std::filesystem::exists(dir_ + "/cover-garage.state"));
}

}  // namespace
}  // namespace gpio2mqtt::service

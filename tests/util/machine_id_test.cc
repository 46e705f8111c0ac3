#include "util/machine_id.h"

#include <gtest/gtest.h>

#include <regex>

namespace gpio2mqtt {
namespace {

TEST(TheDerivedDeviceId, IsStableForASeedAndDiffersBetweenSeeds) {
  std::string first = derived_device_id("gpio2mqtt-{hostname}");
  EXPECT_TRUE(std::regex_match(first, std::regex("gpio2mqtt_[0-9a-f]{16}"))) << first;
  EXPECT_EQ(derived_device_id("gpio2mqtt-{hostname}"), first);
  EXPECT_NE(derived_device_id("garage-{hostname}"), first);
}

TEST(TheDerivedDeviceId, DoesNotShowTheMachineId) {
  std::string warning;
  std::string id = derived_device_id("x", &warning);
  if (!warning.empty()) GTEST_SKIP() << warning;  // no /etc/machine-id here
  FILE* file = std::fopen("/etc/machine-id", "r");
  ASSERT_TRUE(file);
  char machine[33] = {};
  ASSERT_EQ(std::fread(machine, 1, 32, file), 32u);
  std::fclose(file);
  EXPECT_EQ(id.find(std::string(machine, 16)), std::string::npos);
  EXPECT_EQ(id.find(std::string(machine + 16, 16)), std::string::npos);
}

}  // namespace
}  // namespace gpio2mqtt

#include "gpio2mqtt/gpio/simulated.h"

#include <gtest/gtest.h>
#include <poll.h>

namespace gpio2mqtt::gpio {
namespace {

LineSettings input(unsigned offset, Bias bias = Bias::kAsIs, bool active_low = false) {
  LineSettings s;
  s.offset = offset;
  s.bias = bias;
  s.active_low = active_low;
  return s;
}

LineSettings output(unsigned offset, bool initial, bool active_low = false) {
  LineSettings s;
  s.offset = offset;
  s.direction = Direction::kOutput;
  s.initial_active = initial;
  s.active_low = active_low;
  return s;
}

bool readable(int fd) {
  pollfd p{fd, POLLIN, 0};
  return poll(&p, 1, 0) == 1;
}

std::vector<EdgeEvent> drain(LineRequest& request) {
  std::vector<EdgeEvent> events;
  for (int fd : request.event_fds()) request.read_events(fd, events);
  return events;
}

class ASimulatedChip : public ::testing::Test {
 protected:
  SimulatedChip chip_{"main", {"GPIO17", "GPIO22", "GPIO27"}, {{"GPIO27", "GPIO22"}}};
};

TEST_F(ASimulatedChip, FindsLinesByName) {
  EXPECT_EQ(chip_.find_line("GPIO22"), 1u);
  EXPECT_FALSE(chip_.find_line("GPIO4"));
  EXPECT_EQ(chip_.line_names(), (std::vector<std::string>{"GPIO17", "GPIO22", "GPIO27"}));
}

TEST_F(ASimulatedChip, DrivesAWiredInputAndSignalsTheEdgeThroughItsFd) {
  auto request = chip_.request("test", {input(1), output(2, false)});
  ASSERT_EQ(request->event_fds().size(), 1u);
  EXPECT_FALSE(readable(request->event_fds()[0]));
  EXPECT_FALSE(request->get_value(1));
  request->set_value(2, true);
  EXPECT_TRUE(readable(request->event_fds()[0]));
  auto events = drain(*request);
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].offset, 1u);
  EXPECT_TRUE(events[0].rising);
  EXPECT_GT(events[0].timestamp_ns, 0u);
  EXPECT_EQ(events[0].line_seqno, 1u);
  EXPECT_FALSE(readable(request->event_fds()[0]));
  EXPECT_TRUE(request->get_value(1));
}

TEST_F(ASimulatedChip, SetsTheInitialLevelInTheRequestItself) {
  auto request = chip_.request("test", {input(1), output(2, true)});
  EXPECT_TRUE(chip_.physical_level(2));
  EXPECT_TRUE(request->get_value(1));
  EXPECT_TRUE(drain(*request).empty());  // no edge at start: the level was never different
}

TEST_F(ASimulatedChip, AppliesBiasAndActiveLow) {
  auto request = chip_.request("test", {input(0, Bias::kPullUp), input(1, Bias::kAsIs, true)});
  EXPECT_TRUE(request->get_value(0));
  EXPECT_TRUE(request->get_value(1));  // floating low, active-low
  chip_.set_pull(1, true);
  auto events = drain(*request);
  ASSERT_EQ(events.size(), 1u);
  EXPECT_FALSE(events[0].rising);  // physically rising, logically falling
}

TEST_F(ASimulatedChip, InvertsAnActiveLowOutput) {
  auto request = chip_.request("test", {output(2, true, true)});
  EXPECT_FALSE(chip_.physical_level(2));
  request->set_value(2, false);
  EXPECT_TRUE(chip_.physical_level(2));
}

TEST_F(ASimulatedChip, RefusesABusyLineNamingItsConsumer) {
  auto held = chip_.request("first", {input(0)});
  try {
    chip_.request("second", {input(0)});
    FAIL();
  } catch (const GpioError& e) {
    EXPECT_STREQ(e.what(), "line GPIO17 of chip main is busy (held by first)");
  }
  held.reset();
  EXPECT_NO_THROW(chip_.request("second", {input(0)}));
}

TEST_F(ASimulatedChip, ReleasingTheDriverLetsTheWiredInputFloatBack) {
  auto in = chip_.request("in", {input(1)});
  auto out = chip_.request("out", {output(2, true)});
  drain(*in);
  out.reset();
  auto events = drain(*in);
  ASSERT_EQ(events.size(), 1u);
  EXPECT_FALSE(events[0].rising);
}

TEST_F(ASimulatedChip, RefusesToDriveAnInputOrALineItDoesNotHold) {
  auto request = chip_.request("test", {input(1)});
  EXPECT_THROW(request->set_value(1, true), GpioError);
  EXPECT_THROW(request->set_value(0, true), GpioError);
  EXPECT_THROW(chip_.request("test", {input(9)}), GpioError);
}

}  // namespace
}  // namespace gpio2mqtt::gpio

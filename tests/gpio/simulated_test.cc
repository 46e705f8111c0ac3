#include "gpio/simulated.h"

#include <gtest/gtest.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>

#include <cstring>
#include <fstream>

#include "control_socket.h"
#include "gpio2mqtt/util/clock.h"
#include "util/unique_fd.h"

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

TEST_F(ASimulatedChip, ReportsOnlyTheEdgesAnInputAskedFor) {
  LineSettings falls = input(1, Bias::kAsIs, true);  // active low: a logical fall is a physical rise
  falls.edges = Edges::kFalling;
  auto request = chip_.request("test", {falls, output(2, false)});
  request->set_value(2, true);  // physically high: logically inactive, a fall
  request->set_value(2, false);
  request->set_value(2, true);
  auto events = drain(*request);
  ASSERT_EQ(events.size(), 2u);
  EXPECT_FALSE(events[0].rising);
  EXPECT_FALSE(events[1].rising);
  EXPECT_FALSE(request->get_value(1));
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

// A control socket path of this test's own (tests run in parallel).
std::string socket_path() {
  return ::testing::TempDir() + "sim-" + std::to_string(getpid()) + "-" +
         ::testing::UnitTest::GetInstance()->current_test_info()->name() + ".sock";
}

bool exists(const std::string& path) {
  struct stat st {};
  return lstat(path.c_str(), &st) == 0;
}

class ASimulatedChipWithAControlSocket : public ::testing::Test {
 protected:
  // Sends `command` to the chip's control socket as one datagram.
  ::testing::AssertionResult send(const std::string& command) {
    if (control_.send(command)) return ::testing::AssertionSuccess();
    return ::testing::AssertionFailure() << "cannot send \"" << command << "\": " << std::strerror(errno);
  }

  std::string path_ = socket_path();
  SimulatedChip chip_{"main", {"GPIO17", "GPIO22", "GPIO27"}, {{"GPIO27", "GPIO22"}}, path_};
  testing::ControlSocket control_{path_};
};

TEST_F(ASimulatedChipWithAControlSocket, ListsItWithTheFirstRequestAndTurnsPullsIntoTimestampedEdges) {
  auto request = chip_.request("test", {input(1)});
  auto fds = request->event_fds();
  ASSERT_EQ(fds.size(), 2u);
  int control = fds[1];
  EXPECT_FALSE(readable(control));
  auto before = static_cast<std::uint64_t>(monotonic_now().time_since_epoch().count());
  ASSERT_TRUE(send("pull GPIO22 1"));
  ASSERT_TRUE(send("pull GPIO22 1\n"));  // no change, no edge; a trailing newline is fine
  ASSERT_TRUE(send("pull 1 0"));         // by offset
  ASSERT_TRUE(readable(control));
  std::vector<EdgeEvent> events;
  request->read_events(control, events);
  auto after = static_cast<std::uint64_t>(monotonic_now().time_since_epoch().count());
  ASSERT_EQ(events.size(), 2u);
  EXPECT_TRUE(events[0].rising);
  EXPECT_FALSE(events[1].rising);
  EXPECT_EQ(events[1].line_seqno, 2u);
  EXPECT_GE(events[0].timestamp_ns, before);
  EXPECT_LE(events[1].timestamp_ns, after);
  EXPECT_LE(events[0].timestamp_ns, events[1].timestamp_ns);
  EXPECT_FALSE(readable(control));
  EXPECT_FALSE(readable(fds[0]));  // already handed over: no second wake-up for the same edges
  EXPECT_FALSE(chip_.physical_level(1));
}

TEST_F(ASimulatedChipWithAControlSocket, IgnoresMalformedCommands) {
  auto request = chip_.request("test", {input(1)});
  int control = request->event_fds().at(1);
  for (const char* bad : {"", "pull", "pull GPIO22", "push GPIO22 1", "pull GPIO99 1", "pull GPIO22 2", "pull 7 1",
                          "pull GPIO22 1 now", "pull\xff GPIO22 1"})
    ASSERT_TRUE(send(bad));
  ASSERT_TRUE(send(std::string(300, 'x')));
  ASSERT_TRUE(send("pull GPIO22 1"));
  std::vector<EdgeEvent> events;
  request->read_events(control, events);
  ASSERT_EQ(events.size(), 1u);
  EXPECT_TRUE(events[0].rising);
}

TEST_F(ASimulatedChipWithAControlSocket, SignalsEdgesOfOtherRequestsOnTheirOwnFdsAndPassesTheSocketOn) {
  auto first = chip_.request("first", {input(0)});
  auto second = chip_.request("second", {input(1)});
  ASSERT_EQ(first->event_fds().size(), 2u);
  ASSERT_EQ(second->event_fds().size(), 1u);
  ASSERT_TRUE(send("pull GPIO22 1"));
  std::vector<EdgeEvent> events;
  first->read_events(first->event_fds()[1], events);
  EXPECT_TRUE(events.empty());
  EXPECT_EQ(drain(*second).size(), 1u);
  first.reset();
  ASSERT_EQ(second->event_fds().size(), 2u);
  ASSERT_TRUE(send("pull GPIO22 0"));
  second->read_events(second->event_fds()[1], events);
  EXPECT_EQ(events.size(), 1u);
}

TEST_F(ASimulatedChipWithAControlSocket, GoesToTheOldestRequestWithAnInput) {
  auto relay = chip_.request("relay", {output(2, false)});
  EXPECT_EQ(relay->event_fds().size(), 2u);  // the only request so far
  auto buttons = chip_.request("buttons", {input(0), input(1)});
  EXPECT_EQ(relay->event_fds().size(), 1u);
  EXPECT_EQ(buttons->event_fds().size(), 2u);
  buttons.reset();
  EXPECT_EQ(relay->event_fds().size(), 2u);
}

TEST(ASimulatedChipsControlSocket, ReplacesAStaleSocketRefusesOtherFilesAndIsRemovedWithTheChip) {
  std::string path = socket_path();
  { SimulatedChip stale("main", {"A"}, {}, path); }
  EXPECT_FALSE(exists(path));
  {  // a socket file left behind by a killed daemon
    UniqueFd fd(socket(AF_UNIX, SOCK_DGRAM, 0));
    sockaddr_un address = testing::unix_address(path);
    ASSERT_EQ(bind(fd.get(), reinterpret_cast<sockaddr*>(&address), sizeof address), 0);
  }
  {
    SimulatedChip chip("main", {"A"}, {}, path);
    EXPECT_TRUE(exists(path));
  }
  EXPECT_FALSE(exists(path));
  std::ofstream(path) << "precious";
  EXPECT_THROW(SimulatedChip("main", {"A"}, {}, path), GpioError);
  EXPECT_TRUE(exists(path));
  std::remove(path.c_str());
  EXPECT_THROW(SimulatedChip("main", {"A"}, {}, "/nonexistent-dir/x.sock"), GpioError);
}

}  // namespace
}  // namespace gpio2mqtt::gpio

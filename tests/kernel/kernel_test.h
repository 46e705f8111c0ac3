// Shared by the kernel tests: the fixture that skips outside the VM, and small helpers.
#pragma once

#include <gtest/gtest.h>
#include <poll.h>
#include <unistd.h>

#include <chrono>
#include <cstdint>
#include <fstream>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include "assertions.h"
#include "gpio/hardware.h"
#include "gpio2mqtt/gpio/gpio.h"
#include "gpiosim.h"

namespace gpio2mqtt::kernel_test {

using testing::Contains;
using testing::error_of;

class KernelTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (auto why = why_no_gpiosim(); !why.empty()) GTEST_SKIP() << why;
  }
};

// A gpio-sim chip and this build's backend opened on it.
class KernelChipTest : public KernelTest {
 protected:
  // Makes the chip `sim` describes and opens it; call from SetUp() once KernelTest::SetUp() did not skip.
  void open_sim(const SimBuilder& sim) {
    sim_ = sim.build();
    provider_ = gpio::make_hardware_provider();
    ASSERT_TRUE(provider_) << "this build has no GPIO hardware backend";
    chip_ = provider_->open(sim_->dev_path());
  }

  std::unique_ptr<SimChip> sim_;
  std::unique_ptr<gpio::ChipProvider> provider_;
  std::unique_ptr<gpio::Chip> chip_;
};

// True when `fd` became readable within `timeout`.
inline bool wait_readable(int fd, std::chrono::milliseconds timeout) {
  pollfd p{fd, POLLIN, 0};
  return ::poll(&p, 1, static_cast<int>(timeout.count())) == 1;
}

// Waits, as the daemon's loop does, on every event fd of `request` (on uAPI v1 the lines' own and
// the reader thread's) and reads those readable; false when none was within `timeout`.
inline bool read_when_ready(gpio::LineRequest& request, std::vector<gpio::EdgeEvent>& out,
                            std::chrono::milliseconds timeout) {
  std::vector<pollfd> fds;
  for (int fd : request.event_fds()) fds.push_back({fd, POLLIN, 0});
  if (::poll(fds.data(), fds.size(), static_cast<int>(timeout.count())) <= 0) return false;
  for (const auto& p : fds)
    if (p.revents) request.read_events(p.fd, out);
  return true;
}

// Waits for and reads the events of a request; empty when none came within `timeout`.
inline std::vector<gpio::EdgeEvent> next_events(gpio::LineRequest& request,
                                                std::chrono::milliseconds timeout = std::chrono::seconds(2)) {
  std::vector<gpio::EdgeEvent> events;
  read_when_ready(request, events, timeout);
  return events;
}

inline gpio::LineSettings input(unsigned offset, gpio::Bias bias = gpio::Bias::kAsIs, bool active_low = false) {
  gpio::LineSettings s;
  s.offset = offset;
  s.bias = bias;
  s.active_low = active_low;
  return s;
}

inline gpio::LineSettings output(unsigned offset, bool initial, bool active_low = false,
                                 gpio::Drive drive = gpio::Drive::kPushPull) {
  gpio::LineSettings s;
  s.offset = offset;
  s.direction = gpio::Direction::kOutput;
  s.initial_active = initial;
  s.active_low = active_low;
  s.drive = drive;
  return s;
}

// A label no other test process uses at the same time (uAPI v1 keeps 31 characters).
inline std::string unique_label(const std::string& stem) {
  static unsigned serial = 0;
  return "g2m-" + stem + "-" + std::to_string(::getpid() % 100000) + "-" + std::to_string(serial++);
}

}  // namespace gpio2mqtt::kernel_test

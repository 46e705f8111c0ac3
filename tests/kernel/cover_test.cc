// A shutter on a real kernel chip (gpio-sim) inside the VM: CLOSE drives the motor's close line,
// the closed end stop's edge stops it before its time, and the cover is closed at 0; the open
// line never went high.
#include <iostream>
#include <thread>

#include "kernel_daemon_test.h"

namespace gpio2mqtt::kernel_test {
namespace {

using namespace std::chrono_literals;

constexpr unsigned kUp = 0, kDown = 1, kBottom = 2;

class ACoverOnAKernelChip : public KernelDaemonTest {
 protected:
  ACoverOnAKernelChip() : KernelDaemonTest("g2m-cover") {}
  std::unique_ptr<SimChip> build_sim() const override {
    return make_sim()
        .label(unique_label("cover"))
        .lines(3)
        .name(kUp, "UP")
        .name(kDown, "DOWN")
        .name(kBottom, "BOTTOM")
        .build();
  }
  std::string config() const {
    return "mqtt:\n  server: " + broker_->url() + "\n  client_id: g2m-cover-test\n  base_topic: kernel\n" +
           "dbus: off\nstate_directory: " + dir_ + "/state\nchips:\n  sim: {label: " + sim_->label() +
           "}\nlines:\n  up: {line: UP, direction: output}\n  down: {line: DOWN, direction: output}\n"
           "  bottom: {line: BOTTOM}\n"
           "covers:\n  shutter: {open: up, close: down, closed: bottom, open_time: 20s, close_time: 20s}\n";
  }
  // Polls the output line until it is `high` (gpio-sim's sysfs value is the only way to see it);
  // false after 10 s. The open line must stay low meanwhile.
  bool line_becomes(unsigned line, bool high) {
    for (auto deadline = std::chrono::steady_clock::now() + 10s; std::chrono::steady_clock::now() < deadline;) {
      if (sim_->value(kUp)) up_seen_ = true;
      if (sim_->value(line) == high) return true;
      std::this_thread::sleep_for(1ms);
    }
    return false;
  }
  bool up_seen_ = false;
};

TEST_F(ACoverOnAKernelChip, ClosesUntilItsEndStopAndNeverDrivesBothWays) {
  sim_->set_pull(kBottom, false);
  start_daemon(config());
  ASSERT_TRUE(observer_->wait_for("kernel/shutter/state", "stopped", 0, 20s)) << "not online\n" << daemon_->log();
  EXPECT_FALSE(sim_->value(kUp));
  EXPECT_FALSE(sim_->value(kDown));
  std::size_t from = observer_->size();
  observer_->publish("kernel/shutter/set", "CLOSE");
  ASSERT_TRUE(line_becomes(kDown, true)) << daemon_->log();
  EXPECT_TRUE(observer_->wait_for("kernel/shutter/state", "closing", from, 10s));
  sim_->set_pull(kBottom, true);  // the end stop: long before the 20 s of travel
  ASSERT_TRUE(line_becomes(kDown, false)) << daemon_->log();
  EXPECT_TRUE(observer_->wait_for("kernel/shutter/state", "closed", from, 10s));
  EXPECT_TRUE(observer_->wait_for("kernel/shutter/position", "0", from, 10s));
  EXPECT_FALSE(up_seen_);
}

}  // namespace
}  // namespace gpio2mqtt::kernel_test

// A local binding on a real kernel chip (gpio-sim) inside the VM: the door contact's rising edge
// switches the lamp's output line in the daemon itself, and the test's log shows how long after
// the input's kernel timestamp the output line was seen at its new level.
#include <time.h>

#include <iostream>
#include <thread>

#include "kernel_daemon_test.h"

namespace gpio2mqtt::kernel_test {
namespace {

using namespace std::chrono_literals;

constexpr unsigned kDoor = 0, kLamp = 1;

std::int64_t monotonic_ns() {
  timespec now{};
  clock_gettime(CLOCK_MONOTONIC, &now);
  return std::int64_t{now.tv_sec} * 1'000'000'000 + now.tv_nsec;
}

class ABindingOnAKernelChip : public KernelDaemonTest {
 protected:
  ABindingOnAKernelChip() : KernelDaemonTest("g2m-binding") {}
  std::unique_ptr<SimChip> build_sim() const override {
    return make_sim().label(unique_label("binding")).lines(2).name(kDoor, "DOOR").name(kLamp, "LAMP").build();
  }
  std::string config() const {
    return "mqtt:\n  server: " + broker_->url() + "\n  client_id: g2m-binding-test\n  base_topic: kernel\n" +
           "dbus: off\nchips:\n  sim: {label: " + sim_->label() +
           "}\nlines:\n  door: {line: DOOR}\n  lamp: {line: LAMP, direction: output}\n" +
           "bindings:\n  - {trigger: door, on: on, target: lamp, action: toggle}\n";
  }
};

TEST_F(ABindingOnAKernelChip, SwitchesTheOutputLineOnAnEdgeOfTheInput) {
  sim_->set_pull(kDoor, false);
  start_daemon(config());
  ASSERT_TRUE(observer_->wait_for("kernel/lamp/state", "OFF", 0, 20s)) << "not online";
  std::size_t from = observer_->size();
  sim_->set_pull(kDoor, true);
  // Polled: gpio-sim has no wires, and its sysfs value is the only way to see an output's level.
  std::int64_t seen_ns = 0;
  for (auto deadline = std::chrono::steady_clock::now() + 10s; std::chrono::steady_clock::now() < deadline;) {
    if (sim_->value(kLamp)) {
      seen_ns = monotonic_ns();
      break;
    }
    std::this_thread::sleep_for(100us);
  }
  ASSERT_NE(seen_ns, 0) << "the lamp's line never went high\n" << daemon_->log();
  auto at = observer_->wait_for([](const testing::Received& m) { return m.topic == "kernel/door/event"; }, from, 10s);
  ASSERT_TRUE(at) << daemon_->log();
  const std::string& payload = observer_->messages()[*at].payload;
  auto key = payload.find("\"timestamp_ns\":");
  ASSERT_NE(key, std::string::npos) << payload;
  std::int64_t edge_ns = std::stoll(payload.substr(key + 15));
  std::cout << "binding latency: input's kernel timestamp to the output seen high (polled every 100 us): "
            << (seen_ns - edge_ns) / 1000 << " us\n";
  EXPECT_GT(seen_ns, edge_ns);
  EXPECT_TRUE(observer_->wait_for("kernel/lamp/state", "ON", from, 10s));
  EXPECT_NE(daemon_->log().find("local: binding door_lamp"), std::string::npos) << daemon_->log();
}

}  // namespace
}  // namespace gpio2mqtt::kernel_test

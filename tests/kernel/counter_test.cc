// A counter on a real kernel chip (gpio-sim) inside the VM: an S0-like input pulled low for 30 ms
// at (about) 10 Hz, with bounces on both edges shorter than the debounce, counts each pulse once, from
// the kernel's timestamps (libgpiod 1.x: debounced by the bridge; 2.x: by the kernel).
#include <memory>
#include <thread>

#include "kernel_daemon_test.h"

namespace gpio2mqtt::kernel_test {
namespace {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

constexpr unsigned kMeter = 0;
constexpr int kPulses = 20;

class ACounterOnAKernelChip : public KernelDaemonTest {
 protected:
  ACounterOnAKernelChip() : KernelDaemonTest("g2m-counter") {}
  std::unique_ptr<SimChip> build_sim() const override {
    return make_sim().label(unique_label("counter")).lines(2).name(kMeter, "METER").build();
  }
  std::string config() const {
    return "mqtt:\n  server: " + broker_->url() + "\n  client_id: g2m-counter-test\n  base_topic: kernel\n" +
           "dbus: off\nstate_directory: " + dir_ + "/state\nchips:\n  sim: {label: " + sim_->label() +
           "}\nlines:\n  meter: {line: METER, mode: counter, edge: falling, debounce: 15ms, "
           "publish_interval: 100ms}\n";
  }
  // Flips the pull there and back at once: a bounce of one sysfs write, far below the 15 ms debounce.
  void bounce(bool settled) {
    sim_->set_pull(kMeter, settled);
    sim_->set_pull(kMeter, !settled);
  }
};

TEST_F(ACounterOnAKernelChip, CountsBouncingThirtyMillisecondPulsesAtTenHertzOnce) {
  sim_->set_pull(kMeter, true);  // an S0 output idles high
  start_daemon(config());
  ASSERT_TRUE(observer_->wait_for("kernel/meter/count", "0", 0, 20s)) << "not online";
  for (int i = 0; i < kPulses; ++i) {
    bounce(false);
    bounce(false);
    sim_->set_pull(kMeter, false);
    // Held from the last write on: under qemu a sysfs write can take milliseconds, and a schedule
    // that fell behind would shorten the pulse below the debounce.
    std::this_thread::sleep_until(Clock::now() + 30ms);
    bounce(true);
    sim_->set_pull(kMeter, true);
    std::this_thread::sleep_until(Clock::now() + 70ms);
  }
  auto at = observer_->wait_for("kernel/meter/count", std::to_string(kPulses), 0, 20s);
  ASSERT_TRUE(at) << "last count: " << observer_->payloads_on("kernel/meter/count").back();
  // Nothing more arrives: a get answers with the same count.
  std::size_t from = observer_->size();
  observer_->publish("kernel/meter/get", "");
  auto answer = observer_->wait_for([](const testing::Received& r) { return r.topic == "kernel/meter/count"; }, from);
  ASSERT_TRUE(answer);
  EXPECT_EQ(observer_->messages()[*answer].payload, std::to_string(kPulses));
}

}  // namespace
}  // namespace gpio2mqtt::kernel_test

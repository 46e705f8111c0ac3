// A counter on a real kernel chip (gpio-sim) inside the VM: an S0-like input pulled low for 30 ms
// at (about) 10 Hz, with bounces on both edges shorter than the debounce, counts each pulse once, from
// the kernel's timestamps (libgpiod 1.x: debounced by the bridge; 2.x: by the kernel).
#include <iostream>
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
  std::string config(const std::string& meter =
                         "{line: METER, mode: counter, edge: falling, debounce: 15ms, "
                         "publish_interval: 100ms}") const {
    return "mqtt:\n  server: " + broker_->url() + "\n  client_id: g2m-counter-test\n  base_topic: kernel\n" +
           "dbus: off\nstate_directory: " + dir_ + "/state\nchips:\n  sim: {label: " + sim_->label() +
           "}\nlines:\n  meter: " + meter + "\n";
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

TEST_F(ACounterOnAKernelChip, CountsHalfMillisecondPulsesExactly) {
  // No debounce: the kernel is asked for falling edges only, so each interrupt is a pulse whatever
  // level the line has by the time its interrupt thread runs. With both edges, a fall read after
  // the line rose again is typed a rise, the rise after it too, and the pulse is not counted.
  sim_->set_pull(kMeter, true);
  start_daemon(config("{line: METER, mode: counter, publish_interval: 100ms}"));
  ASSERT_TRUE(observer_->wait_for("kernel/meter/count", "0", 0, 20s)) << "not online";
  constexpr int kShortPulses = 300;
  const std::uint64_t before = sim_interrupts("gpio2mqtt");
  for (int i = 0; i < kShortPulses; ++i) {
    sim_->set_pull(kMeter, false);
    std::this_thread::sleep_for(500us);
    sim_->set_pull(kMeter, true);
    // From the last write, not on a schedule: under qemu on a busy host the guest can stall for
    // tens of ms, and a schedule catching up would write falls back to back, which gpio-sim and
    // the line's interrupt thread merge into one event before anything of ours sees them.
    std::this_thread::sleep_for(9500us);
  }
  auto at = observer_->wait_for("kernel/meter/count", std::to_string(kShortPulses), 0, 20s);
  const std::uint64_t interrupts = sim_interrupts("gpio2mqtt") - before;
  std::cout << "[ counter  ] " << kShortPulses << " pulses of 0.5 ms at 100 Hz: last count "
            << observer_->payloads_on("kernel/meter/count").back() << ", " << interrupts << " interrupts\n";
  ASSERT_TRUE(at);
  EXPECT_EQ(interrupts, static_cast<std::uint64_t>(kShortPulses));  // falls only
  // Nothing more arrives: a get answers with the same count.
  std::size_t from = observer_->size();
  observer_->publish("kernel/meter/get", "");
  auto answer = observer_->wait_for([](const testing::Received& r) { return r.topic == "kernel/meter/count"; }, from);
  ASSERT_TRUE(answer);
  EXPECT_EQ(observer_->messages()[*answer].payload, std::to_string(kShortPulses));
}

}  // namespace
}  // namespace gpio2mqtt::kernel_test

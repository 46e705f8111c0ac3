// The daemon with PWM outputs on the kernel in the test VM: a hardware channel of pwm-sim fading
// to a Home Assistant light command through the real PWM core, and software PWM on a gpio-sim
// line whose level is sampled to measure the duty.
#include <signal.h>

#include <chrono>
#include <iostream>
#include <thread>

#include "kernel_daemon_test.h"
#include "pwm_sim.h"

namespace gpio2mqtt::kernel_test {
namespace {

using namespace std::chrono_literals;
using testing::eventually;
using testing::Received;

class TheDaemonWithPwm : public KernelDaemonTest {
 protected:
  TheDaemonWithPwm() : KernelDaemonTest("gpio2mqtt-kernel-pwm") {}
  void SetUp() override {
    if (!module_.why().empty()) GTEST_SKIP() << module_.why();
    ASSERT_EQ(module_.load_error(), "");
    KernelDaemonTest::SetUp();
  }
  void TearDown() override {
    if (daemon_) {  // a clean stop, which unexports the channel: a killed daemon leaves it exported
      daemon_->process().signal(SIGTERM);
      EXPECT_EQ(daemon_->process().wait(10s), 0);
      daemon_.reset();
    }
    KernelDaemonTest::TearDown();
    EXPECT_TRUE(module_.unload());
  }
  std::unique_ptr<SimChip> build_sim() const override {
    return make_sim().label(unique_label("pwm")).lines(2).name(0, "HEATER").build();
  }
  void start(const std::string& pwm) {
    std::size_t from = observer_->size();
    start_daemon("mqtt: {server: " + broker_->url() + ", client_id: gpio2mqtt-kernel-pwm, base_topic: kernel}\n" +
                 "dbus: off\nchips:\n  sim: {label: " + sim_->label() + "}\nlines: {}\npwm:\n" + pwm);
    ASSERT_TRUE(came_online(from)) << daemon_->log();
  }
  void command(const std::string& name, const std::string& payload, const std::string& state) {
    std::size_t from = observer_->size();
    observer_->publish("kernel/" + name + "/set", payload);
    ASSERT_TRUE(observer_->wait_for("kernel/" + name + "/state", state, from)) << daemon_->log();
  }

  PwmSimModule module_{"npwm=1 min_period_ns=1000"};
};

TEST_F(TheDaemonWithPwm, FadesAHardwareChannelThroughThePwmCore) {
  ASSERT_NO_FATAL_FAILURE(start("  lamp: {pwm_chip: pwm-sim, frequency: 1kHz, gamma: 2}\n"));
  EXPECT_EQ(PwmSimModule::reports(0), "1000000 0 normal 1");
  unsigned long before = PwmSimModule::applies();
  ASSERT_NO_FATAL_FAILURE(command("lamp", R"({"state":"ON","brightness":255,"transition":1})",
                                  R"({"state":"ON","brightness":255,"percentage":100})"));
  ASSERT_TRUE(eventually([] { return PwmSimModule::reports(0) == "1000000 1000000 normal 1"; }, 5s))
      << PwmSimModule::reports(0);
  unsigned long steps = PwmSimModule::applies() - before;
  EXPECT_GE(steps, 10u) << "a 1 s fade in steps of at least 20 ms";
  EXPECT_LE(steps, 51u);
  std::cout << "a 1 s fade took " << steps << " duty writes\n";
  ASSERT_NO_FATAL_FAILURE(command("lamp", R"({"state":"ON","brightness":128,"transition":0})",
                                  R"({"state":"ON","brightness":128,"percentage":50})"));
  EXPECT_EQ(PwmSimModule::reports(0), "1000000 252004 normal 1");  // 0.502^2 of the period
}

TEST_F(TheDaemonWithPwm, SwitchesAGpioSimLineForTheCommandedDuty) {
  ASSERT_NO_FATAL_FAILURE(start("  heater: {chip: sim, line: HEATER, period: 1s}\n"));
  ASSERT_NO_FATAL_FAILURE(command("heater", "40", R"({"state":"ON","brightness":102,"percentage":40})"));
  // Sampled about every millisecond over four whole periods from a rise on, each sample weighted by
  // the time until the next (under qemu's emulation a sample can take longer than that).
  ASSERT_TRUE(eventually([&] { return !sim_->value(0); }, 2s));
  ASSERT_TRUE(eventually([&] { return sim_->value(0); }, 2s));
  using Clock = std::chrono::steady_clock;
  auto start = Clock::now(), end = start + 4s;
  Clock::duration high{0};
  std::size_t samples = 0;
  for (auto at = start; at < end;) {
    bool level = sim_->value(0);
    std::this_thread::sleep_for(1ms);
    auto next = std::min(Clock::now(), end);
    if (level) high += next - at;
    at = next;
    ++samples;
  }
  double duty = std::chrono::duration<double>(high) / std::chrono::duration<double>(end - start);
  std::cout << "software PWM on gpio-sim, 1 s period, 40 %: " << duty * 100 << " % of " << samples << " samples\n";
  EXPECT_NEAR(duty, 0.40, 0.40 * 0.02);
}

}  // namespace
}  // namespace gpio2mqtt::kernel_test

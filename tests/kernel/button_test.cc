// A wall button on a real kernel chip (gpio-sim) inside the VM: pressed pulls the line low
// (active_low), with a bounce on each edge shorter than the debounce. A double press and a long
// press come out as `double`, then `long` while still held and `long_release`, timed by the
// kernel's event timestamps (libgpiod 1.x: debounced by the bridge; 2.x: by the kernel).
#include <memory>
#include <thread>

#include "kernel_daemon_test.h"

namespace gpio2mqtt::kernel_test {
namespace {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

constexpr unsigned kButton = 0;

class AButtonOnAKernelChip : public KernelDaemonTest {
 protected:
  AButtonOnAKernelChip() : KernelDaemonTest("g2m-button") {}
  std::unique_ptr<SimChip> build_sim() const override {
    return make_sim().label(unique_label("button")).lines(2).name(kButton, "HALL").build();
  }
  // A wide window and long press: under qemu a sysfs write can take milliseconds.
  std::string config() const {
    return "mqtt:\n  server: " + broker_->url() + "\n  client_id: g2m-button-test\n  base_topic: kernel\n" +
           "dbus: off\nchips:\n  sim: {label: " + sim_->label() +
           "}\nlines:\n  hall: {line: HALL, mode: button, active_low: true, debounce: 15ms, "
           "button: {window: 1s, long_press: 2s}}\n";
  }
  // Closes (pulls the line low) or opens the contact, bouncing back once for one sysfs write, far
  // below the debounce.
  void contact(bool closed) {
    sim_->set_pull(kButton, !closed);
    sim_->set_pull(kButton, closed);
    sim_->set_pull(kButton, !closed);
  }
  // A press of about 80 ms and a pause of as long (the input itself, as a hand makes it).
  void press() {
    contact(true);
    std::this_thread::sleep_until(Clock::now() + 80ms);
    contact(false);
    std::this_thread::sleep_until(Clock::now() + 80ms);
  }
  std::optional<std::size_t> action(const std::string& payload, std::size_t from) {
    return observer_->wait_for("kernel/hall/action", payload, from, 20s);
  }
  std::vector<std::string> actions() const { return observer_->payloads_on("kernel/hall/action"); }
};

TEST_F(AButtonOnAKernelChip, SendsADoublePressAndALongPressWhileHeld) {
  sim_->set_pull(kButton, true);  // released: the pull-up holds the line high
  start_daemon(config());
  ASSERT_TRUE(observer_->wait_for("kernel/hall/state", "OFF", 0, 20s)) << "not online";
  press();
  press();
  auto at = action("double", 0);
  ASSERT_TRUE(at) << "actions: " << actions().size();
  contact(true);
  at = action("long", *at + 1);
  ASSERT_TRUE(at) << "no long while held";
  EXPECT_EQ(observer_->payloads_on("kernel/hall/state").back(), "ON") << "still held when long came";
  contact(false);
  ASSERT_TRUE(action("long_release", *at + 1));
  EXPECT_EQ(actions(), (std::vector<std::string>{"double", "long", "long_release"}));
}

}  // namespace
}  // namespace gpio2mqtt::kernel_test

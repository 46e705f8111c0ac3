// The gpio2mqtt binary on a real kernel chip (gpio-sim) and a real mosquitto, inside the VM:
// the pull on a pin becomes MQTT, MQTT becomes the level on a pin, and start-up failures say what
// exists. The observer checks MQTT; gpio-sim's sysfs files check the pins.
#include <signal.h>

#include <algorithm>
#include <memory>

#include "gpio/hardware.h"
#include "kernel_daemon_test.h"

namespace gpio2mqtt::kernel_test {
namespace {

using namespace std::chrono_literals;
using testing::eventually;
using testing::kOff;
using testing::Received;

constexpr unsigned kButton = 0, kDoor = 1, kWindow = 2, kRelay = 3, kLamp = 4;

const char* kLines = R"(lines:
  button: {line: BUTTON, edge: both}
  door: {line: DOOR, edge: rising}
  window: {line: WINDOW, edge: falling}
  relay: {line: RELAY, direction: output, initial: on, on_disconnect: off}
  lamp: {line: LAMP, direction: output, initial: off, on_disconnect: on}
)";

class ADaemonOnAKernelChip : public KernelDaemonTest {
 protected:
  ADaemonOnAKernelChip() : KernelDaemonTest("g2m-kernel") {}
  std::unique_ptr<SimChip> build_sim() const override { return sim_labelled(unique_label("e2e")); }

  static std::unique_ptr<SimChip> sim_labelled(const std::string& label) {
    return make_sim()
        .label(label)
        .lines(8)
        .name(kButton, "BUTTON")
        .name(kDoor, "DOOR")
        .name(kWindow, "WINDOW")
        .name(kRelay, "RELAY")
        .name(kLamp, "LAMP")
        .build();
  }

  // A config for the test's broker with one chip `sim`, found by `chip_key` ("label: X", "path: Y").
  std::string config(const std::string& chip_key, const std::string& lines = kLines) const {
    return "mqtt:\n  server: " + broker_->url() +
           "\n  client_id: g2m-kernel-test\n  keepalive: 5s\n  base_topic: kernel\n"
           "dbus: off\nchips:\n  sim:\n    " +
           chip_key + "\n" + lines;
  }
  std::string config() const { return config("label: " + sim_->label()); }

  // Starts the daemon on `yaml` and waits until it is online with every state published.
  void start(const std::string& yaml) {
    start_daemon(yaml);
    ASSERT_TRUE(came_online(0, 20s));
    for (std::string line : {"button", "door", "window", "relay", "lamp"}) {
      std::string topic = "kernel/" + line + "/state";
      ASSERT_TRUE(observer_->wait_for([&](const Received& r) { return r.topic == topic; })) << "no " << topic;
    }
  }
  void start() { start(config()); }

  // Starts the daemon on `yaml` and returns its exit status (nullopt if it kept running).
  std::optional<int> exit_status_of(const std::string& yaml) {
    start_daemon(yaml);
    return daemon_->process().wait(20s);
  }

  // Waits for an event of `line` with `edge` at message `from` or later; returns its index.
  std::optional<std::size_t> event(const std::string& line, const std::string& edge, std::size_t from) {
    auto at = observer_->wait_for(
        [&](const Received& r) {
          return r.topic == "kernel/" + line + "/event" &&
                 r.payload.find("\"edge\":\"" + edge + "\"") != std::string::npos;
        },
        from);
    EXPECT_TRUE(at) << "no " << edge << " event for " << line << " after message " << from;
    return at;
  }

  // Waits for the answer to a get sent now: whatever the daemon published before has arrived too.
  void settle() {
    std::size_t from = observer_->size();
    observer_->publish("kernel/lamp/get", "");
    ASSERT_TRUE(observer_->wait_for([](const Received& r) { return r.topic == "kernel/lamp/state"; }, from));
  }

  std::size_t events_of(const std::string& line, std::size_t from) const {
    auto messages = observer_->messages();
    return std::count_if(messages.begin() + static_cast<std::ptrdiff_t>(from), messages.end(),
                         [&](const Received& r) { return r.topic == "kernel/" + line + "/event"; });
  }
};

TEST_F(ADaemonOnAKernelChip, DrivesInitialLevelsAndPublishesTheRealStatesAtStart) {
  sim_->set_pull(kButton, true);
  ASSERT_NO_FATAL_FAILURE(start());
  EXPECT_TRUE(sim_->value(kRelay));  // initial: on
  EXPECT_FALSE(sim_->value(kLamp));
  EXPECT_EQ(observer_->payloads_on("kernel/button/state"), std::vector<std::string>{"ON"});
  EXPECT_EQ(observer_->payloads_on("kernel/door/state"), std::vector<std::string>{"OFF"});
  EXPECT_EQ(observer_->payloads_on("kernel/relay/state"), std::vector<std::string>{"ON"});
  EXPECT_EQ(observer_->payloads_on("kernel/lamp/state"), std::vector<std::string>{"OFF"});
}

TEST_F(ADaemonOnAKernelChip, PublishesStateAndEventForBothEdges) {
  ASSERT_NO_FATAL_FAILURE(start());
  std::size_t from = observer_->size();
  sim_->set_pull(kButton, true);
  ASSERT_TRUE(expect("kernel/button/state", "ON", from));
  auto rising = event("button", "rising", from);
  ASSERT_TRUE(rising);
  EXPECT_NE(observer_->messages()[*rising].payload.find("\"timestamp_ns\":"), std::string::npos);
  EXPECT_FALSE(observer_->messages()[*rising].retained);
  sim_->set_pull(kButton, false);
  ASSERT_TRUE(expect("kernel/button/state", "OFF", *rising + 1));
  EXPECT_TRUE(event("button", "falling", *rising + 1));
}

TEST_F(ADaemonOnAKernelChip, PublishesOnlyRisingEventsForARisingLineButEveryState) {
  ASSERT_NO_FATAL_FAILURE(start());
  std::size_t from = observer_->size();
  sim_->set_pull(kDoor, true);
  ASSERT_TRUE(event("door", "rising", from));
  sim_->set_pull(kDoor, false);
  ASSERT_TRUE(expect("kernel/door/state", "OFF", from));
  ASSERT_NO_FATAL_FAILURE(settle());
  EXPECT_EQ(events_of("door", from), 1u);
}

TEST_F(ADaemonOnAKernelChip, PublishesOnlyFallingEventsForAFallingLineButEveryState) {
  ASSERT_NO_FATAL_FAILURE(start());
  std::size_t from = observer_->size();
  sim_->set_pull(kWindow, true);
  ASSERT_TRUE(expect("kernel/window/state", "ON", from));
  ASSERT_NO_FATAL_FAILURE(settle());
  EXPECT_EQ(events_of("window", from), 0u);
  sim_->set_pull(kWindow, false);
  EXPECT_TRUE(event("window", "falling", from));
  EXPECT_EQ(events_of("window", from), 1u);
}

TEST_F(ADaemonOnAKernelChip, CountsTheEdgesTheKernelDroppedAndPublishesTheTrueLevel) {
  ASSERT_NO_FATAL_FAILURE(start());
  std::size_t from = observer_->size();
  // The kernel's queue must overflow while the daemon reads nothing. How many events gpio-sim
  // makes of the writes, and how long its IRQ thread lags behind them, depend on the emulation (it
  // merges some; 6,001 writes stayed under uAPI v2's 1,024 on trixie, and 24,001 outlasted the
  // wait on bookworm, whose reader thread then kept up): rounds of twice as many writes each,
  // until one overflowed.
  auto dropped = [&] {
    return Contains(daemon_->log(), "line button (chip ") && Contains(daemon_->log(), "): the kernel dropped");
  };
  for (int round = 0; round < 4 && !dropped(); ++round) {
    daemon_->process().signal(SIGSTOP);
    const int writes = (6000 << round) + 1;
    for (int i = 1; i <= writes; ++i) sim_->set_pull(kButton, i % 2 == 1);  // ends high
    // The kernel's IRQ threads queue the events behind the writes: wait until they have.
    if (!wait_until_gpiosim_irqs_handled(10s)) ADD_FAILURE() << "gpio-sim's interrupts went on";
    daemon_->process().signal(SIGCONT);
    (void)eventually(dropped, 5s);
  }
  ASSERT_TRUE(dropped()) << daemon_->log();
  // Whatever the kernel kept, the last state published is the line's.
  ASSERT_TRUE(expect("kernel/button/state", "ON", from));
  ASSERT_NO_FATAL_FAILURE(settle());
  EXPECT_EQ(observer_->payloads_on("kernel/button/state").back(), "ON");
}

TEST_F(ADaemonOnAKernelChip, SetsTheKernelLevelOnCommand) {
  ASSERT_NO_FATAL_FAILURE(start());
  std::size_t from = observer_->size();
  observer_->publish("kernel/relay/set", "OFF");
  ASSERT_TRUE(expect("kernel/relay/state", "OFF", from));
  EXPECT_FALSE(sim_->value(kRelay));
  observer_->publish("kernel/lamp/set", "TOGGLE");
  ASSERT_TRUE(expect("kernel/lamp/state", "ON", from));
  EXPECT_TRUE(sim_->value(kLamp));
  observer_->publish("kernel/relay/set", R"({"state":"ON"})");
  ASSERT_TRUE(expect("kernel/relay/state", "ON", from));
  EXPECT_TRUE(sim_->value(kRelay));
}

TEST_F(ADaemonOnAKernelChip, AppliesOnDisconnectLevelsWhenTheBrokerGoes) {
  ASSERT_NO_FATAL_FAILURE(start());
  broker_->kill();
  EXPECT_TRUE(eventually([&] { return !sim_->value(kRelay) && sim_->value(kLamp); }, 10s))
      << "relay " << sim_->value(kRelay) << ", lamp " << sim_->value(kLamp);
}

TEST_F(ADaemonOnAKernelChip, AppliesOnDisconnectLevelsOnSigterm) {
  // gpio-sim gives a released line its pull back: pulls opposite to the on_disconnect levels tell
  // "applied, then released" from "released only", so the pins are watched while the daemon stops.
  sim_->set_pull(kRelay, true);
  sim_->set_pull(kLamp, false);
  ASSERT_NO_FATAL_FAILURE(start());
  std::size_t from = observer_->size();
  daemon_->process().signal(SIGTERM);
  bool applied = false;  // no sleeping between looks: the daemon may hold the levels only briefly
  for (auto deadline = std::chrono::steady_clock::now() + 10s;
       daemon_->process().running() && std::chrono::steady_clock::now() < deadline;)
    applied = applied || (!sim_->value(kRelay) && sim_->value(kLamp));
  EXPECT_EQ(daemon_->process().wait(1s), 0);
  EXPECT_TRUE(applied) << "relay OFF and lamp ON were never on the pins";
  EXPECT_TRUE(sim_->value(kRelay));  // released: back to the pulls
  EXPECT_FALSE(sim_->value(kLamp));
  auto relay_off = expect("kernel/relay/state", "OFF", from);
  auto lamp_on = expect("kernel/lamp/state", "ON", from);
  auto offline = expect("kernel/status", kOff, from);
  ASSERT_TRUE(relay_off && lamp_on && offline);
  EXPECT_LT(*relay_off, *offline);
  EXPECT_LT(*lamp_on, *offline);
}

TEST_F(ADaemonOnAKernelChip, OpensItsLinesAgainWhenTheChipComesBack) {
  ASSERT_NO_FATAL_FAILURE(start(config()));
  sim_->go_offline();  // unplugged: the request fds wake up with errors
  ASSERT_TRUE(eventually([&] { return daemon_->log().find("opening the lines again in") != std::string::npos; }, 20s));
  auto back = sim_labelled(sim_->label());
  ASSERT_TRUE(eventually([&] { return daemon_->log().find("the lines are back") != std::string::npos; }, 30s));
  EXPECT_TRUE(back->value(kRelay));  // driven again at the level it had: initial on
  std::size_t from = observer_->size();
  back->set_pull(kButton, true);
  EXPECT_TRUE(observer_->wait_for("kernel/button/state", "ON", from, 10s));
  EXPECT_TRUE(daemon_->process().running());
}

TEST_F(ADaemonOnAKernelChip, ExitsWith78NamingTheLabelsWhenNoChipHasTheLabel) {
  EXPECT_EQ(exit_status_of(config("label: no-such-chip")), 78);
  std::string log = daemon_->log();
  EXPECT_TRUE(Contains(log, "no chip labelled 'no-such-chip'"));
  EXPECT_TRUE(Contains(log, sim_->label() + " (" + sim_->dev_path() + ")"));
}

TEST_F(ADaemonOnAKernelChip, ExitsWith78SuggestingTheClosestLineName) {
  EXPECT_EQ(exit_status_of(config("label: " + sim_->label(), "lines:\n  button: {line: BUTON}\n")), 78);
  EXPECT_TRUE(Contains(daemon_->log(), "chip 'sim' has no line 'BUTON'; closest: BUTTON"));
}

TEST_F(ADaemonOnAKernelChip, ExitsWith69NamingWhoHoldsABusyLine) {
  auto provider = gpio::make_hardware_provider();
  auto holder = provider->open(sim_->dev_path())->request("other-program", {output(kRelay, false)});
  EXPECT_EQ(exit_status_of(config()), 69);
  EXPECT_TRUE(Contains(daemon_->log(), "line 'RELAY' (offset 3) of " + sim_->chip_name() + " [" + sim_->label() +
                                           "] is busy: it is held by 'other-program'"));
  EXPECT_FALSE(sim_->value(kRelay));  // the holder's level, untouched
}

}  // namespace
}  // namespace gpio2mqtt::kernel_test

// Inputs in mode: counter end to end: pulses driven through the simulated chip's control socket,
// counts read back from a real mosquitto, totals across clean stops, kills and reloads.
#include <sys/socket.h>
#include <sys/un.h>

#include <cstring>
#include <fstream>
#include <sstream>
#include <thread>

#include "daemon_fixture.h"
#include "util/unique_fd.h"

namespace gpio2mqtt::testing {
namespace {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

class ADaemonCountingPulses : public ADaemon {
 protected:
  std::string socket_path() const { return dir_ + "/control.sock"; }
  std::string state_dir() const { return dir_ + "/state"; }
  // `counter_extra`: more keys of the meter, each starting with ", ". Without `state_directory`,
  // the daemon must be given $STATE_DIRECTORY.
  std::string config(const std::string& counter_extra, bool state_directory = true) const {
    return "mqtt:\n  server: " + broker_->url() + "\n  client_id: gpio2mqtt-test\n  base_topic: raspberry\n" +
           "dbus: off\n" + (state_directory ? "state_directory: " + state_dir() + "\n" : "") +
           "chips:\n  main:\n    simulated:\n      lines: [GPIO17, GPIO22, GPIO27]\n      control: " + socket_path() +
           "\nlines:\n  meter: {line: GPIO17, mode: counter, edge: rising" + counter_extra +
           "}\n  relay: {line: GPIO27, direction: output}\n";
  }
  void connect_control() {
    control_.reset(socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0));
    sockaddr_un address{};
    address.sun_family = AF_UNIX;
    std::strncpy(address.sun_path, socket_path().c_str(), sizeof address.sun_path - 1);
    ASSERT_EQ(connect(control_.get(), reinterpret_cast<sockaddr*>(&address), sizeof address), 0)
        << std::strerror(errno);
  }
  void pull(bool level) {
    std::string command = level ? "pull GPIO17 1" : "pull GPIO17 0";
    ASSERT_EQ(send(control_.get(), command.data(), command.size(), 0), static_cast<ssize_t>(command.size()));
  }
  // `count` pulses, as fast as the daemon takes them, or each `period` long (half of it high).
  void pulses(int count, Clock::duration period = {}) {
    auto next = Clock::now();
    for (int i = 0; i < count; ++i) {
      ASSERT_NO_FATAL_FAILURE(pull(true));
      if (period.count()) std::this_thread::sleep_until(next += period / 2);
      ASSERT_NO_FATAL_FAILURE(pull(false));
      if (period.count()) std::this_thread::sleep_until(next += period / 2);
    }
  }
  void start_counting(const std::string& config_yaml, std::vector<std::string> env = {}) {
    daemon_ = std::make_unique<Daemon>(dir_, config_yaml, std::move(env));
    ASSERT_TRUE(observer_->wait_for("raspberry/relay/state", "OFF", observed_)) << daemon_->log();
    ASSERT_NO_FATAL_FAILURE(connect_control());
  }
  // Waits for `count` on the count topic, published after message `observed_`.
  void expect_count(std::uint64_t count, std::chrono::milliseconds timeout = 10s) {
    auto at = observer_->wait_for("raspberry/meter/count", std::to_string(count), observed_, timeout);
    ASSERT_TRUE(at) << "no count " << count << "; last: " << last_count() << "\n" << daemon_->log();
    observed_ = *at + 1;
  }
  std::string last_count() const {
    auto counts = observer_->payloads_on("raspberry/meter/count");
    return counts.empty() ? "none" : counts.back();
  }
  // The count the state file holds (its third field), or -1.
  long long stored_count() const {
    std::ifstream in(state_dir() + "/counter-meter.state");
    std::string word[5];
    for (auto& w : word) in >> w;
    return word[1] == "counter" ? std::stoll(word[3]) : -1;
  }
  void stop_with(int signal) {
    daemon_->process().signal(signal);
    daemon_->process().wait(10s);
    observed_ = observer_->size();
  }
  // The count the daemon started from: one more pulse makes it count + 1.
  std::uint64_t count_after_a_restart(const std::string& config_yaml) {
    EXPECT_NO_FATAL_FAILURE(start_counting(config_yaml));
    pulses(1);
    auto at = observer_->wait_for([](const Received& m) { return m.topic == "raspberry/meter/count"; }, observed_);
    EXPECT_TRUE(at) << daemon_->log();
    // The first reading is the stored count; the pulse makes the next one.
    auto next = observer_->wait_for([](const Received& m) { return m.topic == "raspberry/meter/count"; },
                                    at ? *at + 1 : observed_);
    EXPECT_TRUE(next) << daemon_->log();
    if (!at || !next) return 0;
    std::uint64_t first = std::stoull(observer_->messages()[*at].payload);
    EXPECT_EQ(std::stoull(observer_->messages()[*next].payload), first + 1);
    return first;
  }

  UniqueFd control_;
  std::size_t observed_ = 0;
};

TEST_F(ADaemonCountingPulses, CountsTenThousandPulsesAtOneKilohertzExactly) {
  ASSERT_NO_FATAL_FAILURE(start_counting(config(", publish_interval: 200ms")));
  ASSERT_NO_FATAL_FAILURE(expect_count(0));
  std::size_t before = observer_->size();
  auto started = Clock::now();
  ASSERT_NO_FATAL_FAILURE(pulses(10'000, 1ms));
  ASSERT_NO_FATAL_FAILURE(expect_count(10'000));
  auto seconds = std::chrono::duration<double>(Clock::now() - started).count();
  EXPECT_TRUE(observer_->wait_for("raspberry/meter/total", "10", observed_)) << "the total follows its count";
  // Bounded by the publish interval, not by the pulse rate: about 5 a second.
  auto published = observer_->payloads_on("raspberry/meter/count", before).size();
  EXPECT_LE(published, static_cast<std::size_t>(seconds * 5) + 3) << "in " << seconds << " s";
  EXPECT_GE(published, 2u);
}

TEST_F(ADaemonCountingPulses, KeepsTheExactCountOverACleanStopAndRestart) {
  // persist_every far away: only the clean stop can have written the count.
  ASSERT_NO_FATAL_FAILURE(start_counting(config(", persist_every: 1h", false), {"STATE_DIRECTORY=" + state_dir()}));
  ASSERT_NO_FATAL_FAILURE(pulses(777));
  ASSERT_NO_FATAL_FAILURE(expect_count(777));
  stop_with(SIGTERM);
  EXPECT_EQ(stored_count(), 777);
  EXPECT_EQ(count_after_a_restart(config(", persist_every: 1h")), 777u);
}

TEST_F(ADaemonCountingPulses, LosesAtMostTheLastPersistWindowWhenKilledAndNeverCountsMore) {
  const std::string cfg = config(", persist_every: 1s, publish_interval: 50ms");
  ASSERT_NO_FATAL_FAILURE(start_counting(cfg));
  ASSERT_NO_FATAL_FAILURE(pulses(300));
  ASSERT_NO_FATAL_FAILURE(expect_count(300));
  ASSERT_TRUE(eventually([&] { return stored_count() == 300; }, 5s)) << stored_count();
  ASSERT_NO_FATAL_FAILURE(pulses(200));
  ASSERT_NO_FATAL_FAILURE(expect_count(500));
  stop_with(SIGKILL);
  std::uint64_t kept = count_after_a_restart(cfg);
  EXPECT_GE(kept, 300u) << "lost more than what came in the last persist_every";
  EXPECT_LE(kept, 500u) << "counted more than was pulsed";
}

TEST_F(ADaemonCountingPulses, KeepsTheCountOverAReloadThatChangesItsSettings) {
  ASSERT_NO_FATAL_FAILURE(start_counting(config("")));
  ASSERT_NO_FATAL_FAILURE(pulses(100));
  ASSERT_NO_FATAL_FAILURE(expect_count(100));
  write_file(daemon_->config_path(), config(", pulses_per_unit: 100, unit: m³"));
  daemon_->process().signal(SIGHUP);
  ASSERT_TRUE(eventually([&] { return daemon_->log().find("reloaded") != std::string::npos; }, 10s)) << daemon_->log();
  ASSERT_NO_FATAL_FAILURE(pulses(1));
  ASSERT_NO_FATAL_FAILURE(expect_count(101));
  EXPECT_TRUE(observer_->wait_for("raspberry/meter/total", "1.01", observed_)) << "100 pulses per m³ now";
}

TEST_F(ADaemonCountingPulses, TakesItsTotalFromASetCommandAndKeepsIt) {
  ASSERT_NO_FATAL_FAILURE(start_counting(config(", persist_every: 1h")));
  ASSERT_NO_FATAL_FAILURE(expect_count(0));
  observer_->publish("raspberry/meter/set", "12345.678");
  ASSERT_NO_FATAL_FAILURE(expect_count(12'345'678));
  EXPECT_EQ(stored_count(), 12'345'678) << "a set is stored at once";
  observer_->publish("raspberry/meter/set", "twelve");
  ASSERT_TRUE(eventually([&] { return daemon_->log().find("rejected command") != std::string::npos; }, 10s));
  observer_->publish("raspberry/meter/set", "reset");
  ASSERT_NO_FATAL_FAILURE(expect_count(0));
  EXPECT_EQ(stored_count(), 0);
}

TEST_F(ADaemonCountingPulses, RefusesToStartACounterWithoutAStateDirectory) {
  daemon_ = std::make_unique<Daemon>(dir_, config("", false));
  EXPECT_EQ(daemon_->process().wait(10s), 78);
  EXPECT_NE(daemon_->log().find("config.yaml:12:3: line 'meter': a counter keeps its total in a state directory"),
            std::string::npos)
      << daemon_->log();
}

}  // namespace
}  // namespace gpio2mqtt::testing

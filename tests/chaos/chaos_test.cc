// Chaos ("lossless delivery"): the daemon streams edges while its broker is SIGKILLed and
// restarted again and again, and at QoS 1 every event must still arrive (duplicates are allowed);
// and the daemon itself, SIGKILLed and restarted while edges stream, leaves Off behind (its will)
// and comes back On with its states right.
//
// The broker must not lose what it acknowledged either, or a loss would not be the daemon's. So it
// keeps the subscriber's session on disk (persistence, saved every second or two), has no inflight
// or queue limit (nothing for a connected subscriber waits in its memory), logs every packet
// (mosquitto-N.log in the test's directory: whose loss it was), and is only killed once the
// subscriber is back and has every edge driven so far: what the broker queued for it while either
// was away lives in its memory only, until the next save. The kill then comes just after the next
// edge, while the daemon publishes it.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <iostream>
#include <optional>
#include <thread>
#include <vector>

#include "broker_and_daemon.h"
#include "control_socket.h"
#include "edge_stream.h"
#include "sequence_counter.h"

namespace gpio2mqtt::testing {
namespace {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

// The inode of `path`, or nullopt while it does not exist.
std::optional<ino_t> inode_of(const std::string& path) {
  struct stat st {};
  if (stat(path.c_str(), &st) != 0) return std::nullopt;
  return st.st_ino;
}

class ADaemonUnderChaos : public BrokerAndDaemon {
 protected:
  ADaemonUnderChaos() : BrokerAndDaemon("gpio2mqtt-chaos", "raspberry") {}
  std::string socket_path() const { return dir_ + "/control.sock"; }
  std::string config(const std::string& lines) const {
    return "mqtt:\n  server: " + broker_->url() +
           "\n  client_id: gpio2mqtt-chaos\n  keepalive: 2s\n  base_topic: raspberry\n  qos: 1\n"
           "  status: {topic: raspberry/status, online: '" +
           kOn + "', offline: '" + kOff +
           "'}\ndbus: off\nchips:\n  main:\n    simulated:\n      lines: [GPIO17, GPIO27]\n      control: " +
           socket_path() + "\nlines:\n" + lines;
  }
  void record(const char* key, std::size_t value) { RecordProperty(key, std::to_string(value)); }
};

TEST_F(ADaemonUnderChaos, LosesNoEdgeAtQos1WhileTheBrokerIsKilledTwentyTimes) {
  constexpr int kEdges = 10'000, kHz = 200, kKills = 20, kPerCycle = kEdges / kKills;
  // Running as root, mosquitto would switch to its own user, who cannot write in our directory.
  start_broker("", std::string(geteuid() == 0 ? "user root\n" : "") + "persistence true\npersistence_location " + dir_ +
                       "/\nautosave_interval 1\nmax_inflight_messages 0\nmax_queued_messages 0\nlog_type all\n");
  const std::string db = dir_ + "/mosquitto.db";

  SequenceCounter subscriber(broker_->url(), "raspberry/button/event", kEdges);
  ASSERT_TRUE(subscriber.wait_subscribed(1, 10s));
  // The session (the subscription) must be on disk before the first kill: a save after the SUBACK.
  auto before = inode_of(db);
  ASSERT_TRUE(eventually([&] { return inode_of(db) && inode_of(db) != before; }, 10s)) << "mosquitto never saved";

  start_daemon(config("  button: {line: GPIO17}\n"));
  {
    MqttTestClient observer(broker_->url(), "chaos-observer");
    observer.subscribe("raspberry/status");
    ASSERT_TRUE(observer.wait_for("raspberry/status", kOn, 0, 10s));
  }

  ControlSocket control(socket_path());
  auto started = Clock::now();
  EdgeStream stream(control, "GPIO17", kEdges, kHz);
  for (int kill = 1; kill <= kKills; ++kill) {
    ASSERT_TRUE(stream.wait_driven(kill * kPerCycle - kPerCycle / 2, 60s));
    // What the broker queued for the subscriber while either was away lives in its memory only
    // (until the next save), and so do messages it holds for the subscriber: it must be back and
    // have every edge driven so far (held meanwhile, so this holds however slow the machine is).
    int driven = stream.hold();
    bool caught_up = subscriber.wait_caught_up(driven, 30s);
    stream.release();
    ASSERT_TRUE(caught_up) << "kill " << kill << ": the subscriber did not catch up with edge " << driven << ": "
                           << subscriber.describe();
    // Then the kill comes 0 to 0.75 ms after the next edge: while the daemon publishes it (so the
    // broker may have it, or not, or have acknowledged it, or not).
    int at_kill = driven + 1;
    ASSERT_TRUE(stream.wait_driven(at_kill, 10s));
    std::this_thread::sleep_for(std::chrono::microseconds(250 * (kill % 4)));
    broker_->kill();
    broker_->start();
    std::cout << "[chaos] kill " << kill << " after edge " << at_kill << ", up again after edge " << stream.driven()
              << std::endl;
  }
  ASSERT_TRUE(stream.wait_done(60s));
  EXPECT_EQ(stream.unsent(), 0) << "the daemon did not take every datagram";
  bool complete = subscriber.wait_caught_up(kEdges, 60s);
  auto elapsed = std::chrono::duration<double>(Clock::now() - started).count();

  auto c = subscriber.counts();
  std::cout << "[chaos] " << kKills << " broker kills, " << kEdges << " edges at " << kHz << " Hz: received "
            << c.received << ", unique " << c.unique << ", missing " << c.missing << ", duplicates " << c.duplicates
            << ", subscriber connects " << c.connects << ", elapsed " << elapsed << " s (the stream held "
            << stream.held_ms() << " ms in all)" << std::endl;
  record("received", c.received);
  record("unique", c.unique);
  record("missing", c.missing);
  record("duplicates", c.duplicates);
  RecordProperty("elapsed_s", std::to_string(elapsed));
  EXPECT_TRUE(complete);
  EXPECT_EQ(c.foreign, 0u) << "events without a seq in 1.." << kEdges;
  EXPECT_EQ(c.missing, 0u) << "missing:" << c.missing_ranges;
}

TEST_F(ADaemonUnderChaos, LeavesOffThenSaysOnAndRightStatesWhenItIsKilledAndRestarted) {
  constexpr int kRounds = 5, kHz = 200, kStreamed = 200;
  start_broker();
  observe("raspberry/status");
  observe("raspberry/+/state");
  observe("raspberry/button/event");
  const std::string yaml = config(
      "  button: {line: GPIO17}\n"
      "  relay: {line: GPIO27, direction: output, initial: on, on_disconnect: keep}\n");

  start_daemon(yaml);
  ASSERT_TRUE(came_online());
  ControlSocket control(socket_path());
  for (int round = 1; round <= kRounds; ++round) {
    SCOPED_TRACE("round " + std::to_string(round));
    // The relay away from its initial level, so that coming back to it after the restart shows.
    std::size_t from = observer_->size();
    observer_->publish("raspberry/relay/set", "OFF");
    ASSERT_TRUE(expect("raspberry/relay/state", "OFF", from));
    {
      EdgeStream stream(control, "GPIO17", kStreamed, kHz);
      ASSERT_TRUE(stream.wait_driven(kStreamed / 2, 10s));
      ASSERT_TRUE(observer_->wait_for([](const Received& r) { return r.topic == "raspberry/button/event"; }, from, 10s))
          << "no event before the kill";
      from = observer_->size();
      daemon_->process().signal(SIGKILL);  // mid-stream; the kernel closes its socket at once
      ASSERT_EQ(daemon_->process().wait(5s), 128 + SIGKILL);
      ASSERT_TRUE(stream.wait_done(10s));  // the rest finds nobody listening
      EXPECT_GT(stream.unsent(), 0);
    }
    auto off = expect("raspberry/status", kOff, from);
    ASSERT_TRUE(off);

    start_daemon(yaml);
    auto on = expect("raspberry/status", kOn, *off + 1);
    ASSERT_TRUE(on);
    // A restarted daemon drives the relay to its initial level again and says so; the input reads
    // what the (new) simulated chip reads: its pull does not outlive the process, so low.
    EXPECT_TRUE(expect("raspberry/relay/state", "ON", *on + 1));
    EXPECT_TRUE(expect("raspberry/button/state", "OFF", *on + 1));
    EXPECT_EQ(observer_->payloads_on("raspberry/status", *on + 1), std::vector<std::string>{}) << "a status after On";
    // Its input works: an edge pulled through the new socket arrives, counted from 1 again.
    from = observer_->size();
    ASSERT_TRUE(control.pull("GPIO17", true));
    EXPECT_TRUE(expect("raspberry/button/state", "ON", from));
    auto event = observer_->wait_for([](const Received& r) { return r.topic == "raspberry/button/event"; }, from, 10s);
    ASSERT_TRUE(event);
    EXPECT_EQ(seq_of(observer_->messages()[*event].payload), 1) << observer_->messages()[*event].payload;
    from = observer_->size();
    ASSERT_TRUE(control.pull("GPIO17", false));
    EXPECT_TRUE(expect("raspberry/button/state", "OFF", from));
  }
  // The last states are retained: a newcomer sees them.
  MqttTestClient late(broker_->url(), "chaos-late");
  late.subscribe("raspberry/#");
  EXPECT_TRUE(late.wait_for("raspberry/status", kOn, 0, 10s));
  EXPECT_TRUE(late.wait_for("raspberry/relay/state", "ON", 0, 10s));
  EXPECT_TRUE(late.wait_for("raspberry/button/state", "OFF", 0, 10s));
}

}  // namespace
}  // namespace gpio2mqtt::testing

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
#include <mqtt/async_client.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <chrono>
#include <condition_variable>
#include <cstring>
#include <iostream>
#include <mutex>
#include <optional>
#include <regex>
#include <thread>
#include <vector>

#include "daemon.h"
#include "mosquitto.h"
#include "mqtt_client.h"
#include "util/unique_fd.h"

namespace gpio2mqtt::testing {
namespace {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

const std::string kOn = R"({"status":"On"})";
const std::string kOff = R"({"status":"Off"})";

// Sends `pull LINE 0|1` datagrams to a simulated chip's control socket, one per edge.
class Puller {
 public:
  explicit Puller(std::string path) : path_(std::move(path)), fd_(socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0)) {}
  // False while nobody listens (the daemon is down): the caller decides whether that matters.
  bool pull(const std::string& line, bool high) {
    sockaddr_un address{};
    address.sun_family = AF_UNIX;
    std::strncpy(address.sun_path, path_.c_str(), sizeof address.sun_path - 1);
    std::string command = "pull " + line + (high ? " 1" : " 0");
    return sendto(fd_.get(), command.data(), command.size(), 0, reinterpret_cast<sockaddr*>(&address),
                  sizeof address) == static_cast<ssize_t>(command.size());
  }

 private:
  std::string path_;
  UniqueFd fd_;
};

// Drives `count` edges (rising first) at `hz` on a thread, paced by steady_clock deadlines. It
// can be held between two edges for a moment; the pace then resumes from there.
class EdgeStream {
 public:
  EdgeStream(Puller& puller, std::string line, int count, int hz) : count_(count) {
    thread_ = std::thread([this, &puller, line = std::move(line), hz] {
      auto start = Clock::now();
      for (int i = 1; i <= count_; ++i) {
        {
          std::unique_lock lock(mutex_);
          if (stop_) break;
          if (hold_) {
            auto held = Clock::now();
            holding_ = true;
            changed_.notify_all();
            changed_.wait(lock, [&] { return !hold_ || stop_; });
            holding_ = false;
            held_for_ += Clock::now() - held;
            start += Clock::now() - held;
          }
        }
        std::this_thread::sleep_until(start + std::chrono::microseconds(1'000'000LL * (i - 1) / hz));
        bool sent = puller.pull(line, i % 2 == 1);
        std::lock_guard lock(mutex_);
        driven_ = i;
        if (!sent) ++unsent_;
        changed_.notify_all();
      }
      std::lock_guard lock(mutex_);
      done_ = true;
      changed_.notify_all();
    });
  }
  ~EdgeStream() {
    {
      std::lock_guard lock(mutex_);
      stop_ = true;
      changed_.notify_all();
    }
    thread_.join();
  }
  // Stops it before its next edge; returns how many it drove.
  int hold() {
    std::unique_lock lock(mutex_);
    hold_ = true;
    changed_.wait(lock, [&] { return holding_ || done_; });
    return driven_;
  }
  void release() {
    std::lock_guard lock(mutex_);
    hold_ = false;
    changed_.notify_all();
  }
  // Waits until at least `n` edges were driven (or the stream ended); true if they were.
  bool wait_driven(int n, std::chrono::milliseconds timeout) {
    std::unique_lock lock(mutex_);
    changed_.wait_for(lock, timeout, [&] { return driven_ >= n || done_; });
    return driven_ >= n;
  }
  bool wait_done(std::chrono::milliseconds timeout) {
    std::unique_lock lock(mutex_);
    return changed_.wait_for(lock, timeout, [&] { return done_; });
  }
  int driven() const {
    std::lock_guard lock(mutex_);
    return driven_;
  }
  int unsent() const {
    std::lock_guard lock(mutex_);
    return unsent_;
  }
  double held_ms() const {
    std::lock_guard lock(mutex_);
    return std::chrono::duration<double, std::milli>(held_for_).count();
  }

 private:
  int count_;
  mutable std::mutex mutex_;
  std::condition_variable changed_;
  bool stop_ = false, hold_ = false, holding_ = false, done_ = false;
  int driven_ = 0;
  int unsent_ = 0;
  Clock::duration held_for_{};
  std::thread thread_;
};

std::optional<int> seq_of(const std::string& payload) {
  static const std::regex seq(R"("seq":(\d+))");
  std::smatch match;
  if (!std::regex_search(payload, match, seq)) return std::nullopt;
  return std::stoi(match[1]);
}

// A subscriber that survives broker restarts: a persistent session (MQTT 3.1.1, clean session
// off, a fixed client id), reconnecting by itself, and a QoS 1 subscription made again on every
// connect. It counts the events by their seq.
class SequenceCounter {
 public:
  SequenceCounter(const std::string& url, std::string topic, int expected)
      : topic_(std::move(topic)),
        seen_(static_cast<std::size_t>(expected) + 1, 0),
        client_(url, "chaos-subscriber", ::mqtt::create_options(MQTTVERSION_3_1_1), nullptr) {
    client_.set_connected_handler([this](const std::string&) {
      {
        std::lock_guard lock(mutex_);
        connected_ = true;
        ++connects_;
        changed_.notify_all();
      }
      try {
        client_.subscribe(topic_, 1, nullptr, subscribed_);  // not waited for: this is paho's thread
      } catch (const ::mqtt::exception&) {
        // lost again at once: the next connect subscribes
      }
    });
    client_.set_connection_lost_handler([this](const std::string&) {
      std::lock_guard lock(mutex_);
      connected_ = false;
      changed_.notify_all();
    });
    client_.set_message_callback([this](::mqtt::const_message_ptr message) {
      auto seq = seq_of(message->get_payload_str());
      std::lock_guard lock(mutex_);
      ++received_;
      if (!seq || *seq < 1 || static_cast<std::size_t>(*seq) >= seen_.size()) {
        ++foreign_;
      } else if (seen_[static_cast<std::size_t>(*seq)]++ == 0) {
        ++unique_;
        while (caught_up_ + 1 < seen_.size() && seen_[caught_up_ + 1]) ++caught_up_;
      }
      changed_.notify_all();
    });
    options_ = ::mqtt::connect_options_builder()
                   .mqtt_version(MQTTVERSION_3_1_1)
                   .clean_session(false)
                   .keep_alive_interval(10s)
                   .finalize();
    reconnector_ = std::thread([this] { keep_connected(); });
  }
  ~SequenceCounter() {
    {
      std::lock_guard lock(mutex_);
      stopping_ = true;
      changed_.notify_all();
    }
    reconnector_.join();
    try {
      client_.disconnect()->wait_for(2s);
    } catch (const std::exception&) {
    }
  }

  // Waits until the subscription was acknowledged `n` times in all.
  bool wait_subscribed(int n, std::chrono::milliseconds timeout) {
    return wait(timeout, [&] { return subscribed_.count >= n; });
  }
  // Waits until it is connected and has every seq up to `n`.
  bool wait_caught_up(int n, std::chrono::milliseconds timeout) {
    return wait(timeout, [&] { return connected_ && caught_up_ >= static_cast<std::size_t>(n); });
  }

  std::string describe() const {
    auto c = counts();
    std::lock_guard lock(mutex_);
    return (connected_ ? "connected" : "not connected") + std::string(", every seq up to ") +
           std::to_string(caught_up_) + ", received " + std::to_string(c.received) + ", unique " +
           std::to_string(c.unique) + ", missing:" + c.missing_ranges;
  }

  struct Counts {
    std::size_t received, unique, missing, duplicates, foreign, connects;
    std::string missing_ranges;  // "a-b c-d ..." (the first 20)
  };
  Counts counts() const {
    std::lock_guard lock(mutex_);
    Counts c{received_, unique_, 0, 0, foreign_, connects_, {}};
    int ranges = 0;
    for (std::size_t seq = 1; seq < seen_.size(); ++seq) {
      if (seen_[seq] == 0) {
        ++c.missing;
        if ((seq == 1 || seen_[seq - 1] != 0) && ++ranges <= 20) c.missing_ranges += " " + std::to_string(seq) + "-";
        if ((seq + 1 == seen_.size() || seen_[seq + 1] != 0) && ranges <= 20) c.missing_ranges += std::to_string(seq);
      } else {
        c.duplicates += seen_[seq] - 1;
      }
    }
    return c;
  }

 private:
  // Counts SUBACKs (on paho's thread); read under mutex_ by the waits.
  struct Subscribed : ::mqtt::iaction_listener {
    explicit Subscribed(SequenceCounter& counter) : owner(counter) {}
    void on_success(const ::mqtt::token&) override {
      std::lock_guard lock(owner.mutex_);
      ++count;
      owner.changed_.notify_all();
    }
    void on_failure(const ::mqtt::token&) override {}
    SequenceCounter& owner;
    int count = 0;
  };

  // Connects, and again whenever the connection is lost, every 50 ms until it is back. (paho's
  // automatic reconnect waits at least 1 s before the first attempt, and its connect takes up to
  // another second: the broker's restarts would come faster than the subscriber.)
  void keep_connected() {
    while (true) {
      {
        std::unique_lock lock(mutex_);
        changed_.wait(lock, [&] { return stopping_ || !connected_; });
        if (stopping_) return;
      }
      if (!client_.is_connected()) try {
          client_.connect(options_)->wait_for(2s);
        } catch (const ::mqtt::exception&) {
          // refused (the broker is not back yet) or already in progress: try again
        }
      std::unique_lock lock(mutex_);
      changed_.wait_for(lock, 50ms, [&] { return stopping_ || connected_; });
    }
  }

  template <typename F>
  bool wait(std::chrono::milliseconds timeout, F&& condition) {
    std::unique_lock lock(mutex_);
    return changed_.wait_for(lock, timeout, condition);
  }

  // Everything paho's thread touches is declared before client_, so it outlives it.
  std::string topic_;
  mutable std::mutex mutex_;
  std::condition_variable changed_;
  bool connected_ = false;
  std::size_t connects_ = 0;
  std::vector<std::size_t> seen_;  // by seq: how often it arrived
  std::size_t caught_up_ = 0;      // every seq up to this arrived
  std::size_t received_ = 0, unique_ = 0, foreign_ = 0;
  bool stopping_ = false;
  Subscribed subscribed_{*this};
  ::mqtt::async_client client_;
  ::mqtt::connect_options options_;
  std::thread reconnector_;  // keep_connected()
};

// The inode of `path`, or nullopt while it does not exist.
std::optional<ino_t> inode_of(const std::string& path) {
  struct stat st {};
  if (stat(path.c_str(), &st) != 0) return std::nullopt;
  return st.st_ino;
}

class ADaemonUnderChaos : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!Mosquitto::available()) GTEST_SKIP() << "mosquitto is not installed (apt-get install mosquitto)";
    dir_ = make_temp_dir("gpio2mqtt-chaos");
  }
  void TearDown() override {
    if (HasFailure() && daemon_) {
      std::string log = daemon_->log();
      constexpr std::size_t kTail = 20'000;
      std::cerr << "--- gpio2mqtt log (last " << kTail << " characters; all of it in " << dir_ << ") ---\n"
                << (log.size() > kTail ? log.substr(log.size() - kTail) : log) << "---\n";
    }
  }
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

  std::string dir_;
  std::unique_ptr<Mosquitto> broker_;
  std::unique_ptr<Daemon> daemon_;
};

TEST_F(ADaemonUnderChaos, LosesNoEdgeAtQos1WhileTheBrokerIsKilledTwentyTimes) {
  constexpr int kEdges = 10'000, kHz = 200, kKills = 20, kPerCycle = kEdges / kKills;
  // Running as root, mosquitto would switch to its own user, who cannot write in our directory.
  broker_ = std::make_unique<Mosquitto>(
      dir_, "",
      std::string(geteuid() == 0 ? "user root\n" : "") + "persistence true\npersistence_location " + dir_ +
          "/\nautosave_interval 1\nmax_inflight_messages 0\nmax_queued_messages 0\nlog_type all\n");
  const std::string db = dir_ + "/mosquitto.db";

  SequenceCounter subscriber(broker_->url(), "raspberry/button/event", kEdges);
  ASSERT_TRUE(subscriber.wait_subscribed(1, 10s));
  // The session (the subscription) must be on disk before the first kill: a save after the SUBACK.
  auto before = inode_of(db);
  ASSERT_TRUE(eventually([&] { return inode_of(db) && inode_of(db) != before; }, 10s)) << "mosquitto never saved";

  daemon_ = std::make_unique<Daemon>(dir_, config("  button: {line: GPIO17}\n"));
  {
    MqttTestClient observer(broker_->url(), "chaos-observer");
    observer.subscribe("raspberry/status");
    ASSERT_TRUE(observer.wait_for("raspberry/status", kOn, 0, 10s)) << daemon_->log();
  }

  Puller puller(socket_path());
  auto started = Clock::now();
  EdgeStream stream(puller, "GPIO17", kEdges, kHz);
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
  broker_ = std::make_unique<Mosquitto>(dir_);
  MqttTestClient observer(broker_->url(), "chaos-observer");
  observer.subscribe("raspberry/status");
  observer.subscribe("raspberry/+/state");
  observer.subscribe("raspberry/button/event");
  const std::string yaml = config(
      "  button: {line: GPIO17}\n"
      "  relay: {line: GPIO27, direction: output, initial: on, on_disconnect: keep}\n");
  auto expect = [&](const std::string& topic, const std::string& payload, std::size_t from) {
    auto at = observer.wait_for(topic, payload, from, 10s);
    EXPECT_TRUE(at) << "no " << topic << " " << payload << " after message " << from;
    return at;
  };

  daemon_ = std::make_unique<Daemon>(dir_, yaml);
  ASSERT_TRUE(expect("raspberry/status", kOn, 0));
  Puller puller(socket_path());
  for (int round = 1; round <= kRounds; ++round) {
    SCOPED_TRACE("round " + std::to_string(round));
    // The relay away from its initial level, so that coming back to it after the restart shows.
    std::size_t from = observer.size();
    observer.publish("raspberry/relay/set", "OFF");
    ASSERT_TRUE(expect("raspberry/relay/state", "OFF", from));
    {
      EdgeStream stream(puller, "GPIO17", kStreamed, kHz);
      ASSERT_TRUE(stream.wait_driven(kStreamed / 2, 10s));
      ASSERT_TRUE(observer.wait_for([](const Received& r) { return r.topic == "raspberry/button/event"; }, from, 10s))
          << "no event before the kill";
      from = observer.size();
      daemon_->process().signal(SIGKILL);  // mid-stream; the kernel closes its socket at once
      ASSERT_EQ(daemon_->process().wait(5s), 128 + SIGKILL);
      ASSERT_TRUE(stream.wait_done(10s));  // the rest finds nobody listening
      EXPECT_GT(stream.unsent(), 0);
    }
    auto off = expect("raspberry/status", kOff, from);
    ASSERT_TRUE(off);

    daemon_ = std::make_unique<Daemon>(dir_, yaml);
    auto on = expect("raspberry/status", kOn, *off + 1);
    ASSERT_TRUE(on) << daemon_->log();
    // A restarted daemon drives the relay to its initial level again and says so; the input reads
    // what the (new) simulated chip reads: its pull does not outlive the process, so low.
    EXPECT_TRUE(expect("raspberry/relay/state", "ON", *on + 1));
    EXPECT_TRUE(expect("raspberry/button/state", "OFF", *on + 1));
    EXPECT_EQ(observer.payloads_on("raspberry/status", *on + 1), std::vector<std::string>{}) << "a status after On";
    // Its input works: an edge pulled through the new socket arrives, counted from 1 again.
    from = observer.size();
    ASSERT_TRUE(puller.pull("GPIO17", true));
    EXPECT_TRUE(expect("raspberry/button/state", "ON", from));
    auto event = observer.wait_for([](const Received& r) { return r.topic == "raspberry/button/event"; }, from, 10s);
    ASSERT_TRUE(event);
    EXPECT_EQ(seq_of(observer.messages()[*event].payload), 1) << observer.messages()[*event].payload;
    from = observer.size();
    ASSERT_TRUE(puller.pull("GPIO17", false));
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

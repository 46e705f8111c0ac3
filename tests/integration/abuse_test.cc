// Broker-side abuse: a hostile client on the daemon's broker floods commands, sends
// 1 MiB payloads, retained commands, invalid UTF-8 and NUL bytes, and odd topics. Through all
// of it the daemon must live, keep answering a well-behaved client's `get` within a deadline,
// drive nothing it should not, and keep its memory small.
//
// The hostile clients are real: mosquitto_pub processes (one per topic, all at once, as fast as
// they go: `-l` publishes a message per line of its input) and the paho test client.
#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <iostream>
#include <sstream>

#include "daemon_fixture.h"

namespace gpio2mqtt::testing {
namespace {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

// Sanitizer builds (scripts/test runs these tests under ASan and TSan too) are slower and keep
// far more memory (ASan's quarantine, TSan's shadow): their bounds are scaled.
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
#define GPIO2MQTT_TEST_SANITIZED 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer) || __has_feature(thread_sanitizer)
#define GPIO2MQTT_TEST_SANITIZED 1
#endif
#endif
#ifdef GPIO2MQTT_TEST_SANITIZED
constexpr int kSlow = 4;
constexpr long kMaxHwmKb = 1024 * 1024;
#else
constexpr int kSlow = 1;
// The Debug build's daemon (amd64) peaks at about 12 MB, 16 MB after the 1 MiB payloads.
constexpr long kMaxHwmKb = 64 * 1024;
#endif
constexpr std::chrono::milliseconds kAnswerDeadline = 5s * kSlow;

constexpr const char* kMosquittoPub = "/usr/bin/mosquitto_pub";

struct Memory {
  long rss_kb = -1;  // VmRSS: resident now
  long hwm_kb = -1;  // VmHWM: the most ever resident
};

Memory memory_of(pid_t pid) {
  std::ifstream status("/proc/" + std::to_string(pid) + "/status");
  Memory memory;
  std::string line;
  while (std::getline(status, line)) {
    std::istringstream fields(line);
    std::string key;
    long kb = -1;
    fields >> key >> kb;
    if (key == "VmRSS:") memory.rss_kb = kb;
    if (key == "VmHWM:") memory.hwm_kb = kb;
  }
  return memory;
}

std::size_t count(const std::string& text, const std::string& what) {
  std::size_t n = 0;
  for (auto at = text.find(what); at != std::string::npos; at = text.find(what, at + what.size())) ++n;
  return n;
}

// A `get` answered: the state, how long after the first `get` it came, and how many were sent.
struct Answer {
  std::string state;
  std::chrono::milliseconds took{};
  int gets = 0;
};

class ADaemonUnderBrokerAbuse : public ADaemon {
 protected:
  void SetUp() override {
    ADaemon::SetUp();
    if (IsSkipped()) return;
    if (access(kMosquittoPub, X_OK) != 0) GTEST_SKIP() << "mosquitto_pub is not installed (mosquitto-clients)";
    user_ = std::make_unique<MqttTestClient>(broker_->url(), "well-behaved");
    user_->subscribe("raspberry/+/state");
  }

  // The demo config with one more input, "door", wired to nothing: its state never changes, so
  // a state message on it after a `get` is the answer to that `get` and nothing else.
  std::string config(const std::string& version = "5") const {
    return demo_config(broker_->url(), "60s", version) + "  door: {line: GPIO17, direction: input}\n";
  }
  void start_abused(const std::string& version = "5") {
    ASSERT_NO_FATAL_FAILURE(start(config(version)));
    // The well-behaved client too has the states published on connect, so they are not
    // mistaken later for answers.
    for (std::string line : {"button", "relay", "door"})
      ASSERT_TRUE(user_->wait_for("raspberry/" + line + "/state", "OFF")) << line;
    baseline_ = memory_of(daemon_->process().pid());
  }

  // A hostile mosquitto_pub with `args`, reading messages from `input` (one per line) if given.
  std::unique_ptr<Process> hostile(std::vector<std::string> args, const std::string& input = "") {
    std::string name = "hostile-" + std::to_string(++hostiles_);
    std::vector<std::string> argv{"sh",
                                  "-c",
                                  "exec \"$0\" \"$@\"" + (input.empty() ? "" : " < " + input),
                                  kMosquittoPub,
                                  "-h",
                                  "127.0.0.1",
                                  "-p",
                                  std::to_string(broker_->port()),
                                  "-i",
                                  name};
    argv.insert(argv.end(), args.begin(), args.end());
    return std::make_unique<Process>(argv, dir_ + "/" + name + ".log");
  }
  // One that publishes `count` messages to `topic` at `qos`, cycling through `payloads`.
  std::unique_ptr<Process> flooder(const std::string& topic, const std::vector<std::string>& payloads, int count,
                                   int qos) {
    std::string input = dir_ + "/flood-" + std::to_string(hostiles_ + 1) + ".txt";
    std::string text;
    for (int i = 0; i < count; ++i) text += payloads[static_cast<std::size_t>(i) % payloads.size()] + "\n";
    write_file(input, text);
    return hostile({"-q", std::to_string(qos), "-t", topic, "-l"}, input);
  }

  // The well-behaved client publishes raspberry/<line>/get until the line's state comes back,
  // within `deadline`: again every `every`, because under a flood a `get` is a message like any
  // other (the broker's queue for the daemon, the daemon's queue of 1000, and the line's rate
  // limit may each drop it). QoS 1, so it queues behind a QoS 1 flood instead of overtaking it.
  std::optional<Answer> ask(const std::string& line, std::chrono::milliseconds every = 1s,
                            std::chrono::milliseconds deadline = kAnswerDeadline) {
    const std::string state_topic = "raspberry/" + line + "/state";
    auto started = Clock::now();
    std::size_t from = user_->size();
    Answer answer;
    while (Clock::now() - started < deadline) {
      user_->publish("raspberry/" + line + "/get", "", false, 1);
      ++answer.gets;
      auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - (Clock::now() - started));
      auto at = user_->wait_for([&](const Received& r) { return r.topic == state_topic; }, from,
                                std::max(0ms, std::min(every, left)));
      if (at) {
        answer.took = std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - started);
        answer.state = user_->messages()[*at].payload;
        return answer;
      }
    }
    return std::nullopt;
  }

  // Alive, answering a `get` on the quiet line within the deadline, and within its memory bound.
  void expect_healthy(const std::string& what) {
    ASSERT_TRUE(daemon_->process().running()) << "the daemon died: " << what;
    auto answer = ask("door");
    ASSERT_TRUE(answer) << "no answer to a get within " << kAnswerDeadline.count() << " ms: " << what;
    EXPECT_EQ(answer->state, "OFF");
    Memory now = memory_of(daemon_->process().pid());
    EXPECT_LT(now.hwm_kb, kMaxHwmKb) << what;
    report(what + ": door get answered in " + std::to_string(answer->took.count()) + " ms (" +
           std::to_string(answer->gets) + " gets); VmRSS " + std::to_string(baseline_.rss_kb) + " -> " +
           std::to_string(now.rss_kb) + " kB, VmHWM " + std::to_string(baseline_.hwm_kb) + " -> " +
           std::to_string(now.hwm_kb) + " kB");
  }
  void report(const std::string& text) {
    RecordProperty("measured", text);
    std::cout << "[ measured ] " << text << std::endl;
  }
  bool logged(const std::string& text, std::size_t times = 1, std::chrono::milliseconds timeout = kAnswerDeadline) {
    return eventually([&] { return count(daemon_->log(), text) >= times; }, timeout);
  }

  // Floods the relay's command topics and topics under the base topic that are not commands,
  // all at `qos` and at once, and checks the daemon through and after it.
  void flood(int qos) {
    ASSERT_NO_FATAL_FAILURE(start_abused());
    std::size_t from = user_->size();
    auto started = Clock::now();
    std::vector<std::unique_ptr<Process>> hostiles;
    hostiles.push_back(flooder("raspberry/relay/set", {"ON", "OFF", "TOGGLE", "1", "0", "true", "false"}, 4000, qos));
    hostiles.push_back(flooder("raspberry/relay/get", {"", "x"}, 2000, qos));
    hostiles.push_back(flooder("raspberry/relay/set/extra", {"ON"}, 2000, qos));
    hostiles.push_back(flooder("raspberry/relay", {"ON"}, 1000, qos));
    hostiles.push_back(flooder("raspberry/nosuchline/set", {"ON"}, 1000, qos));
    auto all_done = [&] {
      for (auto& h : hostiles)
        if (h->running()) return false;
      return true;
    };
    // During the flood: the quiet line answers.
    int asked = 0;
    do {
      expect_healthy("during the QoS " + std::to_string(qos) + " flood");
      ++asked;
    } while (!HasFatalFailure() && !all_done() && Clock::now() - started < 20s * kSlow);
    ASSERT_FALSE(HasFatalFailure());
    ASSERT_TRUE(eventually(all_done, 20s * kSlow)) << "the hostile clients did not finish";
    auto flooded_for = std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - started);
    for (auto& h : hostiles) EXPECT_EQ(h->wait(0ms), 0) << h->log();
    // After it: a `get` published after the last flood message answers only once the daemon
    // went through the whole backlog (at QoS 1 the broker delivers to it in order).
    ASSERT_NO_FATAL_FAILURE(expect_healthy("after the QoS " + std::to_string(qos) + " flood"));
    // The relay itself, whose own budget the flood spent: answered once the budget refills.
    auto relay = ask("relay", 250ms);
    ASSERT_TRUE(relay) << "the flooded relay does not answer a get again";
    report("relay get after the flood answered in " + std::to_string(relay->took.count()) + " ms (" +
           std::to_string(relay->gets) + " gets)");
    // What its state says is what the line is: the wired button reads the same (once debounced).
    // Both are asked again each time: under a sanitizer the daemon may still be working through
    // the flood's backlog, and an accepted command changes both between two answers.
    std::string last_seen;
    EXPECT_TRUE(eventually(
        [&] {
          auto now_relay = ask("relay", 250ms);
          auto button = ask("button", 250ms);
          last_seen = (now_relay ? now_relay->state : "no answer") + " / " + (button ? button->state : "no answer");
          return now_relay && button && button->state == now_relay->state;
        },
        kAnswerDeadline * 2))
        << "the relay and the wired button disagree (relay / button): " << last_seen;
    // Every relay state answers an accepted set or get, each with its own budget (a flood of
    // sets must not keep the gets out): no more than the two limits let through.
    auto elapsed = std::chrono::duration<double>(Clock::now() - started).count();
    std::size_t states = user_->payloads_on("raspberry/relay/state", from).size();
    EXPECT_LE(static_cast<double>(states), 2 * (20 + 10 * elapsed) + 1) << "over " << elapsed << " s";
    EXPECT_TRUE(logged(" commands dropped, over 10/s (bursts of 20)")) << "the flood was not reported";
    EXPECT_NE(daemon_->log().find("line relay: "), std::string::npos);
    // Topics that are not commands never even reach it: it subscribes to its command topics only.
    EXPECT_EQ(daemon_->log().find("not a command topic"), std::string::npos);
    std::size_t queue_drops = count(daemon_->log(), "incoming messages: more than 1000 were waiting");
    report("QoS " + std::to_string(qos) + " flood of 10000 messages took " + std::to_string(flooded_for.count()) +
           " ms; " + std::to_string(asked) + " door gets during it; " + std::to_string(states) + " relay states in " +
           std::to_string(elapsed) + " s; " + std::to_string(queue_drops) + " queue-full warnings");
    // And the well-behaved client is in control again. (Again every 250 ms: the `get` above
    // took the relay's last token, and one comes back each 100 ms. ON and OFF can be repeated.)
    std::string wanted = relay->state == "ON" ? "OFF" : "ON";
    std::size_t before = user_->size();
    EXPECT_TRUE(eventually(
        [&] {
          user_->publish("raspberry/relay/set", wanted);
          return user_->wait_for("raspberry/relay/state", wanted, before, 250ms).has_value();
        },
        kAnswerDeadline))
        << "the relay does not take a command after the flood";
  }

  std::unique_ptr<MqttTestClient> user_;
  Memory baseline_;
  int hostiles_ = 0;
};

TEST_F(ADaemonUnderBrokerAbuse, StaysResponsiveAndRateLimitsAFloodOfCommandsAtQoS0) { flood(0); }

TEST_F(ADaemonUnderBrokerAbuse, StaysResponsiveAndRateLimitsAFloodOfCommandsAtQoS1) { flood(1); }

TEST_F(ADaemonUnderBrokerAbuse, DropsOneMebibytePayloadsUnreadAndStaysSmall) {
  ASSERT_NO_FATAL_FAILURE(start_abused());
  std::size_t from = user_->size();
  // A payload that would switch the relay on if it were read whole: a command, then blanks.
  std::string big = R"({"state":"ON"})" + std::string((1 << 20) - 14, ' ');
  std::string file = dir_ + "/big.txt";
  write_file(file, big);
  // Twelve at once on the relay's set topic (within its burst of 20, so each is looked at),
  // from twelve clients, and four more where they are no command.
  std::vector<std::unique_ptr<Process>> hostiles;
  for (int i = 0; i < 12; ++i)
    hostiles.push_back(hostile({"-q", std::to_string(i % 2), "-t", "raspberry/relay/set", "-f", file}));
  for (int i = 0; i < 4; ++i) hostiles.push_back(hostile({"-q", "1", "-t", "raspberry/relay/set/x", "-f", file}));
  ASSERT_TRUE(eventually(
      [&] {
        for (auto& h : hostiles)
          if (h->running()) return false;
        return true;
      },
      20s * kSlow));
  for (auto& h : hostiles) EXPECT_EQ(h->wait(0ms), 0) << h->log();
  std::remove(file.c_str());  // a failed test's directory is kept: not this MiB
  EXPECT_TRUE(logged("payload over 256 bytes, dropped unread", 12)) << daemon_->log();
  ASSERT_NO_FATAL_FAILURE(expect_healthy("after 16 payloads of 1 MiB"));
  EXPECT_EQ(count(daemon_->log(), "payload over 256 bytes, dropped unread"), 12u);
  EXPECT_TRUE(user_->payloads_on("raspberry/relay/state", from).empty()) << "the relay was driven";
  auto relay = ask("relay");
  ASSERT_TRUE(relay);
  EXPECT_EQ(relay->state, "OFF");
}

TEST_F(ADaemonUnderBrokerAbuse, NeverActsOnRetainedCommandsOverMqtt5) {
  ASSERT_NO_FATAL_FAILURE(start_abused());
  std::size_t from = user_->size();
  // Retained, at both QoS, on both command topics: with MQTT 5 the live ones arrive flagged.
  for (int qos : {0, 1}) {
    user_->publish("raspberry/relay/set", "ON", /*retain=*/true, qos);
    user_->publish("raspberry/relay/set", "TOGGLE", /*retain=*/true, qos);
    user_->publish("raspberry/relay/get", "x", /*retain=*/true, qos);
  }
  EXPECT_TRUE(logged("retained commands are never acted on", 4)) << daemon_->log();  // the sets, every time
  EXPECT_TRUE(logged("ignoring raspberry/relay/get (said once per topic): a retained get is never answered", 1))
      << daemon_->log();
  ASSERT_NO_FATAL_FAILURE(expect_healthy("after retained commands"));
  EXPECT_TRUE(user_->payloads_on("raspberry/relay/state", from).empty()) << "a retained command was acted on";
  // A daemon starting now is not replayed the one the broker keeps (retain handling 2).
  std::size_t refused = count(daemon_->log(), "retained commands are never acted on");
  daemon_.reset();
  ASSERT_TRUE(observer_->wait_for("raspberry/status", kOff, 0));
  std::size_t restarted = observer_->size(), user_restarted = user_->size();
  start_daemon(config());
  ASSERT_TRUE(came_online(restarted));
  // Its connect-time states first (the door's is the last), so the answer below is no older.
  ASSERT_TRUE(user_->wait_for("raspberry/door/state", "OFF", user_restarted));
  auto relay = ask("relay");
  ASSERT_TRUE(relay);
  EXPECT_EQ(relay->state, "OFF");
  EXPECT_EQ(count(daemon_->log(), "retained commands are never acted on"), refused) << daemon_->log();
}

TEST_F(ADaemonUnderBrokerAbuse, RefusesTheReplayOfRetainedCommandsOverMqtt311) {
  // MQTT 3.1.1 brokers clear the retain flag on live delivery (the README says so: such a live
  // command is acted on), but the replay to a new subscription carries it: that one is refused.
  user_->publish("raspberry/relay/set", "ON", /*retain=*/true, 1);
  user_->publish("raspberry/relay/get", "x", /*retain=*/true, 0);
  ASSERT_NO_FATAL_FAILURE(start_abused("3.1.1"));
  EXPECT_TRUE(logged("retained commands are never acted on", 1)) << daemon_->log();
  EXPECT_TRUE(logged("ignoring raspberry/relay/get (said once per topic): a retained get is never answered", 1))
      << daemon_->log();
  ASSERT_NO_FATAL_FAILURE(expect_healthy("after replayed retained commands"));
  auto relay = ask("relay");
  ASSERT_TRUE(relay);
  EXPECT_EQ(relay->state, "OFF");
}

TEST_F(ADaemonUnderBrokerAbuse, RefusesInvalidUtf8AndNulBytesAndLogsThemEscaped) {
  using namespace std::string_literals;
  ASSERT_NO_FATAL_FAILURE(start_abused());
  std::size_t from = user_->size();
  // MQTT does not ask payloads to be UTF-8, and mosquitto passes them on as they are: invalid
  // bytes, an overlong '/', a lone surrogate, NULs, both in JSON, and a newline.
  const std::vector<std::string> garbage{
      "\xff\xfe"s,
      "O\xffN"s,
      "\xc0\xaf"s,
      "\xed\xa0\x80"s,
      "ON\0"s,
      "\0ON"s,
      "O\0N"s,
      std::string(200, '\0'),
      "{\"state\":\"ON\0\"}"s,
      "{\"state\":\"O\xffN\"}"s,
      "{\"\xff\x7f\":\"ON\"}"s,
      "ON\nforged: relay set ON"s,
  };
  for (const auto& payload : garbage) user_->publish("raspberry/relay/set", payload);
  user_->publish("raspberry/relay/get", "\xff\0\xfe"s);  // any payload asks
  EXPECT_TRUE(logged("rejected command on raspberry/relay/set", garbage.size())) << daemon_->log();
  ASSERT_NO_FATAL_FAILURE(expect_healthy("after invalid UTF-8 and NUL payloads"));
  std::string log = daemon_->log();
  EXPECT_EQ(count(log, "rejected command on raspberry/relay/set"), garbage.size());
  EXPECT_EQ(log.find('\0'), std::string::npos) << "a NUL byte reached the log";
  EXPECT_EQ(log.find('\xff'), std::string::npos) << "an invalid byte reached the log";
  EXPECT_EQ(log.find("\nforged"), std::string::npos) << "a payload forged a log line";
  EXPECT_NE(log.find("ON\\x0aforged"), std::string::npos) << log;
  EXPECT_NE(log.find("'O\\xffN' is not ON, OFF or TOGGLE"), std::string::npos) << "not escaped in the reason";
  EXPECT_NE(log.find("unknown key \"\\xff\\x7f\""), std::string::npos) << "not escaped in the reason";
  // Only the answer to the `get`: nothing was driven.
  EXPECT_EQ(user_->payloads_on("raspberry/relay/state", from), std::vector<std::string>{"OFF"});
}

TEST_F(ADaemonUnderBrokerAbuse, IgnoresOddTopicsThatAreNotItsCommands) {
  ASSERT_NO_FATAL_FAILURE(start_abused());
  // What the broker takes. Not here, because nobody can send them: topics with '+' or '#' (paho
  // and mosquitto_pub refuse them before sending, and brokers must refuse a PUBLISH with them),
  // invalid UTF-8 or NUL in a topic (the same), and more than 200 levels (mosquitto disconnects
  // such a publisher). `$SYS/...` is accepted and silently dropped by mosquitto; other `$`
  // topics are delivered, but never to '#' or to topics of ours.
  std::string levels;
  for (int i = 0; i < 150; ++i) levels += "/a";
  const std::vector<std::string> topics{
      "raspberry/relay/set/extra",    "raspberry/relay/set/",
      "raspberry/relay//set",         "raspberry//relay/set",
      "/raspberry/relay/set",         "raspberry/relay/set ",
      "raspberry/Relay/set",          "raspberry/relay/SET",
      "raspberry/relay/set" + levels, "raspberry/relay/set/" + std::string(60000, 'x'),  // topics may have 65535 bytes
      "raspberry/relay/state",  // spoofing a state is the ACL's business
      "$SYS/raspberry/relay/set",     "$raspberry/relay/set",
  };
  for (const auto& topic : topics)
    for (int qos : {0, 1}) user_->publish(topic, "ON", false, qos);
  ASSERT_NO_FATAL_FAILURE(expect_healthy("after odd topics"));
  EXPECT_EQ(daemon_->log().find("rejected command"), std::string::npos) << daemon_->log();
  auto relay = ask("relay");
  ASSERT_TRUE(relay);
  EXPECT_EQ(relay->state, "OFF");
  auto button = ask("button");  // the wire says what the line really is
  ASSERT_TRUE(button);
  EXPECT_EQ(button->state, "OFF");
}

}  // namespace
}  // namespace gpio2mqtt::testing

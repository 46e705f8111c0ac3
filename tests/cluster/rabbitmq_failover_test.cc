// A CI-sized fleet on a real clustered broker: three RabbitMQ nodes (Debian's rabbitmq-server,
// MQTT 3.1.1 only, which `version: auto` must find), three daemons, one starting on each node,
// edges at QoS 1 with a persisted outbox. The node of one daemon is stopped: that daemon must be
// on another node, and a subscriber on a surviving node must get every board's events complete and
// in order. The full scenario (50 daemons, a whole-cluster restart) is scripts/bench --scenario
// fleet. Skips when rabbitmq-server is not installed.
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <map>
#include <memory>

#include "control_socket.h"
#include "daemon.h"
#include "mqtt_client.h"
#include "payloads.h"
#include "process.h"
#include "rabbitmq_cluster.h"

namespace gpio2mqtt::testing {
namespace {

using namespace std::chrono_literals;

constexpr int kBoards = 3;

class AFleetOnARabbitCluster : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!RabbitCluster::available()) GTEST_SKIP() << "rabbitmq-server is not installed";
    cluster_ = std::make_unique<RabbitCluster>(dir_.path(), 3);
  }

  // Board `b` lists the nodes starting from node b, so that each node holds one board.
  std::string config(int b) const {
    std::string dir = dir_.path() + "/board" + std::to_string(b);
    std::string servers;
    for (int n = 0; n < cluster_->size(); ++n)
      servers += (n ? ", " : "") + cluster_->mqtt_url((b + n) % cluster_->size());
    return "mqtt:\n  server: [" + servers + "]\n  client_id: fleet-board-" + std::to_string(b) +
           "\n  version: auto\n  subscribe_qos: 0\n  keepalive: 5s\n  base_topic: fleet/b" + std::to_string(b) +
           "\n  persistence: " + dir +
           "/state\ndbus: off\nchips:\n  main:\n    simulated:\n      lines: [BUTTON]\n      control: " + dir +
           "/control.sock\nlines:\n  button: {line: BUTTON}\n";
  }
  void toggle(int board, int count) {
    ControlSocket control(dir_.path() + "/board" + std::to_string(board) + "/control.sock");
    for (int i = 0; i < count; ++i) ASSERT_TRUE(control.pull("BUTTON", (level_[board] = !level_[board])));
  }
  // The seqs of board b's events as the subscriber got them.
  std::vector<int> seqs(const MqttTestClient& subscriber, int b) const {
    std::vector<int> out;
    for (const auto& payload : subscriber.payloads_on("fleet/b" + std::to_string(b) + "/button/event"))
      out.push_back(seq_of(payload).value_or(0));
    return out;
  }

  ScratchDirectory dir_{"gpio2mqtt-cluster"};
  std::unique_ptr<RabbitCluster> cluster_;
  std::vector<std::unique_ptr<Daemon>> boards_;
  std::map<int, bool> level_;
};

TEST_F(AFleetOnARabbitCluster, LosesNoEventWhenTheNodeOfABoardStops) {
  // On node 0, which stays: RabbitMQ gives retained messages to exact topics only, and from the
  // node they were published to; live ones reach every node.
  MqttTestClient subscriber(cluster_->mqtt_url(0), "fleet-subscriber");
  subscriber.subscribe("fleet/+/button/event", 1);
  subscriber.subscribe("fleet/+/status", 1);
  for (int b = 0; b < kBoards; ++b) {
    std::filesystem::create_directories(dir_.path() + "/board" + std::to_string(b));
    boards_.push_back(std::make_unique<Daemon>(dir_.path() + "/board" + std::to_string(b), config(b)));
  }
  ASSERT_TRUE(eventually([&] { return subscriber.payloads_on("fleet/b2/status").size() >= 1; }, 60s));
  for (int b = 0; b < kBoards; ++b) ASSERT_TRUE(subscriber.wait_for("fleet/b" + std::to_string(b) + "/status", kOn));
  for (int b = 0; b < kBoards; ++b) ASSERT_NO_FATAL_FAILURE(toggle(b, 5));

  std::size_t before_stop = subscriber.size();
  cluster_->stop(2, true);  // board 2's node, as if its host died
  for (int b = 0; b < kBoards; ++b) ASSERT_NO_FATAL_FAILURE(toggle(b, 5));
  EXPECT_TRUE(subscriber.wait_for("fleet/b2/status", kOn, before_stop, 30s)) << boards_[2]->log();
  for (int b = 0; b < kBoards; ++b) {
    ASSERT_TRUE(eventually(
        [&] {
          auto s = seqs(subscriber, b);
          return !s.empty() && *std::max_element(s.begin(), s.end()) == 10;
        },
        30s))
        << "board " << b << ": " << ::testing::PrintToString(seqs(subscriber, b)) << boards_[b]->log();
    // At least once and in order: a resent event may repeat (even after later ones); the first
    // arrivals come one after another.
    int last = 0;
    for (int seq : seqs(subscriber, b)) {
      if (seq > last) {
        EXPECT_EQ(seq, last + 1) << "board " << b << ": " << seq << " after " << last;
      }
      last = std::max(last, seq);
    }
  }
  auto log = boards_[2]->log();
  EXPECT_NE(log.find("using 3.1.1"), std::string::npos) << log;
  EXPECT_NE(log.find("connected to " + cluster_->mqtt_url(0)), std::string::npos) << log;
}

}  // namespace
}  // namespace gpio2mqtt::testing

// mqtt.persistence end to end: events queued while the broker was down survive the daemon's
// restart (a clean stop, or a SIGKILL) and reach the broker, in order, once it is back.
#include <fstream>

#include "control_socket_fixture.h"

namespace gpio2mqtt::testing {
namespace {

using namespace std::chrono_literals;

class ADaemonWithPersistence : public ADaemonDrivenThroughItsControlSocket {
 protected:
  std::string state_dir() const { return dir_ + "/state"; }
  std::string persistent_config() const { return config(1, "  persistence: " + state_dir() + "\n"); }
  std::size_t stored_records() const {
    std::ifstream in(state_dir() + "/outbox", std::ios::binary);
    std::string text{std::istreambuf_iterator<char>(in), {}};
    std::size_t count = 0;
    for (std::size_t at = text.find("\nm "); at != std::string::npos; at = text.find("\nm ", at + 1)) ++count;
    return count;
  }
  // Queues `edges` events while the broker is down, then ends the daemon with `signal`.
  void queue_while_down_then_end_with(int signal, int edges) {
    ASSERT_NO_FATAL_FAILURE(start(persistent_config()));
    broker_->kill();
    ASSERT_TRUE(eventually([&] { return daemon_->log().find("lost the connection to") != std::string::npos; }, 10s));
    ASSERT_NO_FATAL_FAILURE(toggle(edges));
    ASSERT_TRUE(eventually([&] { return stored_records() >= static_cast<std::size_t>(edges); }, 10s))
        << stored_records() << " of " << edges << " stored";
    daemon_->process().signal(signal);
    daemon_->process().wait(10s);
  }
  // Restarts broker and daemon; expects the events of the previous run first, in order.
  void expect_them_after_a_restart(int edges) {
    broker_->start();
    MqttTestClient events(broker_->url(), "events");
    events.subscribe("raspberry/button/event", 1);
    start_daemon(persistent_config());
    ASSERT_TRUE(eventually([&] { return events.size() >= static_cast<std::size_t>(edges); }, 20s))
        << events.size() << " of " << edges << " events";
    ASSERT_NO_FATAL_FAILURE(expect_in_order(events.payloads_on("raspberry/button/event"), edges));
    EXPECT_NE(daemon_->log().find(std::to_string(edges) + " events queued by the previous run"), std::string::npos)
        << daemon_->log();
    ASSERT_TRUE(eventually([&] { return stored_records() == 0; }, 10s)) << "the store was not emptied once sent";
  }
};

TEST_F(ADaemonWithPersistence, SendsWhatItQueuedBeforeACleanStopOnceTheBrokerIsBack) {
  ASSERT_NO_FATAL_FAILURE(queue_while_down_then_end_with(SIGTERM, 8));
  ASSERT_NO_FATAL_FAILURE(expect_them_after_a_restart(8));
}

TEST_F(ADaemonWithPersistence, SendsWhatItQueuedEvenWhenItWasKilled) {
  ASSERT_NO_FATAL_FAILURE(queue_while_down_then_end_with(SIGKILL, 8));
  ASSERT_NO_FATAL_FAILURE(expect_them_after_a_restart(8));
}

TEST_F(ADaemonWithPersistence, StartsWhenItsStateDirectoryDoesNotExistYet) {
  ASSERT_NO_FATAL_FAILURE(start(persistent_config()));
  EXPECT_EQ(access((state_dir() + "/outbox").c_str(), F_OK), 0);
}

}  // namespace
}  // namespace gpio2mqtt::testing

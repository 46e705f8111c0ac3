// The simulated chip's control socket, end to end: edges driven from outside (as bench/ does)
// reach MQTT complete and in order, also as a burst at QoS 1, where the paho client holds back
// what exceeds its window and hands it over as acknowledgements come.
#include "control_socket_fixture.h"

namespace gpio2mqtt::testing {
namespace {

TEST_F(ADaemonDrivenThroughItsControlSocket, PublishesEveryEdgeOfABurstInOrderAtQoS1) { expect_every_event(1, 500); }

TEST_F(ADaemonDrivenThroughItsControlSocket, PublishesEveryEdgeOfABurstInOrderAtQoS0) { expect_every_event(0, 500); }

TEST_F(ADaemonDrivenThroughItsControlSocket, RemovesItsSocketWhenItStops) {
  ASSERT_NO_FATAL_FAILURE(start(config(1)));
  EXPECT_EQ(access(socket_path().c_str(), F_OK), 0);
  daemon_->process().signal(SIGTERM);
  EXPECT_EQ(daemon_->process().wait(std::chrono::seconds(10)), 0);
  EXPECT_NE(access(socket_path().c_str(), F_OK), 0);
}

}  // namespace
}  // namespace gpio2mqtt::testing

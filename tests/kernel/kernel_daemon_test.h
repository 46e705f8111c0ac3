// The fixture of the kernel tests that run the gpio2mqtt binary: a gpio-sim chip (skipped outside
// the VM), a directory, a real mosquitto, an observer of kernel/#, and the daemon's log on failure.
#pragma once

#include <memory>
#include <string>
#include <utility>

#include "broker_and_daemon.h"
#include "kernel_test.h"

namespace gpio2mqtt::kernel_test {

class KernelDaemonTest : public testing::BrokerAndDaemon {
 protected:
  // `dir_prefix` names the test's directory; the daemon's base topic is `kernel`.
  explicit KernelDaemonTest(std::string dir_prefix) : BrokerAndDaemon(std::move(dir_prefix), "kernel") {}
  // The daemon lets go of the chip's lines before the chip goes.
  ~KernelDaemonTest() override { daemon_.reset(); }

  // Builds sim_ with build_sim(), then starts the broker.
  void SetUp() override {
    if (auto why = why_no_gpiosim(); !why.empty()) GTEST_SKIP() << why;
    BrokerAndDaemon::SetUp();
    if (IsSkipped()) return;
    sim_ = build_sim();
    start_broker();
    observe("kernel/#");
  }
  virtual std::unique_ptr<SimChip> build_sim() const = 0;

  std::unique_ptr<SimChip> sim_;
};

}  // namespace gpio2mqtt::kernel_test

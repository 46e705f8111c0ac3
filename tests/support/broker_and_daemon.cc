#include "broker_and_daemon.h"

#include <filesystem>
#include <iostream>

namespace gpio2mqtt::testing {

BrokerAndDaemon::BrokerAndDaemon(std::string dir_prefix, std::string base_topic)
    : dir_prefix_(std::move(dir_prefix)), status_topic_(std::move(base_topic) + "/status") {}

BrokerAndDaemon::~BrokerAndDaemon() {
  daemon_.reset();
  observer_.reset();
  broker_.reset();
  if (!keep_dir_ && !dir_.empty()) std::filesystem::remove_all(dir_);
}

void BrokerAndDaemon::SetUp() {
  if (!Mosquitto::available()) GTEST_SKIP() << "mosquitto is not installed (apt-get install mosquitto)";
  dir_ = make_temp_dir(dir_prefix_);
}

void BrokerAndDaemon::TearDown() {
  keep_dir_ = HasFailure();
  if (!HasFailure() || !daemon_) return;
  std::string log = daemon_->log();
  constexpr std::size_t kTail = 20'000;
  std::cerr << "--- gpio2mqtt log (the last " << kTail << " characters; all of it in " << dir_ << ") ---\n"
            << (log.size() > kTail ? log.substr(log.size() - kTail) : log) << "---\n";
}

void BrokerAndDaemon::start_broker(std::string extra, std::string global) {
  broker_ = std::make_unique<Mosquitto>(dir_, std::move(extra), std::move(global));
}

void BrokerAndDaemon::observe(const std::string& filter) {
  if (!observer_) observer_ = std::make_unique<MqttTestClient>(broker_->url(), "observer");
  observer_->subscribe(filter);
}

void BrokerAndDaemon::start_daemon(const std::string& config, std::vector<std::string> env) {
  daemon_ = std::make_unique<Daemon>(dir_, config, std::move(env));
}

::testing::AssertionResult BrokerAndDaemon::came_online(std::size_t from, std::chrono::milliseconds timeout) const {
  if (observer_->wait_for(status_topic_, kOn, from, timeout)) return ::testing::AssertionSuccess();
  return ::testing::AssertionFailure() << "no " << status_topic_ << " " << kOn << " after message " << from
                                       << " within " << timeout.count() << " ms";
}

std::optional<std::size_t> BrokerAndDaemon::expect(const std::string& topic, const std::string& payload,
                                                   std::size_t from, std::chrono::milliseconds timeout) const {
  auto at = observer_->wait_for(topic, payload, from, timeout);
  EXPECT_TRUE(at) << "no " << topic << " " << payload << " after message " << from;
  return at;
}

}  // namespace gpio2mqtt::testing

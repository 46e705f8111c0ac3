// The service in-process: a recording MQTT client, simulated chips behind the kernel-chip seam, a
// temporary directory standing in for /dev, and the signals blocked as main blocks them. The test
// steps the loop itself, on a clock that moves when told or on real time.
#pragma once

#include <gtest/gtest.h>
#include <signal.h>

#include <filesystem>
#include <fstream>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "fake_mqtt_client.h"
#include "gpio2mqtt/config/loader.h"
#include "manual_clock.h"
#include "pluggable_chips.h"
#include "service/service.h"

namespace gpio2mqtt::service {

// The chip the in-process tests put under their /dev directory, and the config sections they
// share before their lines: a broker that is never dialled (the client is a fake), no D-Bus.
inline const std::string kChip = "gpiochip-inproc";
inline const std::string kMqtt = R"(mqtt:
  server: mqtt://127.0.0.1:1883
  client_id: inproc
  base_topic: pi
dbus: off
chips:
  main: {path: /dev/gpiochip-inproc}
)";

class InProcessService : public ::testing::Test {
 protected:
  enum class Time { kManual, kReal };  // the service's clock: clock_, moved by the test, or real

  // The chip appears as `chip` in the /dev directory; `lines` and `wires` as PluggableChips::add.
  InProcessService(const std::string& chip, std::vector<std::string> lines,
                   std::vector<std::pair<std::string, std::string>> wires, Time time)
      : chip_(chips_.add(chip, std::move(lines), std::move(wires))), chip_node_(chip), time_(time) {}

  void SetUp() override {
    char dir[] = "/tmp/gpio2mqtt-service-test.XXXXXX";
    ASSERT_NE(mkdtemp(dir), nullptr);
    dev_dir_ = dir;
    std::ofstream(dev_dir_ + "/" + chip_node_).put('\n');  // the chip's node, for the /dev watch
    pthread_sigmask(SIG_SETMASK, nullptr, &old_mask_);
    block_service_signals();  // as main does: raise() then reaches the service's signalfd
  }
  void TearDown() override {
    service_.reset();
    lines_.reset();
    if (!dev_dir_.empty()) std::filesystem::remove_all(dev_dir_);
    sigset_t set;
    sigemptyset(&set);
    for (int signo : {SIGTERM, SIGINT, SIGHUP}) sigaddset(&set, signo);
    timespec now{};
    while (sigtimedwait(&set, nullptr, &now) > 0) {  // whatever a failed test left pending
    }
    pthread_sigmask(SIG_SETMASK, &old_mask_, nullptr);
  }

  config::Config parse(const std::string& yaml) { return config::parse_config(yaml, "test.yaml", "host"); }

  // The service on `yaml`, not started; a reload reads next_config_.
  void make(const std::string& yaml) {
    auto config = parse(yaml);
    lines_ = std::make_unique<LineSet>(config, &chips_, "gpio2mqtt-test");
    ServiceParts parts{[this](const config::MqttConfig& mqtt) {
                         client_configs_.push_back(mqtt);
                         auto client = std::make_unique<testing::FakeMqttClient>();
                         client_ = client.get();
                         return client;
                       },
                       [this] {
                         ++reloads_;
                         return parse(next_config_);
                       },
                       time_ == Time::kManual ? static_cast<const Clock*>(&clock_) : &monotonic_clock(), dev_dir_};
    parts.random_seed = random_seed_;
    parts.pwm = pwm_chips_;
    parts.sensor_source = sensor_source_;
    service_ = std::make_unique<Service>(std::move(config), *lines_, std::move(parts));
  }

  testing::FakeMqttClient& client() { return *client_; }  // the service's current one

  // Runs the loop until nothing is left to do now.
  void settle() {
    for (int round = 0; round < 100; ++round)
      if (service_->run_once(0) == 0) return;
    ADD_FAILURE() << "the loop never went idle";
  }
  // Time::kManual: moves the clock, then settles.
  void advance(Nanos by) {
    clock_.advance(by);
    settle();
  }
  void connect() {
    client().complete_connect();
    settle();
  }
  // Time::kManual: the time, in 100 ms steps, until the client is asked to connect again.
  Nanos time_to_next_connect() {
    int before = client().connects;
    for (Nanos waited{0}; waited <= std::chrono::seconds(120); waited += std::chrono::milliseconds(100)) {
      if (client().connects != before) return waited;
      advance(std::chrono::milliseconds(100));
    }
    return Nanos::max();
  }

  testing::PluggableChips chips_;
  gpio::SimulatedChip& chip_;
  testing::ManualClock clock_;
  std::unique_ptr<LineSet> lines_;
  std::unique_ptr<Service> service_;
  testing::FakeMqttClient* client_ = nullptr;
  std::vector<config::MqttConfig> client_configs_;
  std::string next_config_;
  int reloads_ = 0;
  std::uint64_t random_seed_ = 1;             // the same start delays and jitter on every run
  pwm::ChipProvider* pwm_chips_ = nullptr;    // hardware PWM chips, when the test has some
  sensors::Source* sensor_source_ = nullptr;  // set before make(): sensors are read from it
  std::string dev_dir_;                       // where the chip node is, for the /dev watch
  sigset_t old_mask_{};

 private:
  std::string chip_node_;
  Time time_;
};

}  // namespace gpio2mqtt::service

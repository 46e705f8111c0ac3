// Sensors end to end: the daemon reads a sysfs tree laid out as the kernel's ABI documents it
// (an IIO ADC, a 1-Wire thermometer), a real mosquitto carries the values, and a client playing
// Home Assistant (home_assistant.h) sees the entities, their values and their availability.
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <filesystem>

#include "daemon_fixture.h"
#include "home_assistant.h"

namespace gpio2mqtt::testing {
namespace {

using namespace std::chrono_literals;

constexpr const char* kThermometer = "28-0316a2794bff";

class ADaemonWithSensors : public ADaemon {
 protected:
  std::string sys() const { return dir_ + "/sys"; }
  std::string thermometer() const { return sys() + "/bus/w1/devices/" + kThermometer; }
  void file(const std::string& path, const std::string& text) {
    std::filesystem::create_directories(std::filesystem::path(path).parent_path());
    write_file(path, text);
  }
  std::string config() const {
    return demo_config(broker_->url()) + "sysfs: " + sys() +
           "\nsensors:\n"
           "  outdoor:\n"
           "    w1: " +
           kThermometer +
           "\n    interval: 200ms\n"
           "    thresholds: {frost: {below: 3, hysteresis: 0.5}}\n"
           "  adc: {iio: ads1115, channel: in_voltage0, interval: 200ms}\n"
           "homeassistant: {discovery: true}\n";
  }
  void SetUp() override {
    ADaemon::SetUp();
    if (IsSkipped()) return;
    file(thermometer() + "/temperature", "21375\n");
    file(sys() + "/bus/iio/devices/iio:device0/name", "ads1115\n");
    file(sys() + "/bus/iio/devices/iio:device0/in_voltage0_raw", "1000\n");
    file(sys() + "/bus/iio/devices/iio:device0/in_voltage0_scale", "0.125\n");
    ha_ = std::make_unique<FakeHomeAssistant>(broker_->url(), "homeassistant");
  }
  void TearDown() override {
    if (ha_) {
      EXPECT_EQ(ha_->errors(), std::vector<std::string>{});
    }
    ADaemon::TearDown();
  }
  std::optional<Entity> entity(const std::string& id) {
    std::optional<Entity> found;
    eventually([&] { return (found = ha_->find(id)).has_value(); }, 10s);
    return found;
  }
  std::unique_ptr<FakeHomeAssistant> ha_;
};

TEST_F(ADaemonWithSensors, PublishesTheValuesTheAbiDefinesAsPlainRetainedNumbers) {
  ASSERT_NO_FATAL_FAILURE(start(config()));
  EXPECT_TRUE(expect("raspberry/outdoor/state", "21.4", 0));  // 21375 m°C, one decimal
  EXPECT_TRUE(expect("raspberry/adc/state", "0.125", 0));     // 1000 * 0.125 mV, in V
  EXPECT_TRUE(expect("raspberry/outdoor/availability", "online", 0));
  EXPECT_TRUE(expect("raspberry/outdoor/frost/state", "OFF", 0));
  MqttTestClient late(broker_->url(), "late-reader");  // sees what the broker retained
  late.subscribe("raspberry/adc/state");
  EXPECT_TRUE(late.wait_for([](const Received& r) { return r.payload == "0.125" && r.retained; }));
}

TEST_F(ADaemonWithSensors, AnnouncesSensorsAndThresholdsToHomeAssistant) {
  ASSERT_NO_FATAL_FAILURE(start(config()));
  auto outdoor = entity("outdoor");
  ASSERT_TRUE(outdoor) << daemon_->log();
  EXPECT_EQ(outdoor->platform, "sensor");
  EXPECT_EQ(outdoor->device_class, "temperature");
  EXPECT_EQ(outdoor->unit_of_measurement, "°C");
  EXPECT_EQ(outdoor->state_class, "measurement");
  EXPECT_EQ(outdoor->suggested_display_precision, 1);
  EXPECT_EQ(outdoor->availability.size(), 2u);
  auto adc = entity("adc");
  ASSERT_TRUE(adc);
  EXPECT_EQ(adc->device_class, "voltage");
  EXPECT_EQ(adc->unit_of_measurement, "V");
  auto frost = entity("outdoor_frost");
  ASSERT_TRUE(frost);
  EXPECT_EQ(frost->platform, "binary_sensor");
  EXPECT_EQ(frost->device_class, "cold");
  EXPECT_TRUE(eventually([&] { return ha_->value(*outdoor) == "21.4" && ha_->available(*outdoor) == true; }, 10s));
  EXPECT_TRUE(eventually([&] { return ha_->state(*frost) == "off"; }, 10s));
}

TEST_F(ADaemonWithSensors, ShowsAThermometerThatWentAwayUnavailableAndBackWhenItReturns) {
  ASSERT_NO_FATAL_FAILURE(start(config()));
  auto outdoor = entity("outdoor");
  auto frost = entity("outdoor_frost");
  ASSERT_TRUE(outdoor && frost);
  ASSERT_TRUE(eventually([&] { return ha_->available(*outdoor) == true; }, 10s));
  std::filesystem::remove_all(thermometer());
  EXPECT_TRUE(eventually([&] { return ha_->available(*outdoor) == false && ha_->available(*frost) == false; }, 10s));
  auto adc = entity("adc");
  ASSERT_TRUE(adc);
  EXPECT_EQ(ha_->available(*adc), true);  // the others go on
  file(thermometer() + "/temperature", "2000\n");
  EXPECT_TRUE(eventually([&] { return ha_->available(*outdoor) == true; }, 10s)) << daemon_->log();
  EXPECT_TRUE(eventually([&] { return ha_->value(*outdoor) == "2.0" && ha_->state(*frost) == "on"; }, 10s));
  EXPECT_NE(daemon_->log().find("sensor 'outdoor': no 1-Wire device " + std::string(kThermometer)), std::string::npos);
}

TEST_F(ADaemonWithSensors, ReadsAndAnnouncesASensorAReloadAdds) {
  ASSERT_NO_FATAL_FAILURE(start(config()));
  ASSERT_TRUE(entity("adc"));
  auto from = observer_->size();
  std::string next = config();
  next.insert(next.find("homeassistant:"),
              "  adc_mv: {iio: ads1115, channel: in_voltage0, unit: mV, interval: 200ms}\n");
  write_file(daemon_->config_path(), next);
  daemon_->process().signal(SIGHUP);
  EXPECT_TRUE(expect("raspberry/adc_mv/state", "125", from)) << daemon_->log();  // 1000 * 0.125 mV
  auto added = entity("adc_mv");
  ASSERT_TRUE(added);
  EXPECT_EQ(added->unit_of_measurement, "mV");
}

// A reload without the thermometer: its retained topics (value, availability, threshold) are
// emptied, as a late reader of the broker sees, and Home Assistant loses its entities; the ADC goes on.
TEST_F(ADaemonWithSensors, ClearsTheRetainedTopicsAndEntitiesOfASensorAReloadRemoves) {
  ASSERT_NO_FATAL_FAILURE(start(config()));
  ASSERT_TRUE(entity("outdoor") && entity("outdoor_frost") && entity("adc"));
  ASSERT_TRUE(expect("raspberry/outdoor/frost/state", "OFF", 0));
  auto from = observer_->size();
  std::string next = config();
  auto begin = next.find("  outdoor:\n");
  next.erase(begin, next.find("  adc:") - begin);
  write_file(daemon_->config_path(), next);
  daemon_->process().signal(SIGHUP);
  for (const char* topic :
       {"raspberry/outdoor/state", "raspberry/outdoor/availability", "raspberry/outdoor/frost/state"})
    EXPECT_TRUE(observer_->wait_for([&](const Received& r) { return r.topic == topic && r.payload.empty(); }, from))
        << topic << "\n"
        << daemon_->log();
  EXPECT_TRUE(eventually([&] { return !ha_->find("outdoor") && !ha_->find("outdoor_frost"); }, 10s));
  EXPECT_TRUE(ha_->find("adc"));
  MqttTestClient late(broker_->url(), "late-reader");  // what the broker still retains under raspberry/
  late.subscribe("raspberry/#");
  ASSERT_TRUE(late.wait_for([](const Received& r) { return r.topic == "raspberry/adc/state"; }));
  for (const auto& message : late.messages())
    EXPECT_EQ(message.topic.find("raspberry/outdoor"), std::string::npos) << message.topic << " " << message.payload;
}

// A thermometer whose read never answers (its `temperature` a FIFO nobody writes) holds the
// worker for its 10 s timeout; a command and the edge it makes go through meanwhile.
TEST_F(ADaemonWithSensors, SwitchesARelayWhileASensorReadBlocks) {
  std::filesystem::remove(thermometer() + "/temperature");
  ASSERT_EQ(mkfifo((thermometer() + "/temperature").c_str(), 0600), 0);
  std::string slow = config();
  slow.replace(slow.find("    interval: 200ms\n"), 20, "    interval: 200ms\n    timeout: 10s\n");
  ASSERT_NO_FATAL_FAILURE(start(slow));
  // The read is out while the daemon has the FIFO open (looked at in /proc: opening it for
  // writing would end the read).
  const std::string fifo = thermometer() + "/temperature";
  auto reading = [&] {
    std::error_code ec;
    for (const auto& fd :
         std::filesystem::directory_iterator("/proc/" + std::to_string(daemon_->process().pid()) + "/fd", ec))
      if (std::filesystem::read_symlink(fd.path(), ec) == fifo) return true;
    return false;
  };
  ASSERT_TRUE(eventually(reading, 10s));
  auto from = observer_->size();
  auto started = std::chrono::steady_clock::now();
  observer_->publish("raspberry/relay/set", "ON");
  EXPECT_TRUE(expect("raspberry/button/state", "ON", from, 5s));  // the relay's wire drives the button
  EXPECT_LT(std::chrono::steady_clock::now() - started, 5s);
  EXPECT_TRUE(reading()) << "the read ended before the command went through: the test proves nothing";
}

}  // namespace
}  // namespace gpio2mqtt::testing

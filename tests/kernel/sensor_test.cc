// Sensors against a real IIO device in the VM: the kernel's iio_simple_dummy (modules built by
// tests/kernel/vm/build-iio.sh), made through the IIO configfs. What the daemon publishes equals
// what the ABI computes from the device's own raw, offset and scale, and a device that goes away
// with its module comes back when the module is loaded again. Skipped outside the VM.
#include "gpio2mqtt/bridge/sensor.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <fstream>
#include <sstream>

#include "broker_and_daemon.h"
#include "process.h"
#include "util/unique_fd.h"

namespace gpio2mqtt::kernel_test {
namespace {

using namespace std::chrono_literals;

const std::string kDevice = "g2m_dummy";
const std::string kConfigfs = "/sys/kernel/config/iio/devices/dummy/" + kDevice;

std::string module_dir() {
  const char* cache = std::getenv("GPIO2MQTT_VM_CACHE");
  return std::string(cache ? cache : "/var/cache/gpio2mqtt-vm") + "/out/iio";
}

// The system calls insmod and rmmod make (the host image need not have kmod).
bool load_module(const std::string& path) {
  UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  return fd.valid() && (::syscall(SYS_finit_module, fd.get(), "", 0) == 0 || errno == EEXIST);
}
void unload_module(const char* name) { ::syscall(SYS_delete_module, name, O_NONBLOCK); }

std::string why_no_iio_dummy() {
  if (!std::getenv("VMRUN")) return "not in the test VM (tests/kernel/run.sh)";
  if (::access((module_dir() + "/iio_dummy.ko").c_str(), R_OK) != 0)
    return "no " + module_dir() + "/iio_dummy.ko (tests/kernel/vm/build-iio.sh builds it)";
  return "";
}

// Loads the modules the dummy needs (a loaded one is left as it is) and makes the device.
bool make_dummy() {
  for (const char* m : {"industrialio", "industrialio-configfs", "industrialio-sw-device", "iio_dummy"})
    if (!load_module(module_dir() + "/" + m + ".ko")) return false;
  return ::access(kConfigfs.c_str(), F_OK) == 0 || ::mkdir(kConfigfs.c_str(), 0755) == 0;
}

void remove_dummy() {
  ::rmdir(kConfigfs.c_str());
  unload_module("iio_dummy");
}

std::string attribute(const std::string& name) {
  std::string found;
  for (int i = 0; i < 16 && found.empty(); ++i) {
    std::string dir = "/sys/bus/iio/devices/iio:device" + std::to_string(i);
    std::ifstream in(dir + "/name");
    std::string device;
    if (in >> device && device == kDevice) found = dir;
  }
  std::ifstream in(found + "/" + name);
  std::string text;
  in >> text;
  return text;
}

class AnIioDummy : public testing::BrokerAndDaemon {
 protected:
  AnIioDummy() : BrokerAndDaemon("g2m-iio", "kernel") {}
  void SetUp() override {
    if (auto why = why_no_iio_dummy(); !why.empty()) GTEST_SKIP() << why;
    BrokerAndDaemon::SetUp();
    if (IsSkipped()) return;
    ASSERT_TRUE(make_dummy());
    start_broker();
    observe("kernel/#");
  }
  void TearDown() override {
    daemon_.reset();
    remove_dummy();
    BrokerAndDaemon::TearDown();
  }
  std::string config() const {
    return "mqtt:\n  server: " + broker_->url() + "\n  client_id: g2m-iio-test\n  base_topic: kernel\n" +
           "dbus: off\nchips:\n  main: {simulated: {lines: [A]}}\nlines:\n  a: {line: A}\nsensors:\n"
           "  single: {iio: " +
           kDevice +
           ", channel: in_voltage0, unit: mV, precision: 6, interval: 200ms}\n  differential: {iio: " + kDevice +
           ", channel: in_voltage1-voltage2, unit: mV, precision: 6, interval: 200ms}\n";
  }
};

TEST_F(AnIioDummy, PublishesWhatTheAbiComputesFromRawOffsetAndScale) {
  double single = (std::stod(attribute("in_voltage0_raw")) + std::stod(attribute("in_voltage0_offset"))) *
                  std::stod(attribute("in_voltage0_scale"));
  double differential =
      std::stod(attribute("in_voltage1-voltage2_raw")) * std::stod(attribute("in_voltage-voltage_scale"));
  start_daemon(config());
  EXPECT_TRUE(expect("kernel/single/state", bridge::format_sensor_value(single, 6), 0, 20s)) << daemon_->log();
  EXPECT_TRUE(expect("kernel/differential/state", bridge::format_sensor_value(differential, 6), 0, 20s));
}

TEST_F(AnIioDummy, ShowsTheDeviceUnavailableWhileItsModuleIsUnloaded) {
  start_daemon(config());
  auto online = expect("kernel/single/availability", "online", 0, 20s);
  ASSERT_TRUE(online) << daemon_->log();
  remove_dummy();
  auto offline = expect("kernel/single/availability", "offline", *online + 1, 20s);
  ASSERT_TRUE(offline) << daemon_->log();
  ASSERT_TRUE(make_dummy());
  EXPECT_TRUE(expect("kernel/single/availability", "online", *offline + 1, 20s)) << daemon_->log();
}

}  // namespace
}  // namespace gpio2mqtt::kernel_test

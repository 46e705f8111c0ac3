// The sysfs sensor source against file trees laid out as the kernel's ABI documents them:
// Documentation/ABI/testing/sysfs-bus-iio and sysfs-driver-w1_therm.
#include "sensors/sysfs_source.h"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <filesystem>
#include <fstream>

#include "process.h"

namespace gpio2mqtt::sensors {
namespace {

using namespace std::chrono_literals;

class ASysfsSource : public ::testing::Test {
 protected:
  void file(const std::string& path, const std::string& text) {
    std::filesystem::create_directories(std::filesystem::path(root_ + path).parent_path());
    std::ofstream(root_ + path, std::ios::binary | std::ios::trunc) << text;
  }
  // bme280 as iio:device0 (processed values), ads1015 as iio:device1 (raw values and scales).
  void two_iio_devices() {
    file("/bus/iio/devices/iio:device0/name", "bme280\n");
    file("/bus/iio/devices/iio:device0/in_temp_input", "21370\n");
    file("/bus/iio/devices/iio:device0/in_pressure_input", "101.325\n");
    file("/bus/iio/devices/iio:device1/name", "ads1015\n");
    file("/bus/iio/devices/iio:device1/in_voltage0_raw", "1000\n");
    file("/bus/iio/devices/iio:device1/in_voltage0_scale", "3.000000\n");
    file("/bus/iio/devices/iio:device1/in_voltage1_raw", "-200\n");
    file("/bus/iio/devices/iio:device1/in_voltage_scale", "0.5\n");
    file("/bus/iio/devices/iio:device1/in_voltage_offset", "10\n");
  }
  double value(const Channel& channel, std::chrono::milliseconds timeout = 500ms) {
    auto result = source_.read(channel, timeout);
    if (auto* error = std::get_if<ReadError>(&result)) ADD_FAILURE() << error->text;
    return std::holds_alternative<double>(result) ? std::get<double>(result) : -1;
  }
  ReadError error(const Channel& channel, std::chrono::milliseconds timeout = 500ms) {
    auto result = source_.read(channel, timeout);
    if (std::holds_alternative<double>(result)) ADD_FAILURE() << "read " << std::get<double>(result);
    return std::holds_alternative<ReadError>(result) ? std::get<ReadError>(result) : ReadError{};
  }

  gpio2mqtt::testing::ScratchDirectory scratch_{"gpio2mqtt-sysfs"};
  const std::string root_ = scratch_.path();
  SysfsSource source_{root_};
};

Channel iio(std::string device, std::string channel) { return {Channel::Kind::kIio, device, channel}; }
Channel w1(std::string id) { return {Channel::Kind::kW1, id, ""}; }

TEST_F(ASysfsSource, ReadsAProcessedIioValueFoundByTheDeviceName) {
  two_iio_devices();
  EXPECT_EQ(value(iio("bme280", "in_temp")), 21370);
  EXPECT_EQ(value(iio("bme280", "in_pressure")), 101.325);
}

TEST_F(ASysfsSource, ComputesRawPlusOffsetTimesScaleFromTheChannelsOwnOrItsTypesAttributes) {
  two_iio_devices();
  EXPECT_EQ(value(iio("ads1015", "in_voltage0")), (1000 + 10) * 3.0);  // own scale, shared offset
  EXPECT_EQ(value(iio("ads1015", "in_voltage1")), (-200 + 10) * 0.5);  // both shared
}

TEST_F(ASysfsSource, FindsTheAttributesADifferentialOrModifiedChannelShares) {
  file("/bus/iio/devices/iio:device0/name", "dummy\n");
  file("/bus/iio/devices/iio:device0/in_voltage1-voltage2_raw", "-34\n");
  file("/bus/iio/devices/iio:device0/in_voltage-voltage_scale", "0.000001344\n");
  file("/bus/iio/devices/iio:device0/in_temp_ambient_raw", "100\n");
  file("/bus/iio/devices/iio:device0/in_temp_scale", "250\n");
  EXPECT_DOUBLE_EQ(value(iio("dummy", "in_voltage1-voltage2")), -34 * 0.000001344);
  EXPECT_EQ(value(iio("dummy", "in_temp_ambient")), 100 * 250);
}

TEST_F(ASysfsSource, FindsAnIioDeviceByItsSysfsPath) {
  two_iio_devices();
  EXPECT_EQ(value(iio("/sys/bus/iio/devices/iio:device0", "in_temp")), 21370);
}

TEST_F(ASysfsSource, SaysWhichIioDevicesThereAreWhenTheNamedOneIsNot) {
  two_iio_devices();
  auto gone = error(iio("sht31", "in_temp"));
  EXPECT_EQ(gone.kind, ReadError::Kind::kGone);
  EXPECT_EQ(gone.text, "no IIO device named 'sht31' (found: bme280, ads1015)");
  EXPECT_EQ(error(iio("bme280", "in_humidityrelative")).kind, ReadError::Kind::kGone);
}

TEST_F(ASysfsSource, RefusesWhatIsNotANumber) {
  file("/bus/iio/devices/iio:device0/name", "adc\n");
  file("/bus/iio/devices/iio:device0/in_voltage0_raw", "12abc\n");
  EXPECT_EQ(error(iio("adc", "in_voltage0")).kind, ReadError::Kind::kIo);
}

TEST_F(ASysfsSource, ReadsAThermometersTemperatureAttribute) {
  file("/bus/w1/devices/28-0316a2794bff/temperature", "23125\n");
  EXPECT_EQ(value(w1("28-0316a2794bff")), 23125);
}

TEST_F(ASysfsSource, TakesAnEmptyTemperatureForACrcFailureAnd85000ForThePowerOnValue) {
  file("/bus/w1/devices/28-0316a2794bff/temperature", "");
  EXPECT_EQ(error(w1("28-0316a2794bff")).kind, ReadError::Kind::kCrc);
  file("/bus/w1/devices/28-0316a2794bff/temperature", "85000\n");
  EXPECT_EQ(error(w1("28-0316a2794bff")).kind, ReadError::Kind::kPowerOn);
}

TEST_F(ASysfsSource, ReadsW1SlaveWhereTheKernelHasNoTemperatureAttribute) {
  file("/bus/w1/devices/28-0316a2794bff/w1_slave",
       "72 01 4b 46 7f ff 0e 10 57 : crc=57 YES\n72 01 4b 46 7f ff 0e 10 57 t=23125\n");
  EXPECT_EQ(value(w1("28-0316a2794bff")), 23125);
  file("/bus/w1/devices/28-0316a2794bff/w1_slave",
       "72 01 4b 46 7f ff 0e 10 ff : crc=57 NO\n72 01 4b 46 7f ff 0e 10 ff t=23125\n");
  EXPECT_EQ(error(w1("28-0316a2794bff")).kind, ReadError::Kind::kCrc);
  file("/bus/w1/devices/28-0316a2794bff/w1_slave",
       "50 05 4b 46 7f ff 0c 10 1c : crc=1c YES\n50 05 4b 46 7f ff 0c 10 1c t=85000\n");
  EXPECT_EQ(error(w1("28-0316a2794bff")).kind, ReadError::Kind::kPowerOn);
}

TEST_F(ASysfsSource, ReadsNegativeTemperatures) {
  EXPECT_EQ(std::get<double>(parse_w1_slave("5e ff 4b 46 7f ff 02 10 d8 : crc=d8 YES\n5e ff 4b 46 7f ff 02 10 d8 "
                                            "t=-10125\n")),
            -10125);
}

TEST_F(ASysfsSource, SaysAThermometerIsGoneWhenItsDirectoryIs) {
  EXPECT_EQ(error(w1("28-0316a2794bff")).kind, ReadError::Kind::kGone);
}

TEST_F(ASysfsSource, GivesUpOnAReadThatBlocksPastItsTimeout) {
  std::filesystem::create_directories(root_ + "/bus/w1/devices/28-0316a2794bff");
  ASSERT_EQ(mkfifo((root_ + "/bus/w1/devices/28-0316a2794bff/temperature").c_str(), 0600), 0);
  auto start = std::chrono::steady_clock::now();
  auto timeout = error(w1("28-0316a2794bff"), 200ms);
  auto took = std::chrono::steady_clock::now() - start;
  EXPECT_EQ(timeout.kind, ReadError::Kind::kTimeout);
  EXPECT_GE(took, 200ms);
  EXPECT_LT(took, 2s);
}

TEST_F(ASysfsSource, ListsTheThermometersW1ThermDrivesSorted) {
  for (const char* id : {"28-0316a2794bff", "10-000802b4c0a1", "w1_bus_master1", "29-0000000001", "3b-0000001"})
    std::filesystem::create_directories(root_ + "/bus/w1/devices/" + id);
  EXPECT_EQ(source_.w1_thermometers(), (std::vector<std::string>{"10-000802b4c0a1", "28-0316a2794bff", "3b-0000001"}));
}

TEST_F(ASysfsSource, DescribesWhatItFoundForEachKind) {
  two_iio_devices();
  file("/bus/w1/devices/28-0316a2794bff/temperature", "23125\n");
  EXPECT_EQ(source_.describe(iio("bme280", "in_temp")), "iio:device0: in_temp_input");
  EXPECT_EQ(source_.describe(iio("ads1015", "in_voltage1")),
            "iio:device1: in_voltage1_raw, in_voltage_offset, in_voltage_scale");
  EXPECT_EQ(source_.describe(w1("28-0316a2794bff")), "1-Wire 28-0316a2794bff (temperature)");
  EXPECT_EQ(source_.describe(w1("28-ffffffffffff")),
            "not found: no 1-Wire thermometer 28-ffffffffffff (found: "
            "28-0316a2794bff)");
}

}  // namespace
}  // namespace gpio2mqtt::sensors

// Counters' files in a temporary directory: what one run saves the next loads, and what a cut,
// a damaged or a missing file leaves.
#include "service/counter_file.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "process.h"

namespace gpio2mqtt::service {
namespace {

class ACounterFile : public ::testing::Test {
 protected:
  void write(const std::string& path, const std::string& text) {
    std::ofstream out(path, std::ios::binary | std::ios::trunc);
    out << text;
  }
  gpio2mqtt::testing::ScratchDirectory scratch_{"gpio2mqtt-counter"};
  const std::string dir_ = scratch_.path();
};

TEST_F(ACounterFile, CreatesItsDirectoryAndLoadsZeroForANewCounter) {
  CounterFile file(dir_ + "/state");
  EXPECT_TRUE(std::filesystem::is_directory(dir_ + "/state"));
  EXPECT_EQ(file.load("meter"), 0u);
}

TEST_F(ACounterFile, LoadsWhatWasSavedUnderTheLineName) {
  CounterFile file(dir_);
  file.save("meter", 123456789012345ull);
  file.save("water", 7);
  EXPECT_EQ(CounterFile(dir_).load("meter"), 123456789012345ull);
  EXPECT_EQ(CounterFile(dir_).load("water"), 7u);
  EXPECT_EQ(file.path("meter"), dir_ + "/counter-meter.state");
  EXPECT_FALSE(std::filesystem::exists(dir_ + "/counter-meter.state.new"));
}

TEST_F(ACounterFile, KeepsThePreviousGeneration) {
  CounterFile file(dir_);
  file.save("meter", 10);
  file.save("meter", 11);
  std::ifstream in(dir_ + "/counter-meter.state.prev");
  std::string text{std::istreambuf_iterator<char>(in), {}};
  EXPECT_EQ(CounterFile::parse(text), 10u);
}

TEST_F(ACounterFile, TakesThePreviousGenerationWhenTheFileIsCutShort) {
  CounterFile file(dir_);
  file.save("meter", 10);
  file.save("meter", 11);
  std::string text = CounterFile::format(12);
  for (std::size_t keep : {std::size_t{0}, std::size_t{5}, text.size() - 1}) {
    write(file.path("meter"), text.substr(0, keep));
    EXPECT_EQ(file.load("meter"), 10u) << "cut to " << keep << " bytes";
  }
}

TEST_F(ACounterFile, TakesThePreviousGenerationWhenADigitIsDamaged) {
  CounterFile file(dir_);
  file.save("meter", 10);
  file.save("meter", 11);
  std::string text = CounterFile::format(11);
  text[text.find("11")] = '7';
  write(file.path("meter"), text);
  EXPECT_EQ(file.load("meter"), 10u);
}

TEST_F(ACounterFile, TakesThePreviousGenerationWhenASaveWasCutBetweenItsRenames) {
  CounterFile file(dir_);
  file.save("meter", 10);
  file.save("meter", 11);
  std::filesystem::remove(file.path("meter"));
  EXPECT_EQ(file.load("meter"), 10u);
}

TEST_F(ACounterFile, StartsFromZeroWhenBothGenerationsAreBad) {
  CounterFile file(dir_);
  write(file.path("meter"), "garbage");
  write(file.path("meter") + ".prev", std::string(1000, 'x'));
  EXPECT_EQ(file.load("meter"), 0u);
}

TEST_F(ACounterFile, DoesNotKeepADamagedFileAsThePreviousGeneration) {
  CounterFile file(dir_);
  file.save("meter", 10);
  file.save("meter", 11);
  write(file.path("meter"), "garbage");
  file.save("meter", 12);
  std::filesystem::remove(file.path("meter"));
  EXPECT_EQ(file.load("meter"), 10u);
}

TEST_F(ACounterFile, CountsASaveThatFailsAndCarriesOn) {
  CounterFile file(dir_);
  std::filesystem::remove_all(dir_);
  file.save("meter", 3);
  EXPECT_EQ(file.errors(), 1u);
}

TEST(ACounterFileText, IsOneCheckedLine) {
  std::string text = CounterFile::format(42);
  EXPECT_EQ(text.rfind("gpio2mqtt counter 1 42 ", 0), 0u) << text;
  EXPECT_EQ(CounterFile::parse(text), 42u);
  EXPECT_EQ(CounterFile::parse(text + "x"), std::nullopt);
  EXPECT_EQ(CounterFile::parse("gpio2mqtt counter 1 42 0\n"), std::nullopt);
  EXPECT_EQ(CounterFile::parse("gpio2mqtt counter 2 42 1\n"), std::nullopt);
}

}  // namespace
}  // namespace gpio2mqtt::service

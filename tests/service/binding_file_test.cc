// The bindings' switches in a temporary directory: what one run saves the next loads, and what a
// cut or damaged file leaves.
#include "service/binding_file.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "process.h"

namespace gpio2mqtt::service {
namespace {

class ABindingFile : public ::testing::Test {
 protected:
  gpio2mqtt::testing::ScratchDirectory scratch_{"gpio2mqtt-bindings"};
  const std::string dir_ = scratch_.path();
};

TEST_F(ABindingFile, KnowsNothingOfABindingNeverSwitched) {
  BindingFile file(dir_ + "/state");
  EXPECT_TRUE(std::filesystem::is_directory(dir_ + "/state"));
  EXPECT_EQ(file.load("night"), std::nullopt);
}

TEST_F(ABindingFile, LoadsWhatThePreviousRunSaved) {
  BindingFile file(dir_);
  file.save("child lock", false);
  file.save("night", true);
  file.save("night", false);
  BindingFile next(dir_);
  EXPECT_EQ(next.load("child lock"), false);
  EXPECT_EQ(next.load("night"), false);
  EXPECT_EQ(next.load("other"), std::nullopt);
  EXPECT_FALSE(std::filesystem::exists(file.path() + ".new"));
  EXPECT_EQ(file.errors(), 0u);
}

TEST_F(ABindingFile, SkipsALineCutShortOrDamaged) {
  std::size_t problems = 0;
  auto switches = BindingFile::parse("gpio2mqtt bindings 1\na off\nb maybe\nc of", problems);
  EXPECT_EQ(switches, (std::map<std::string, bool>{{"a", false}}));
  EXPECT_EQ(problems, 2u);
  problems = 0;
  EXPECT_TRUE(BindingFile::parse("something else\na off\n", problems).empty());
  EXPECT_EQ(problems, 1u);
  EXPECT_EQ(BindingFile::format({{"a", false}, {"b", true}}), "gpio2mqtt bindings 1\na off\nb on\n");
}

}  // namespace
}  // namespace gpio2mqtt::service

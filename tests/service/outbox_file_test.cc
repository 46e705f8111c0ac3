// The outbox's file (mqtt.persistence) in a temporary directory: what one run stores, the next
// loads, also after a kill in the middle of a write.
#include "service/outbox_file.h"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <filesystem>
#include <fstream>

#include "process.h"

namespace gpio2mqtt::service {
namespace {

class AnOutboxFile : public ::testing::Test {
 protected:
  std::string file_text() const {
    std::ifstream in(dir_ + "/state/outbox", std::ios::binary);
    return {std::istreambuf_iterator<char>(in), {}};
  }
  void cut_file(std::size_t bytes_off) const {
    auto path = dir_ + "/state/outbox";
    std::filesystem::resize_file(path, std::filesystem::file_size(path) - bytes_off);
  }
  gpio2mqtt::testing::ScratchDirectory scratch_{"gpio2mqtt-outbox"};
  const std::string dir_ = scratch_.path();
};

// A topic and payload with what a line-based format would trip over.
const Message kOdd{"pi/door/event", "{\"a\":\"line\\nbreak\"}\n m 1 1 9 9\n", 1, false};
const Message kRetained{"pi/door/state", "ON", 2, true};

TEST_F(AnOutboxFile, CreatesItsDirectoryAndStartsEmpty) {
  OutboxFile file(dir_ + "/state");
  EXPECT_TRUE(file.load().empty());
  struct stat st {};
  ASSERT_EQ(stat((dir_ + "/state").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 07777, 0750u);
}

TEST_F(AnOutboxFile, GivesTheNextRunWhatThisOneAppended) {
  {
    OutboxFile file(dir_ + "/state");
    file.append(kOdd);
    file.append(kRetained);
  }
  OutboxFile next(dir_ + "/state");
  EXPECT_EQ(next.load(), (std::vector<Message>{kOdd, kRetained}));
  EXPECT_EQ(next.errors(), 0u);
}

TEST_F(AnOutboxFile, ReplacesItsContentAndAppendsAfterIt) {
  OutboxFile file(dir_ + "/state");
  file.append(kOdd);
  file.replace({kRetained});
  file.append(kOdd);
  EXPECT_EQ(OutboxFile(dir_ + "/state").load(), (std::vector<Message>{kRetained, kOdd}));
  file.replace({});
  EXPECT_TRUE(OutboxFile(dir_ + "/state").load().empty());
}

TEST_F(AnOutboxFile, KeepsTheWholeRecordsBeforeOneCutShortAndAppendsCleanlyAfter) {
  {
    OutboxFile file(dir_ + "/state");
    file.append(kRetained);
    file.append(kOdd);
  }
  cut_file(5);  // killed in the middle of writing kOdd
  OutboxFile next(dir_ + "/state");
  EXPECT_EQ(next.load(), (std::vector<Message>{kRetained}));
  next.append(kOdd);
  EXPECT_EQ(OutboxFile(dir_ + "/state").load(), (std::vector<Message>{kRetained, kOdd}));
}

TEST_F(AnOutboxFile, IgnoresAFileThatIsNotItsOwn) {
  std::filesystem::create_directory(dir_ + "/state");
  std::ofstream(dir_ + "/state/outbox") << "something else entirely\n";
  OutboxFile file(dir_ + "/state");
  EXPECT_TRUE(file.load().empty());
  file.append(kRetained);
  EXPECT_EQ(OutboxFile(dir_ + "/state").load(), (std::vector<Message>{kRetained}));
}

TEST_F(AnOutboxFile, RefusesADirectoryItCannotCreate) {
  std::ofstream(dir_ + "/plain-file") << "";
  EXPECT_THROW(OutboxFile(dir_ + "/plain-file/state"), std::runtime_error);
}

}  // namespace
}  // namespace gpio2mqtt::service

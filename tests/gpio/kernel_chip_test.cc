// The kernel chip base both libgpiod backends build on, over a recording backend.
#include "gpio/kernel_chip.h"

#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <vector>

#include "assertions.h"

namespace gpio2mqtt::gpio {
namespace {

using testing::Contains;
using testing::error_of;

class NoLines : public LineRequest {
 public:
  std::vector<int> event_fds() const override { return {}; }
  void read_events(int, std::vector<EdgeEvent>&) override {}
  bool get_value(unsigned) override { return false; }
  void set_value(unsigned, bool) override {}
};

// A chip of 100 unnamed lines but line 7 ("relay") whose backend records the groups it is asked for.
class RecordingChip : public kernel::NamedChip {
 public:
  RecordingChip() : NamedChip("gpiochip9", "expander") {}
  std::vector<std::size_t> group_sizes;
  std::vector<std::string> consumers;

 protected:
  unsigned num_lines() const override { return 100; }
  std::string read_line_name(unsigned offset) const override { return offset == 7 ? "relay" : ""; }
  std::unique_ptr<LineRequest> request_group(const std::string& consumer,
                                             const std::vector<LineSettings>& lines) override {
    group_sizes.push_back(lines.size());
    consumers.push_back(consumer);
    return std::make_unique<NoLines>();
  }
};

std::vector<LineSettings> offsets(std::vector<unsigned> list) {
  std::vector<LineSettings> lines;
  for (unsigned offset : list) lines.push_back(LineSettings{.offset = offset});
  return lines;
}

std::vector<unsigned> all_offsets(unsigned count) {
  std::vector<unsigned> list;
  for (unsigned offset = 0; offset < count; ++offset) list.push_back(offset);
  return list;
}

TEST(AKernelChip, RequestsMoreThan64LinesAsKernelRequestsOfAtMost64) {
  RecordingChip chip;
  auto request = chip.request("gpio2mqtt", offsets(all_offsets(100)));
  EXPECT_EQ(chip.group_sizes, (std::vector<std::size_t>{64, 36}));
  EXPECT_EQ(chip.consumers, (std::vector<std::string>{"gpio2mqtt", "gpio2mqtt"}));
}

TEST(AKernelChip, RefusesALineListedTwiceEvenInDifferentGroupsBeforeRequestingAny) {
  RecordingChip chip;
  auto lines = offsets(all_offsets(70));
  lines.push_back(LineSettings{.offset = 7});
  EXPECT_TRUE(Contains(error_of<GpioError>([&] { chip.request("gpio2mqtt", lines); }),
                       "line 'relay' (offset 7) of gpiochip9 [expander] is listed twice in one request"));
  EXPECT_TRUE(chip.group_sizes.empty());
}

TEST(AKernelChip, RefusesAnOffsetBeyondItsLinesBeforeRequestingAny) {
  RecordingChip chip;
  EXPECT_TRUE(Contains(error_of<GpioError>([&] {
                         chip.request("gpio2mqtt", offsets({1, 100}));
                       }),
                       "gpiochip9 [expander] has no offset 100 (it has 100 lines)"));
  EXPECT_TRUE(chip.group_sizes.empty());
}

}  // namespace
}  // namespace gpio2mqtt::gpio

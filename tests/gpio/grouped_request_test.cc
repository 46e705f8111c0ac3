#include "gpio/grouped_request.h"

#include <gtest/gtest.h>

#include <map>
#include <memory>
#include <string>
#include <vector>

namespace gpio2mqtt::gpio {
namespace {

// What the fake kernel requests saw, shared with the test after the requests are gone.
struct Record {
  std::vector<std::vector<unsigned>> groups;  // the offsets of each request, in request order
  int alive = 0;
  std::vector<std::string> calls;  // "read 101", "get 70", "set 70 1", each tagged with its group
};

// One group: its event fd is 100 + its index, and each read yields one rising edge per offset.
class RecordingRequest : public LineRequest {
 public:
  RecordingRequest(Record& record, std::vector<unsigned> offsets)
      : record_(record), offsets_(std::move(offsets)), index_(static_cast<int>(record.groups.size())) {
    record_.groups.push_back(offsets_);
    ++record_.alive;
  }
  ~RecordingRequest() override { --record_.alive; }

  std::vector<int> event_fds() const override { return {100 + index_}; }
  void read_events(int fd, std::vector<EdgeEvent>& out) override {
    record_.calls.push_back("group " + std::to_string(index_) + " read " + std::to_string(fd));
    for (unsigned offset : offsets_) out.push_back({offset, true, 0, 1, 1, 0});
  }
  bool get_value(unsigned offset) override {
    record_.calls.push_back("group " + std::to_string(index_) + " get " + std::to_string(offset));
    return offset % 2 == 1;
  }
  void set_value(unsigned offset, bool active) override {
    record_.calls.push_back("group " + std::to_string(index_) + " set " + std::to_string(offset) + " " +
                            std::to_string(active));
  }

 private:
  Record& record_;
  std::vector<unsigned> offsets_;
  int index_;
};

std::vector<LineSettings> inputs(unsigned first, unsigned count) {
  std::vector<LineSettings> lines(count);
  for (unsigned i = 0; i < count; ++i) lines[i].offset = first + i;
  return lines;
}

GroupRequester recording(Record& record) {
  return [&record](const std::vector<LineSettings>& group) {
    std::vector<unsigned> offsets;
    for (const auto& s : group) offsets.push_back(s.offset);
    return std::make_unique<RecordingRequest>(record, offsets);
  };
}

TEST(AGroupedRequest, AsksTheKernelForAtMost64LinesAtATimeInTheirOrder) {
  Record record;
  auto request = request_in_groups(inputs(0, 130), kMaxLinesPerKernelRequest, recording(record));
  ASSERT_EQ(record.groups.size(), 3u);
  EXPECT_EQ(record.groups[0].size(), 64u);
  EXPECT_EQ(record.groups[1].size(), 64u);
  EXPECT_EQ(record.groups[2], (std::vector<unsigned>{128, 129}));
  EXPECT_EQ(record.groups[0].front(), 0u);
  EXPECT_EQ(record.groups[1].front(), 64u);
  EXPECT_EQ(record.alive, 3);
}

TEST(AGroupedRequest, LeavesLinesThatFitInOneKernelRequestToThatRequest) {
  Record record;
  auto request = request_in_groups(inputs(0, 64), kMaxLinesPerKernelRequest, recording(record));
  ASSERT_EQ(record.groups.size(), 1u);
  EXPECT_NE(dynamic_cast<RecordingRequest*>(request.get()), nullptr);
}

TEST(AGroupedRequest, WaitsOnTheFdsOfEveryGroupAndReadsEachFromItsOwnGroup) {
  Record record;
  auto request = request_in_groups(inputs(10, 5), 2, recording(record));
  EXPECT_EQ(request->event_fds(), (std::vector<int>{100, 101, 102}));
  std::vector<EdgeEvent> events;
  request->read_events(101, events);
  EXPECT_EQ(record.calls, (std::vector<std::string>{"group 1 read 101"}));
  ASSERT_EQ(events.size(), 2u);
  EXPECT_EQ(events[0].offset, 12u);
  EXPECT_EQ(events[1].offset, 13u);
}

TEST(AGroupedRequest, ReadsAndDrivesEachLineThroughTheGroupThatHoldsIt) {
  Record record;
  auto request = request_in_groups(inputs(60, 10), 4, recording(record));
  EXPECT_TRUE(request->get_value(69));
  EXPECT_FALSE(request->get_value(60));
  request->set_value(65, true);
  EXPECT_EQ(record.calls, (std::vector<std::string>{"group 2 get 69", "group 0 get 60", "group 1 set 65 1"}));
}

TEST(AGroupedRequest, RefusesAnFdOrOffsetOfNoGroup) {
  Record record;
  auto request = request_in_groups(inputs(0, 3), 2, recording(record));
  std::vector<EdgeEvent> events;
  EXPECT_THROW(request->read_events(7, events), GpioError);
  EXPECT_THROW(request->get_value(3), GpioError);
  EXPECT_THROW(request->set_value(3, true), GpioError);
  EXPECT_TRUE(record.calls.empty());
}

TEST(AGroupedRequest, ReleasesTheGroupsItHadWhenALaterOneFails) {
  Record record;
  auto fail_third = [&](const std::vector<LineSettings>& group) -> std::unique_ptr<LineRequest> {
    if (record.groups.size() == 2) throw GpioError("line offset 4 is busy");
    return recording(record)(group);
  };
  EXPECT_THROW(request_in_groups(inputs(0, 6), 2, fail_third), GpioError);
  EXPECT_EQ(record.groups.size(), 2u);
  EXPECT_EQ(record.alive, 0);
}

TEST(AGroupedRequest, ReleasesEveryGroupWithItself) {
  Record record;
  auto request = request_in_groups(inputs(0, 200), kMaxLinesPerKernelRequest, recording(record));
  EXPECT_EQ(record.alive, 4);
  request.reset();
  EXPECT_EQ(record.alive, 0);
}

}  // namespace
}  // namespace gpio2mqtt::gpio

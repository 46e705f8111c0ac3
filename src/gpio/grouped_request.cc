#include "gpio/grouped_request.h"

#include <algorithm>
#include <map>
#include <string>
#include <utility>

namespace gpio2mqtt::gpio {
namespace {

// Several kernel requests as one: each fd and each offset goes to the group that holds it.
class GroupedRequest : public LineRequest {
 public:
  void add(std::unique_ptr<LineRequest> group, const std::vector<LineSettings>& lines) {
    for (int fd : group->event_fds()) {
      fds_.push_back(fd);
      by_fd_[fd] = group.get();
    }
    for (const auto& s : lines) by_offset_[s.offset] = group.get();
    groups_.push_back(std::move(group));
  }

  std::vector<int> event_fds() const override { return fds_; }

  void read_events(int fd, std::vector<EdgeEvent>& out) override {
    auto it = by_fd_.find(fd);
    if (it == by_fd_.end()) throw GpioError("fd " + std::to_string(fd) + " is not an event fd of this request");
    it->second->read_events(fd, out);
  }

  bool get_value(unsigned offset) override { return group_of(offset).get_value(offset); }
  void set_value(unsigned offset, bool active) override { group_of(offset).set_value(offset, active); }

 private:
  LineRequest& group_of(unsigned offset) const {
    auto it = by_offset_.find(offset);
    if (it == by_offset_.end()) throw GpioError("offset " + std::to_string(offset) + " is not in this request");
    return *it->second;
  }

  std::vector<std::unique_ptr<LineRequest>> groups_;
  std::vector<int> fds_;  // in the order of the groups, as each group gave them
  std::map<int, LineRequest*> by_fd_;
  std::map<unsigned, LineRequest*> by_offset_;
};

}  // namespace

std::unique_ptr<LineRequest> request_in_groups(const std::vector<LineSettings>& lines, std::size_t max_per_group,
                                               const GroupRequester& request_group) {
  if (max_per_group == 0) throw GpioError("a request needs room for at least one line per group");
  if (lines.size() <= max_per_group) return request_group(lines);
  auto grouped = std::make_unique<GroupedRequest>();  // releases the groups made so far if one throws
  for (std::size_t first = 0; first < lines.size(); first += max_per_group) {
    auto end = lines.begin() + static_cast<std::ptrdiff_t>(std::min(first + max_per_group, lines.size()));
    std::vector<LineSettings> group(lines.begin() + static_cast<std::ptrdiff_t>(first), end);
    grouped->add(request_group(group), group);
  }
  return grouped;
}

}  // namespace gpio2mqtt::gpio

// Messages that wait while the broker is unreachable: bounded, in order, oldest dropped first.
#pragma once

#include <cstdint>
#include <deque>
#include <string>
#include <vector>

namespace gpio2mqtt::bridge {

struct Message {
  std::string topic;
  std::string payload;
  int qos = 0;
  bool retain = false;
  bool operator==(const Message&) const = default;
};

class Outbox {
 public:
  explicit Outbox(std::size_t limit) : limit_(limit ? limit : 1) {}

  // Returns true when an older message had to be dropped to make room.
  bool push(Message message);
  // Puts `messages` back in front, in their order (they were sent before anything queued);
  // the oldest go when over the limit. Returns how many had to be dropped.
  std::size_t push_front(std::vector<Message> messages);
  bool empty() const { return queue_.empty(); }
  std::size_t size() const { return queue_.size(); }
  const Message& front() const { return queue_.front(); }
  void pop() { queue_.pop_front(); }
  std::uint64_t dropped() const { return dropped_; }

 private:
  std::size_t limit_;
  std::deque<Message> queue_;
  std::uint64_t dropped_ = 0;
};

}  // namespace gpio2mqtt::bridge

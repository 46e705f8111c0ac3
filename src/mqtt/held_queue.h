// Messages waiting for room in the paho client's window (flow control), in order and bounded.
#pragma once

#include <cstdint>
#include <deque>
#include <string>
#include <unordered_map>
#include <vector>

#include "gpio2mqtt/message.h"

namespace gpio2mqtt::mqtt {

// A retained message (a line's state) supersedes an older one on the same topic that is still
// waiting: only the newest state means anything to a subscriber, and each edge's event carries
// its state too. So when edges come faster than the broker acknowledges, the broker gets one
// message per edge instead of two, and the backlog drains twice as fast.
class HeldQueue {
 public:
  explicit HeldQueue(std::size_t limit) : limit_(limit ? limit : 1) {}

  // Queues at the end; returns true when the queue was full and the oldest waiting event (never
  // a line's newest state) was dropped.
  bool push(Message message);
  bool empty() const { return live_ == 0; }
  std::size_t size() const { return live_; }
  // The oldest message still meant to go (not superseded); only when !empty().
  const Message& front();
  void pop();
  // Every message still meant to go, oldest first; leaves the queue empty.
  std::vector<Message> take_all();

 private:
  struct Held {
    Message message;
    std::uint64_t serial;
  };
  bool is_superseded(const Held& held) const;
  void skip_superseded();
  void pop_live();
  void drop_oldest_event();

  std::size_t limit_;
  std::deque<Held> queue_;
  std::unordered_map<std::string, std::uint64_t> newest_state_;  // topic -> serial of the waiting one
  std::uint64_t next_serial_ = 0;
  std::size_t live_ = 0;
};

}  // namespace gpio2mqtt::mqtt

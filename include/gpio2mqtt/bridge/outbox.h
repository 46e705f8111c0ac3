// Messages that wait while the broker is unreachable: bounded, in order, oldest dropped first.
#pragma once

#include <cstdint>
#include <deque>
#include <string>
#include <vector>

#include "gpio2mqtt/message.h"

namespace gpio2mqtt::bridge {

// Where the outbox survives a restart (mqtt.persistence). The outbox tells it every change that
// must outlive the process; an implementation handles its own I/O errors (logs, counts, carries on
// in memory): the bridge never waits on or fails because of its storage.
class OutboxStore {
 public:
  virtual ~OutboxStore() = default;
  // What a previous run left queued, oldest first.
  virtual std::vector<Message> load() = 0;
  // One more message queued at the end.
  virtual void append(const Message& message) = 0;
  // Everything queued now, replacing what was stored (after messages left or went back in front).
  virtual void replace(const std::deque<Message>& queue) = 0;
};

class Outbox {
 public:
  // With a store, starts with what it kept (the newest `limit`) and keeps it up to date.
  explicit Outbox(std::size_t limit, OutboxStore* store = nullptr);

  // Returns true when an older message had to be dropped to make room.
  bool push(Message message);
  // Puts `messages` back in front, in their order (they were sent before anything queued);
  // the oldest go when over the limit. Returns how many had to be dropped.
  std::size_t push_front(std::vector<Message> messages);
  bool empty() const { return queue_.empty(); }
  std::size_t size() const { return queue_.size(); }
  const Message& front() const { return queue_.front(); }
  void pop();
  std::uint64_t dropped() const { return dropped_; }
  // How many messages the previous run left (loaded at construction).
  std::size_t restored() const { return restored_; }

 private:
  std::size_t limit_;
  OutboxStore* store_;
  std::deque<Message> queue_;
  std::uint64_t dropped_ = 0;
  std::size_t restored_ = 0;
  std::size_t stored_records_ = 0;  // appended since the last replace(): dropped ones included
};

}  // namespace gpio2mqtt::bridge

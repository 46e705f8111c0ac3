#include "mqtt/held_queue.h"

namespace gpio2mqtt::mqtt {

bool HeldQueue::push(Message message) {
  std::uint64_t serial = next_serial_++;
  if (message.retain) {
    auto [it, inserted] = newest_state_.try_emplace(message.topic, serial);
    if (!inserted) {  // an older state of this topic waits: it will be skipped
      it->second = serial;
      --live_;
    }
  }
  queue_.push_back({std::move(message), serial});
  ++live_;
  if (live_ <= limit_) return false;
  drop_oldest_event();
  return true;
}

void HeldQueue::drop_oldest_event() {
  // The newest state of every line is kept (at most one per line waits); the oldest event goes.
  for (auto it = queue_.begin(); it != queue_.end(); ++it) {
    if (it->message.retain) continue;
    queue_.erase(it);
    --live_;
    return;
  }
  pop_live();  // nothing but states wait
}

bool HeldQueue::is_superseded(const Held& held) const {
  if (!held.message.retain) return false;
  auto it = newest_state_.find(held.message.topic);
  return it == newest_state_.end() || it->second != held.serial;
}

void HeldQueue::skip_superseded() {
  while (!queue_.empty() && is_superseded(queue_.front())) queue_.pop_front();
}

const Message& HeldQueue::front() {
  skip_superseded();
  return queue_.front().message;
}

void HeldQueue::pop() { pop_live(); }

void HeldQueue::pop_live() {
  skip_superseded();
  if (queue_.empty()) return;
  const Held& held = queue_.front();
  if (held.message.retain) newest_state_.erase(held.message.topic);
  queue_.pop_front();
  --live_;
  if (live_ == 0) queue_.clear();  // only superseded ones can be left
}

std::vector<Message> HeldQueue::take_all() {
  std::vector<Message> out;
  out.reserve(live_);
  for (auto& held : queue_)
    if (!is_superseded(held)) out.push_back(std::move(held.message));
  queue_.clear();
  newest_state_.clear();
  live_ = 0;
  return out;
}

}  // namespace gpio2mqtt::mqtt

#include "gpio2mqtt/bridge/outbox.h"

namespace gpio2mqtt::bridge {

bool Outbox::push(Message message) {
  bool dropped = false;
  if (queue_.size() >= limit_) {
    queue_.pop_front();
    ++dropped_;
    dropped = true;
  }
  queue_.push_back(std::move(message));
  return dropped;
}

std::size_t Outbox::push_front(std::vector<Message> messages) {
  queue_.insert(queue_.begin(), std::make_move_iterator(messages.begin()), std::make_move_iterator(messages.end()));
  std::size_t dropped = 0;
  while (queue_.size() > limit_) {
    queue_.pop_front();
    ++dropped;
  }
  dropped_ += dropped;
  return dropped;
}

}  // namespace gpio2mqtt::bridge

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

}  // namespace gpio2mqtt::bridge

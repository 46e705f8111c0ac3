#include "gpio2mqtt/bridge/outbox.h"

#include <spdlog/spdlog.h>

#include <algorithm>

namespace gpio2mqtt::bridge {

Outbox::Outbox(std::size_t limit, OutboxStore* store) : limit_(limit ? limit : 1), store_(store) {
  if (!store_) return;
  std::vector<Message> kept = store_->load();
  stored_records_ = kept.size();
  std::size_t excess = kept.size() > limit_ ? kept.size() - limit_ : 0;  // mqtt.buffer shrank
  queue_.assign(std::make_move_iterator(kept.begin() + static_cast<std::ptrdiff_t>(excess)),
                std::make_move_iterator(kept.end()));
  restored_ = queue_.size();
  dropped_ += excess;
  if (excess) {
    spdlog::warn("dropped the oldest {} of the {} events the previous run queued: more than mqtt.buffer ({})", excess,
                 kept.size(), limit_);
    store_->replace(queue_);
    stored_records_ = queue_.size();
  }
}

bool Outbox::push(Message message) {
  bool dropped = false;
  if (queue_.size() >= limit_) {
    queue_.pop_front();
    ++dropped_;
    dropped = true;
  }
  queue_.push_back(std::move(message));
  if (store_) {
    // Appending is cheap; the dropped oldest stay in the store until it holds twice the limit,
    // and is then rewritten, so a long outage costs one rewrite per `limit` edges, not per edge.
    store_->append(queue_.back());
    if (++stored_records_ >= 2 * limit_) {
      store_->replace(queue_);
      stored_records_ = queue_.size();
    }
  }
  return dropped;
}

void Outbox::pop() {
  queue_.pop_front();
  // Sent ones are not struck off one by one: a run that dies while draining sends them again
  // next time, which QoS 1 allows. Once all are out, the store is emptied.
  if (store_ && queue_.empty() && stored_records_) {
    store_->replace(queue_);
    stored_records_ = 0;
  }
}

std::size_t Outbox::push_front(std::vector<Message> messages) {
  if (messages.empty()) return 0;
  queue_.insert(queue_.begin(), std::make_move_iterator(messages.begin()), std::make_move_iterator(messages.end()));
  std::size_t dropped = 0;
  while (queue_.size() > limit_) {
    queue_.pop_front();
    ++dropped;
  }
  dropped_ += dropped;
  if (dropped)
    spdlog::warn(
        "dropped the oldest {} queued events: with those the broker did not acknowledge, more than "
        "mqtt.buffer ({}) waited",
        dropped, limit_);
  if (store_) {
    store_->replace(queue_);
    stored_records_ = queue_.size();
  }
  return dropped;
}

}  // namespace gpio2mqtt::bridge

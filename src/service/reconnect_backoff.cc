#include "service/reconnect_backoff.h"

#include <algorithm>

namespace gpio2mqtt::service {

std::chrono::milliseconds ReconnectBackoff::next() {
  auto ceiling = ceiling_;
  ceiling_ = std::min(ceiling_ * 2, kLongestCeiling);
  if (!jitter_) return ceiling;
  return std::chrono::milliseconds(std::uniform_int_distribution<std::int64_t>(0, ceiling.count())(random_));
}

}  // namespace gpio2mqtt::service

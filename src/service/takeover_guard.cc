#include "service/takeover_guard.h"

#include <algorithm>

namespace gpio2mqtt::service {

std::optional<std::chrono::seconds> TakeoverGuard::on_lost(MonoTime now, bool broker_said_so) {
  auto lived = connected_at_ ? now - *connected_at_ : MonoTime(0);
  connected_at_.reset();
  if (lived >= kSettled) wait_ = kFirstWait;
  short_lived_ = lived < kShortLived ? short_lived_ + 1 : 0;
  inferred_ = !broker_said_so;
  if (!broker_said_so && short_lived_ < kShortLivedInARow) return std::nullopt;
  short_lived_ = 0;
  auto wait = wait_;
  wait_ = std::min(wait_ * 2, kLongestWait);
  return wait;
}

}  // namespace gpio2mqtt::service

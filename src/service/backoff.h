// Retry delays for the broker connection and the GPIO chips: 1 s, doubling to 60 s; back to 1 s
// once the thing retried works again.
#pragma once

#include <algorithm>
#include <chrono>

namespace gpio2mqtt::service {

class Backoff {
 public:
  std::chrono::seconds next() {
    auto delay = next_;
    next_ = std::min(next_ * 2, std::chrono::seconds(60));
    return delay;
  }
  void reset() { next_ = std::chrono::seconds(1); }

 private:
  std::chrono::seconds next_{1};
};

}  // namespace gpio2mqtt::service

// How long to wait before connecting again after every node of the broker failed: a ceiling of
// 1 s doubling to 60 s and, with jitter, a delay drawn evenly between 0 and that ceiling ("full
// jitter"). Boards that lost one broker at the same moment then come back spread over the
// ceiling instead of all at once, each time. Without jitter the delay is the ceiling itself.
#pragma once

#include <chrono>
#include <random>

namespace gpio2mqtt::service {

class ReconnectBackoff {
 public:
  static constexpr std::chrono::milliseconds kFirstCeiling{1000};
  static constexpr std::chrono::milliseconds kLongestCeiling{60'000};

  // `random` is borrowed, and drawn from only with `jitter`.
  ReconnectBackoff(std::mt19937_64& random, bool jitter) : random_(random), jitter_(jitter) {}

  std::chrono::milliseconds next();
  void reset() { ceiling_ = kFirstCeiling; }
  void set_jitter(bool jitter) { jitter_ = jitter; }

 private:
  std::mt19937_64& random_;
  bool jitter_;
  std::chrono::milliseconds ceiling_ = kFirstCeiling;
};

}  // namespace gpio2mqtt::service

// Latency samples to percentiles, and medians across runs.
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <vector>

namespace gpio2mqtt::bench {

// Microseconds; n = 0 when there were no samples.
struct Percentiles {
  std::size_t n = 0;
  double p50 = 0, p99 = 0, max = 0;
};

// Nearest-rank percentiles of `us` (reordered).
inline Percentiles percentiles(std::vector<double>& us) {
  Percentiles p;
  p.n = us.size();
  if (us.empty()) return p;
  auto rank = [&](double q) {
    std::size_t k = static_cast<std::size_t>(q * static_cast<double>(us.size()) + 0.999999);
    k = std::clamp<std::size_t>(k, 1, us.size()) - 1;
    std::nth_element(us.begin(), us.begin() + static_cast<std::ptrdiff_t>(k), us.end());
    return us[k];
  };
  p.p50 = rank(0.50);
  p.p99 = rank(0.99);
  p.max = *std::max_element(us.begin(), us.end());
  return p;
}

inline double median(std::vector<double> values) {
  if (values.empty()) return 0;
  std::sort(values.begin(), values.end());
  std::size_t mid = values.size() / 2;
  return values.size() % 2 ? values[mid] : (values[mid - 1] + values[mid]) / 2;
}

}  // namespace gpio2mqtt::bench

// The words the config uses for its enums: read by the loader, written by --check-config, one
// table each.
#pragma once

#include <span>
#include <utility>

#include "gpio2mqtt/config/config.h"

namespace gpio2mqtt::config {

template <typename T>
using Names = std::span<const std::pair<const char*, T>>;

inline constexpr std::pair<const char*, Edge> kEdgeNames[] = {
    {"rising", Edge::kRising}, {"falling", Edge::kFalling}, {"both", Edge::kBoth}, {"none", Edge::kNone}};
inline constexpr std::pair<const char*, gpio::Bias> kBiasNames[] = {{"as-is", gpio::Bias::kAsIs},
                                                                    {"disable", gpio::Bias::kDisable},
                                                                    {"pull-up", gpio::Bias::kPullUp},
                                                                    {"pull-down", gpio::Bias::kPullDown}};
inline constexpr std::pair<const char*, gpio::Drive> kDriveNames[] = {{"push-pull", gpio::Drive::kPushPull},
                                                                      {"open-drain", gpio::Drive::kOpenDrain},
                                                                      {"open-source", gpio::Drive::kOpenSource}};

// The word for `value` ("?" for one the table lacks).
template <typename T>
const char* name_of(Names<T> names, T value) {
  for (const auto& [name, v] : names)
    if (v == value) return name;
  return "?";
}

}  // namespace gpio2mqtt::config

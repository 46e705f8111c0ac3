#include "service/chip_lookup.h"

#include <algorithm>

#include "gpio2mqtt/config/loader.h"

namespace gpio2mqtt::service {
namespace {

std::string joined(const std::vector<std::string>& names, std::size_t limit = 16) {
  std::string out;
  std::size_t shown = 0;
  for (const auto& name : names) {
    if (name.empty()) continue;
    if (shown++ == limit) return out + ", ...";
    out += (out.empty() ? "" : ", ") + name;
  }
  return out.empty() ? "(none)" : out;
}

std::size_t edit_distance(const std::string& a, const std::string& b) {
  std::vector<std::size_t> row(b.size() + 1);
  for (std::size_t j = 0; j <= b.size(); ++j) row[j] = j;
  for (std::size_t i = 1; i <= a.size(); ++i) {
    std::size_t diagonal = row[0];
    row[0] = i;
    for (std::size_t j = 1; j <= b.size(); ++j) {
      std::size_t next = std::min({row[j] + 1, row[j - 1] + 1, diagonal + (a[i - 1] != b[j - 1])});
      diagonal = row[j];
      row[j] = next;
    }
  }
  return row[b.size()];
}

}  // namespace

std::string closest_names(const std::string& wanted, const std::vector<std::string>& names) {
  std::vector<std::pair<std::size_t, std::string>> ranked;
  for (const auto& name : names)
    if (!name.empty()) ranked.emplace_back(edit_distance(wanted, name), name);
  std::sort(ranked.begin(), ranked.end());
  std::vector<std::string> best;
  for (std::size_t i = 0; i < ranked.size() && i < 5; ++i) best.push_back(ranked[i].second);
  return joined(best);
}

std::unique_ptr<gpio::Chip> open_hardware_chip(const config::ChipConfig& chip, gpio::ChipProvider& provider) {
  using config::ConfigError;
  if (chip.kind == config::ChipConfig::Kind::kPath) {
    try {
      return provider.open(chip.path);
    } catch (const std::exception& e) {
      throw ConfigError(chip.where, "chip '" + chip.name + "': cannot open " + chip.path + ": " + e.what() +
                                        "; chips here: " + joined(provider.chip_paths()));
    }
  }
  std::vector<std::string> labels;
  for (const auto& path : provider.chip_paths()) {
    try {
      auto candidate = provider.open(path);
      if (candidate->label() == chip.label) return candidate;
      labels.push_back(candidate->label() + " (" + path + ")");
    } catch (const std::exception& e) {
      labels.push_back(path + ": " + e.what());
    }
  }
  throw ConfigError(chip.where,
                    "chip '" + chip.name + "': no chip labelled '" + chip.label + "'; chips here: " + joined(labels));
}

}  // namespace gpio2mqtt::service

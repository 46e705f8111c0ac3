#include "payloads.h"

#include <regex>

namespace gpio2mqtt::testing {

std::optional<int> seq_of(const std::string& payload) {
  static const std::regex seq(R"("seq":(\d+))");
  std::smatch match;
  if (!std::regex_search(payload, match, seq)) return std::nullopt;
  return std::stoi(match[1]);
}

}  // namespace gpio2mqtt::testing

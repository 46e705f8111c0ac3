#include "service/server_list.h"

#include <algorithm>
#include <stdexcept>

namespace gpio2mqtt::service {

ServerList::ServerList(std::vector<std::string> servers, config::ServerOrder order, std::mt19937_64& random)
    : servers_(std::move(servers)) {
  if (servers_.empty()) throw std::invalid_argument("ServerList: no server");
  if (order == config::ServerOrder::kShuffled) std::shuffle(servers_.begin(), servers_.end(), random);
}

bool ServerList::select(const std::string& server) {
  auto it = std::find(servers_.begin(), servers_.end(), server);
  if (it == servers_.end()) return false;
  index_ = static_cast<std::size_t>(it - servers_.begin());
  return true;
}

bool ServerList::advance() {
  index_ = (index_ + 1) % servers_.size();
  return index_ == round_start_;
}

}  // namespace gpio2mqtt::service

// Which broker address to try next: the nodes of mqtt.server in order (or shuffled once, so that
// a fleet with one config spreads over a cluster instead of crowding its first node), moving on to
// the next on every failure or loss. A round is every node tried once since the last connect or
// loss; only a failed round waits for the backoff, so a dead node costs no more than its attempt.
#pragma once

#include <random>
#include <string>
#include <vector>

#include "gpio2mqtt/config/config.h"

namespace gpio2mqtt::service {

class ServerList {
 public:
  ServerList(std::vector<std::string> servers, config::ServerOrder order, std::mt19937_64& random);

  const std::string& current() const { return servers_[index_]; }
  std::size_t size() const { return servers_.size(); }
  // Moves on to the next node, wrapping round. True when that completes a round: every node has
  // failed once since begin_round().
  bool advance();
  // Makes `server` the current node (the one that answered a connect); false when it is none of
  // the list's, and the current node stays.
  bool select(const std::string& server);
  // A round starts at the current node (after a connect or a loss).
  void begin_round() { round_start_ = index_; }

 private:
  std::vector<std::string> servers_;
  std::size_t index_ = 0;
  std::size_t round_start_ = 0;
};

}  // namespace gpio2mqtt::service

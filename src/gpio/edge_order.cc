#include "gpio/edge_order.h"

namespace gpio2mqtt::gpio {

std::uint32_t EdgeOrder::on_edge(bool rising) {
  bool repeated = last_ && *last_ == rising;
  // After a made-up level, the same direction is most likely the real edge that made it, queued
  // late (the IRQ thread runs after the level changed): not a loss, but a loss cannot be told
  // apart from it either, so it is not counted.
  bool lost = repeated && !made_up_;
  last_ = rising;
  made_up_ = false;
  return lost ? 1 : 0;
}

bool EdgeOrder::settle(bool level) {
  if (!last_ || *last_ == level) return false;
  last_ = level;
  made_up_ = true;
  return true;
}

}  // namespace gpio2mqtt::gpio

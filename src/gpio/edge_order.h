// Lost edges on uAPI v1, which has no sequence numbers: a line alternates between rising and
// falling, so two edges in the same direction in a row mean the kernel dropped at least one
// between them (its 16-event queue was full; v1 drops the newest). An odd number lost looks like
// one and is counted as one; an even number cannot be seen. Because v1 drops the newest events, a
// queue that overflowed can also end on the wrong level with no edge to follow: after such a read
// the backend reads the line and settle() says whether the level it has differs from the last
// edge, i.e. whether an edge must be made up to publish the true level.
// Pure: the libgpiod v1 backend feeds it, tests drive it directly.
#pragma once

#include <cstdint>
#include <optional>

namespace gpio2mqtt::gpio {

class EdgeOrder {
 public:
  // The edges lost just before an edge in direction `rising`: 0 or 1.
  std::uint32_t on_edge(bool rising);
  // `level` was read from the line after its queue was drained: true when it differs from the
  // last edge, so an edge to `level` was lost and must be made up (and counted).
  bool settle(bool level);

 private:
  std::optional<bool> last_;  // the direction of the last edge, or the level settle() made up
  // settle() made up `last_`; the kernel may still queue the edge it saw, which then repeats
  // the level without a loss.
  bool made_up_ = false;
};

}  // namespace gpio2mqtt::gpio

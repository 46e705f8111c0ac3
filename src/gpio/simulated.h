// A simulated GPIO chip: named lines, and wires by which an output drives an input, so the whole
// bridge runs (and is tested) without hardware. Edges carry CLOCK_MONOTONIC timestamps and are
// signalled through an eventfd per request, so the event loop treats it exactly like a kernel chip.
//
// Optionally a control socket (AF_UNIX, SOCK_DGRAM) lets other programs drive the inputs, as
// gpio-sim's sysfs `pull` does: one text command per datagram, `pull LINE 0|1` (LINE a name or
// an offset). One request lists the socket among its event_fds(): the oldest with an input line,
// else the oldest (it may move when requests come and go: list the fds again then). Its
// read_events() on the socket applies the commands and returns the edges they caused on its own
// lines (edges on lines of other requests are signalled on those requests' fds, as always).
#pragma once

#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "gpio2mqtt/gpio/gpio.h"

namespace gpio2mqtt::gpio {

struct SimulatedState;

class SimulatedChip : public Chip {
 public:
  // With a `control_path`, binds the control socket there (a stale socket file is replaced; any
  // other file is an error) and removes it on destruction. Throws GpioError.
  SimulatedChip(std::string name, std::vector<std::string> line_names,
                std::vector<std::pair<std::string, std::string>> wires, const std::string& control_path = {});
  ~SimulatedChip() override;

  std::string name() const override;
  std::string label() const override;
  std::vector<std::string> line_names() const override;
  std::optional<unsigned> find_line(const std::string& name) const override;
  std::unique_ptr<LineRequest> request(const std::string& consumer, const std::vector<LineSettings>& lines) override;

  // Like gpio-sim's sysfs `pull`: what an undriven line reads when its bias is as-is.
  void set_pull(unsigned offset, bool high);
  // The physical level on the line (what a meter on the pin would show).
  bool physical_level(unsigned offset) const;

 private:
  std::shared_ptr<SimulatedState> state_;
};

}  // namespace gpio2mqtt::gpio

// A simulated GPIO chip: named lines, and wires by which an output drives an input, so the whole
// bridge runs (and is tested) without hardware. Edges carry CLOCK_MONOTONIC timestamps and are
// signalled through an eventfd per request, so the event loop treats it exactly like a kernel chip.
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
  SimulatedChip(std::string name, std::vector<std::string> line_names,
                std::vector<std::pair<std::string, std::string>> wires);
  ~SimulatedChip() override;

  std::string name() const override;
  std::string label() const override;
  std::vector<std::string> line_names() const override;
  std::optional<unsigned> find_line(const std::string& name) const override;
  std::unique_ptr<LineRequest> request(const std::string& consumer,
                                       const std::vector<LineSettings>& lines) override;

  // Like gpio-sim's sysfs `pull`: what an undriven line reads when its bias is as-is.
  void set_pull(unsigned offset, bool high);
  // The physical level on the line (what a meter on the pin would show).
  bool physical_level(unsigned offset) const;

 private:
  std::shared_ptr<SimulatedState> state_;
};

}  // namespace gpio2mqtt::gpio

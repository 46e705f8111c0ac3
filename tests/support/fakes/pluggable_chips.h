// Kernel GPIO chips as the service sees them through gpio::ChipProvider, made of simulated chips
// the test holds and can unplug and plug back: a chip failing (a USB adapter pulled, a driver
// unbound) without a kernel.
#pragma once

#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "gpio/simulated.h"
#include "gpio2mqtt/gpio/gpio.h"

namespace gpio2mqtt::testing {

class PluggableChips : public gpio::ChipProvider {
 public:
  PluggableChips();
  ~PluggableChips() override;
  // Adds /dev/`name`; the chip stays the test's to drive (set_pull, physical_level).
  gpio::SimulatedChip& add(const std::string& name, std::vector<std::string> lines,
                           std::vector<std::pair<std::string, std::string>> wires = {});
  // From now on its requests throw GpioError and their fds are readable, as the kernel leaves
  // them; opening it fails until plug().
  void unplug(const std::string& name);
  void plug(const std::string& name);
  // The paths open() was asked for, in order, whether it succeeded or not.
  std::vector<std::string> opened;

  std::vector<std::string> chip_paths() const override;
  std::unique_ptr<gpio::Chip> open(const std::string& path) override;

  struct Slot;

 private:
  std::map<std::string, std::shared_ptr<Slot>> slots_;  // by path
};

}  // namespace gpio2mqtt::testing

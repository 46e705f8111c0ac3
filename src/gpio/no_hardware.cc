// Placeholder until the libgpiod backend lands: simulated chips only.
#include "gpio2mqtt/gpio/hardware.h"

namespace gpio2mqtt::gpio {

std::unique_ptr<ChipProvider> make_hardware_provider() { return nullptr; }

}  // namespace gpio2mqtt::gpio

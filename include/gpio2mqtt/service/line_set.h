// The configured lines, opened and requested: simulated chips directly, kernel chips through a
// gpio::ChipProvider. One request per chip holds all of that chip's lines.
#pragma once

#include <map>
#include <memory>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include "gpio2mqtt/bridge/bridge.h"
#include "gpio2mqtt/config/config.h"
#include "gpio2mqtt/gpio/gpio.h"

namespace gpio2mqtt::service {

class LineSet : public bridge::LinePort {
 public:
  // Throws config::ConfigError when a chip or line named in the config does not exist (naming
  // what does), gpio::GpioError when the kernel refuses a request (e.g. a line is busy).
  LineSet(const config::Config& config, gpio::ChipProvider* hardware, const std::string& consumer);
  ~LineSet() override;

  bool read(std::size_t line) override;
  void write(std::size_t line, bool active) override;

  std::vector<int> event_fds() const;
  // Reads what is pending on `fd`, as (line index, event) pairs.
  void read_events(int fd, std::vector<std::pair<std::size_t, gpio::EdgeEvent>>& out);
  // "chip main (gpio2mqtt-sim-main) offset 2" for --check-config and logs.
  std::string describe(std::size_t line) const;

 private:
  struct OpenChip {
    std::string config_name;
    std::unique_ptr<gpio::Chip> chip;
    std::unique_ptr<gpio::LineRequest> request;
    std::map<unsigned, std::size_t> line_of_offset;
  };
  OpenChip& chip_for(const config::ChipConfig& chip_config, gpio::ChipProvider* hardware);

  std::vector<std::unique_ptr<OpenChip>> chips_;
  std::vector<std::pair<OpenChip*, unsigned>> lines_;  // by line index
  std::unordered_map<int, OpenChip*> chip_of_fd_;
  std::vector<gpio::EdgeEvent> scratch_;
};

// Opens the chip a config entry names: by path, or the one whose label matches.
std::unique_ptr<gpio::Chip> open_hardware_chip(const config::ChipConfig& chip, gpio::ChipProvider& provider);

}  // namespace gpio2mqtt::service

// What the libgpiod 1.x and 2.x backends share: finding /dev/gpiochipN, turning libgpiod's
// std::system_error into GpioError, and a Chip base that reads line names once, words messages,
// checks the lines of a request and splits it into kernel requests of at most 64 lines.
// Private to src/gpio; no libgpiod here, so both backends include it.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <system_error>
#include <vector>

#include "gpio2mqtt/gpio/gpio.h"

namespace gpio2mqtt::gpio::kernel {

// Paths of the GPIO character devices in /dev, sorted by number (gpiochip2 before gpiochip10).
std::vector<std::string> gpiochip_paths();

// Throws GpioError for a failed libgpiod call: "<doing>: <reason>"; a vanished (ENODEV) or dead
// (EIO) chip says so (the service opens the lines again once it is back: gpio_supervisor).
[[noreturn]] void throw_gpio_error(const std::system_error& e, const std::string& doing);

// Why a chip device could not be opened, with a hint for permissions and non-GPIO devices.
std::string open_failure(const std::system_error& e);

// Opens the chip at `path` with the libgpiod of this build (libgpiod_v1.cc or libgpiod_v2.cc);
// may throw std::system_error. make_hardware_provider() (hardware.h) serves chips through it.
std::unique_ptr<Chip> open_backend_chip(const std::string& path);

// The parts of a kernel chip that do not depend on the libgpiod version.
class NamedChip : public Chip {
 public:
  NamedChip(std::string name, std::string label) : name_(std::move(name)), label_(std::move(label)) {}

  std::string name() const override { return name_; }
  std::string label() const override { return label_; }
  std::vector<std::string> line_names() const override { return names(); }
  std::optional<unsigned> find_line(const std::string& name) const override;
  // Checks every offset (on the chip, listed once), then requests the lines in groups the kernel
  // takes (grouped_request.h) through request_group().
  std::unique_ptr<LineRequest> request(const std::string& consumer, const std::vector<LineSettings>& lines) final;

 protected:
  virtual unsigned num_lines() const = 0;
  // Reads the name of one line from the kernel; may throw std::system_error.
  virtual std::string read_line_name(unsigned offset) const = 0;
  // Requests lines that one kernel request can hold: checked, distinct, at most 64.
  virtual std::unique_ptr<LineRequest> request_group(const std::string& consumer,
                                                     const std::vector<LineSettings>& lines) = 0;

  // Read on first use: label look-ups open every chip but need no line names.
  const std::vector<std::string>& names() const;
  // "gpiochip0 [pinctrl-bcm2711]"
  std::string describe() const { return name_ + " [" + label_ + "]"; }
  // "line 'GPIO17' (offset 17) of gpiochip0 [pinctrl-bcm2711]", or "line offset 5 of ..." unnamed
  std::string describe_line(unsigned offset) const;

 private:
  // Throws GpioError unless the chip has `offset`.
  void check_offset(unsigned offset) const;

  std::string name_;
  std::string label_;
  mutable std::vector<std::string> names_;
};

}  // namespace gpio2mqtt::gpio::kernel

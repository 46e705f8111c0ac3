// gpio-sim chips for the kernel tests: made through configfs, driven through sysfs, removed when the
// SimChip goes. gpio-sim needs configfs at /sys/kernel/config and root, which the tests/kernel/vm
// guest provides (the build machines' own kernel has no GPIO support at all).
//
//   auto chip = make_sim().label("g2m-door").lines(8).name(3, "door").build();
//   chip->set_pull(3, true);   // the outside world pulls line 3 up: an input sees a rising edge
//   chip->value(5);            // the level line 5 is at (what an output drives)
#pragma once

#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

namespace gpio2mqtt::kernel_test {

// Empty when the kernel tests can run here (inside the VM, or wherever gpio-sim is loaded);
// otherwise why not, for GTEST_SKIP().
std::string why_no_gpiosim();

class SimChip {
 public:
  SimChip(const SimChip&) = delete;
  SimChip& operator=(const SimChip&) = delete;
  ~SimChip();  // takes the chip offline and removes its configfs tree

  const std::string& dev_path() const { return dev_path_; }    // /dev/gpiochipN
  const std::string& chip_name() const { return chip_name_; }  // gpiochipN
  const std::string& label() const { return label_; }

  // What the simulated world does to the line: an input follows it, an output ignores it.
  void set_pull(unsigned offset, bool up);
  bool pulled_up(unsigned offset) const;
  // The level the line is at: the pull for an input, what is driven for an output.
  bool value(unsigned offset) const;
  // Makes the chip vanish as an unplugged device would; open requests stay open.
  void go_offline();

 private:
  friend class SimBuilder;
  explicit SimChip(std::string configfs_dir) : dir_(std::move(configfs_dir)) {}
  std::string line_file(unsigned offset, const char* attribute) const;

  std::string dir_;  // /sys/kernel/config/gpio-sim/<name>
  std::string dev_path_, chip_name_, label_, sysfs_dir_;
  unsigned num_lines_ = 0;
  bool live_ = false;
  std::map<unsigned, std::string> names_;
};

class SimBuilder {
 public:
  SimBuilder& label(std::string label);  // at most 31 characters (uAPI v1 truncates)
  SimBuilder& lines(unsigned count);
  SimBuilder& name(unsigned offset, std::string line_name);
  // Throws std::runtime_error naming the file that could not be written.
  std::unique_ptr<SimChip> build() const;

 private:
  std::string label_;
  unsigned lines_ = 8;
  std::map<unsigned, std::string> names_;
};

inline SimBuilder make_sim() { return {}; }

// The interrupts the kernel took for gpio-sim lines requested by `consumer`, from /proc/interrupts.
// Each queues one edge event, but two that come while the line's interrupt thread is still busy
// with the first make one: so at most this many events were made.
std::uint64_t sim_interrupts(const std::string& consumer);
// The kernel threads (irq/N-...) that handle those interrupts, by pid.
std::vector<pid_t> sim_irq_threads(const std::string& consumer);

// Waits until the kernel has handled what gpio-sim raised: the counts of its interrupts (the
// irq_sim rows of /proc/interrupts) stay the same over three looks 10 ms apart and each of their
// IRQ threads (irq/N-<consumer>, which queue the edge events) sleeps. False when that did not
// happen within `timeout`.
bool wait_until_gpiosim_irqs_handled(std::chrono::milliseconds timeout);

}  // namespace gpio2mqtt::kernel_test

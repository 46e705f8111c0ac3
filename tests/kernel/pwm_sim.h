// pwm-sim.ko (tests/kernel/vm/pwm-sim.c) for the kernel tests: loaded for a test, unloaded after,
// and what it says a channel is set to.
#pragma once

#include <fcntl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <string>

#include "util/unique_fd.h"

namespace gpio2mqtt::kernel_test {

class PwmSimModule {
 public:
  // Loads the module with `parameters`; why() says why not (outside the VM, or not built).
  explicit PwmSimModule(const char* parameters = "npwm=2 min_period_ns=1000") {
    if (!std::getenv("VMRUN")) {
      why_ = "runs in the test VM (tests/kernel/run.sh)";
      return;
    }
    const char* cache = std::getenv("GPIO2MQTT_VM_CACHE");
    std::string path = std::string(cache && *cache ? cache : "/var/cache/gpio2mqtt-vm") + "/out/pwm-sim.ko";
    UniqueFd module(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
    if (!module.valid()) {
      why_ = path + ": " + std::strerror(errno) + " (tests/kernel/vm/build.sh)";
      return;
    }
    if (::syscall(SYS_finit_module, module.get(), parameters, 0) != 0) {
      load_error_ = std::string("loading pwm-sim.ko: ") + std::strerror(errno);
      return;
    }
    loaded_ = true;
  }
  ~PwmSimModule() { unload(); }
  PwmSimModule(const PwmSimModule&) = delete;
  PwmSimModule& operator=(const PwmSimModule&) = delete;

  // Empty when loaded; else why the test should skip (why()) or fail (load_error()).
  const std::string& why() const { return why_; }
  const std::string& load_error() const { return load_error_; }
  // Unexports what a test left exported (the kernel holds the module while a channel is), then
  // unloads it.
  bool unload() {
    if (!loaded_) return true;
    loaded_ = false;
    std::error_code error;
    for (const auto& chip : std::filesystem::directory_iterator("/sys/class/pwm", error)) {
      if (std::filesystem::canonical(chip.path() / "device", error).filename() != "pwm-sim") continue;
      for (unsigned channel = 0; channel < 16; ++channel)
        if (std::filesystem::exists(chip.path() / ("pwm" + std::to_string(channel))))
          std::ofstream(chip.path() / "unexport") << channel << "\n";
    }
    return ::syscall(SYS_delete_module, "pwm_sim", O_NONBLOCK) == 0;
  }

  // "<period> <duty> <polarity> <enabled>" of `channel`, as the chip was last set.
  static std::string reports(unsigned channel) {
    std::ifstream in("/sys/devices/platform/pwm-sim/channels");
    std::string line;
    for (unsigned i = 0; i <= channel && std::getline(in, line); ++i) {
    }
    return line;
  }
  // How many states the chip took.
  static unsigned long applies() {
    std::ifstream in("/sys/devices/platform/pwm-sim/applies");
    unsigned long count = 0;
    in >> count;
    return count;
  }

 private:
  bool loaded_ = false;
  std::string why_, load_error_;
};

}  // namespace gpio2mqtt::kernel_test

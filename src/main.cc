// gpio2mqtt: command line, then the service. Everything else lives in the core library.
#include <getopt.h>
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <iostream>

#include "bridge/describe.h"
#include "gpio/hardware.h"
#include "gpio2mqtt/bridge/command.h"
#include "gpio2mqtt/config/loader.h"
#include "gpio2mqtt/exit_codes.h"
#include "gpio2mqtt/version.h"
#include "mqtt/paho_client.h"
#include "pwm/sysfs_pwm.h"
#include "sensors/sysfs_source.h"
#include "service/service.h"
#include "util/host.h"
#include "util/logging.h"
#include "util/machine_id.h"
#include "util/text.h"

namespace {

constexpr const char* kUsage = R"(Usage: gpio2mqtt [OPTIONS]
Bridge Linux GPIO lines to MQTT.

  -c, --config FILE        the configuration (default /etc/gpio2mqtt/config.yaml)
      --check-config FILE  validate FILE, print its lines and topics, touch nothing; exit 0 or 78
  -l, --log-level LEVEL    trace, debug, info (default), warn, error, critical, off
  -V, --version            print the version
  -h, --help               print this help

Exit codes: 0 stopped cleanly, 1 runtime failure, 64 bad usage, 69 GPIO unavailable
(e.g. a line held by another program), 78 invalid configuration.
)";

// The config with what only this machine knows filled in: the Home Assistant device id.
gpio2mqtt::config::Config load(const std::string& path) {
  using namespace gpio2mqtt;
  config::Config config = config::load_config_file(path, {host_name(), machine_id()});
  auto& ha = config.homeassistant;
  if (ha.device_id.empty()) {
    std::string warning;
    ha.device_id = derived_device_id(ha.device_id_seed, &warning);
    if (ha.discovery && !warning.empty()) config.warnings.push_back(warning);
  }
  return config;
}

}  // namespace

int main(int argc, char** argv) {
  using namespace gpio2mqtt;
  std::string config_path = "/etc/gpio2mqtt/config.yaml";
  std::string check_path;
  std::string log_level = "info";
  static const option kOptions[] = {{"config", required_argument, nullptr, 'c'},
                                    {"check-config", required_argument, nullptr, 'C'},
                                    {"log-level", required_argument, nullptr, 'l'},
                                    {"version", no_argument, nullptr, 'V'},
                                    {"help", no_argument, nullptr, 'h'},
                                    {nullptr, 0, nullptr, 0}};
  for (int opt; (opt = getopt_long(argc, argv, "c:l:Vh", kOptions, nullptr)) != -1;) {
    switch (opt) {
      case 'c':
        config_path = optarg;
        break;
      case 'C':
        check_path = optarg;
        break;
      case 'l':
        log_level = optarg;
        break;
      case 'V':
        std::cout << "gpio2mqtt " << kVersion << "\n";
        return kExitOk;
      case 'h':
        std::cout << kUsage;
        return kExitOk;
      default:
        std::cerr << kUsage;
        return kExitUsage;
    }
  }
  if (optind < argc) {
    std::cerr << "gpio2mqtt: unexpected argument '" << argv[optind] << "'\n" << kUsage;
    return kExitUsage;
  }
  if (!setup_logging(log_level)) {
    std::cerr << "gpio2mqtt: unknown log level '" << log_level << "'\n";
    return kExitUsage;
  }
  if (!check_path.empty()) {
    try {
      config::Config config = load(check_path);
      // The PWM chips are checked where this machine has the PWM class: the config may be meant
      // for another board.
      if (access("/sys/class/pwm", F_OK) == 0) {
        pwm::SysfsPwm pwm_chips;
        service::check_pwm_chips(config, pwm_chips);
      } else if (std::any_of(config.pwm.begin(), config.pwm.end(), [](const auto& output) {
                   return output.kind == config::PwmOutputConfig::Kind::kHardware;
                 })) {
        config.warnings.push_back("PWM chips not checked: this machine has no /sys/class/pwm");
      }
      for (const auto& warning : config.warnings) std::cerr << "warning: " << warning << "\n";
      sensors::SysfsSource sysfs(config.sysfs);
      config::expand_w1_all(config, sysfs.w1_thermometers());
      std::cout << config::describe(config, [&](const sensors::Channel& channel) { return sysfs.describe(channel); });
      return kExitOk;
    } catch (const config::ConfigError& e) {
      std::cerr << e.what() << "\n";
      return kExitConfig;
    }
  }

  // Before paho starts its threads, so that only the loop's signalfd sees these signals.
  service::block_service_signals();
  try {
    config::Config config = load(config_path);
    config::require_state_directory(config);
    sensors::SysfsSource sysfs(config.sysfs);  // a reload's other sysfs takes effect at the next start
    config::expand_w1_all(config, sysfs.w1_thermometers());
    for (const auto& warning : config.warnings) spdlog::warn("{}", warning);
    auto hardware = gpio::make_hardware_provider();
    // Which uAPI the kernel path speaks decides its queue (16 events a line on v1, 1024 on v2)
    // and who debounces: worth a line in every bug report.
    if (std::any_of(config.chips.begin(), config.chips.end(),
                    [](const auto& chip) { return chip.kind != config::ChipConfig::Kind::kSimulated; }))
      spdlog::info("kernel GPIO chips through the GPIO character device uAPI v{}", gpio::hardware_uapi_version());
    service::LineSet lines(config, hardware.get(), "gpio2mqtt");
    pwm::SysfsPwm pwm_chips;
    auto make_client = [](const config::MqttConfig& mqtt) {
      return mqtt::make_paho_client(mqtt, bridge::kMaxCommandPayload);
    };
    auto reload = [&] {
      config::Config next = load(config_path);
      config::require_state_directory(next);
      config::expand_w1_all(next, sysfs.w1_thermometers());
      return next;
    };
    service::Service daemon(std::move(config), lines,
                            {.make_client = make_client, .load_config = reload, .sensor_source = &sysfs, .pwm = &pwm_chips});
    return daemon.run();
  } catch (const config::ConfigError& e) {
    spdlog::critical("{}", e.what());
    return kExitConfig;
  } catch (const gpio::GpioError& e) {
    spdlog::critical("GPIO: {}", e.what());
    return kExitUnavailable;
  } catch (const std::exception& e) {
    spdlog::critical("{}", e.what());
    return kExitFailure;
  }
}

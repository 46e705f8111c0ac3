// What devices keep across restarts and power cuts (a cover's position), in the state directory:
// one CounterFile per kind (`<kind>-<device>.state`, two generations, checked), so the files
// survive a cut as counters' do.
#pragma once

#include <map>
#include <memory>
#include <string>

#include "gpio2mqtt/bridge/device.h"
#include "service/counter_file.h"

namespace gpio2mqtt::service {

class DeviceFile : public bridge::DeviceStore {
 public:
  // Creates the directory if missing; throws std::runtime_error when it cannot.
  explicit DeviceFile(std::string directory);

  // nullopt when no file (nor its previous generation) was ever written for the device.
  std::optional<std::uint64_t> load(const std::string& kind, const std::string& name) override;
  void save(const std::string& kind, const std::string& name, std::uint64_t value) override;

 private:
  CounterFile& file(const std::string& kind);

  std::string directory_;
  std::map<std::string, std::unique_ptr<CounterFile>> files_;  // by kind
};

}  // namespace gpio2mqtt::service

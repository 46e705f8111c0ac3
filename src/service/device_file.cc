#include "service/device_file.h"

#include <unistd.h>

namespace gpio2mqtt::service {

DeviceFile::DeviceFile(std::string directory) : directory_(std::move(directory)) {}

CounterFile& DeviceFile::file(const std::string& kind) {
  auto& slot = files_[kind];
  if (!slot) {
    StoredNumberKind stored;
    stored.name = kind;
    stored.unit = "(hundredths of a percent)";
    stored.after_loss = "send OPEN or CLOSE to find its position again";
    slot = std::make_unique<CounterFile>(directory_, stored);
  }
  return *slot;
}

std::optional<std::uint64_t> DeviceFile::load(const std::string& kind, const std::string& name) {
  CounterFile& stored = file(kind);
  std::string current = stored.path(name);
  // A device never saved is unknown, not at 0 (CounterFile takes a missing file for a new count).
  if (::access(current.c_str(), F_OK) != 0 && ::access((current + ".prev").c_str(), F_OK) != 0) return std::nullopt;
  return stored.load(name);
}

void DeviceFile::save(const std::string& kind, const std::string& name, std::uint64_t value) {
  file(kind).save(name, value);
}

}  // namespace gpio2mqtt::service

#include "util/machine_id.h"

#include <fmt/format.h>
#include <systemd/sd-id128.h>

#include <cstdint>

#include "util/host.h"
#include "util/text.h"

namespace gpio2mqtt {
namespace {

// FNV-1a: enough to mix an already secret-free id with the seed.
std::uint64_t fnv1a(std::string_view text) {
  std::uint64_t hash = 0xcbf29ce484222325ULL;
  for (unsigned char c : text) hash = (hash ^ c) * 0x100000001b3ULL;
  return hash;
}

}  // namespace

std::string derived_device_id(std::string_view seed, std::string* warning) {
  // gpio2mqtt's own application id: the key of the app-specific machine id.
  constexpr sd_id128_t kApplication = SD_ID128_MAKE(6b, 1f, 0e, 4c, 2a, 93, 47, d8, 9e, 55, 0c, 3b, 71, a2, 84, f6);
  sd_id128_t machine{};
  std::string base;
  if (sd_id128_get_machine_app_specific(kApplication, &machine) == 0) {
    char text[SD_ID128_STRING_MAX];
    base = sd_id128_to_string(machine, text);
  } else {
    base = host_name();
    if (warning)
      *warning =
          "no /etc/machine-id: the Home Assistant device id is derived from the host name; set "
          "homeassistant.device_id to keep it across renames";
  }
  return fmt::format("gpio2mqtt_{:016x}", fnv1a(base + "\n" + std::string(seed)));
}

}  // namespace gpio2mqtt

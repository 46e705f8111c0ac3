#include "util/host.h"

#include <unistd.h>

#include <fstream>

namespace gpio2mqtt {

std::string machine_id() {
  for (const char* path : {"/etc/machine-id", "/var/lib/dbus/machine-id"}) {
    std::ifstream in(path);
    std::string id;
    if (in >> id && id.size() == 32 && id.find_first_not_of("0123456789abcdef") == std::string::npos) return id;
  }
  return "";
}

std::string host_name() {
  char buffer[256] = {};
  if (gethostname(buffer, sizeof buffer - 1) != 0 || buffer[0] == '\0') return "localhost";
  return buffer;
}

}  // namespace gpio2mqtt

#include "control_socket.h"

#include <sys/socket.h>

#include <cerrno>
#include <cstring>

namespace gpio2mqtt::testing {

sockaddr_un unix_address(const std::string& path) {
  sockaddr_un address{};
  address.sun_family = AF_UNIX;
  std::strncpy(address.sun_path, path.c_str(), sizeof address.sun_path - 1);
  return address;
}

ControlSocket::ControlSocket(const std::string& path)
    : address_(unix_address(path)), fd_(socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0)) {}

bool ControlSocket::send(const std::string& command) {
  ssize_t sent;
  do {
    sent = sendto(fd_.get(), command.data(), command.size(), 0, reinterpret_cast<const sockaddr*>(&address_),
                  sizeof address_);
  } while (sent < 0 && errno == EINTR);
  return sent == static_cast<ssize_t>(command.size());
}

}  // namespace gpio2mqtt::testing

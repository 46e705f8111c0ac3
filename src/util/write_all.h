// Writes the whole of `data` to `fd`, through short writes and EINTR; false (errno set) on failure.
#pragma once

#include <unistd.h>

#include <cerrno>
#include <string_view>

namespace gpio2mqtt {

inline bool write_all(int fd, std::string_view data) {
  while (!data.empty()) {
    ssize_t written = ::write(fd, data.data(), data.size());
    if (written < 0 && errno == EINTR) continue;
    if (written <= 0) return false;
    data.remove_prefix(static_cast<std::size_t>(written));
  }
  return true;
}

}  // namespace gpio2mqtt

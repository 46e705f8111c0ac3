// The sending end of a simulated chip's control socket: one datagram a command, `pull LINE 0|1`
// being the one that makes an edge. Unconnected, so that it finds a daemon restarted on the same
// path; a send blocks while the daemon's queue is full, which is the flow control of a burst.
#pragma once

#include <sys/un.h>

#include <string>

#include "util/unique_fd.h"

namespace gpio2mqtt::testing {

// The address of the Unix socket at `path`.
sockaddr_un unix_address(const std::string& path);

class ControlSocket {
 public:
  explicit ControlSocket(const std::string& path);
  // Sends `command` as one datagram. False (errno says why) while nobody listens, as when the
  // daemon is down: the caller decides whether that matters.
  bool send(const std::string& command);
  // Pulls `line` (a name or an offset) high or low.
  bool pull(const std::string& line, bool high) { return send("pull " + line + (high ? " 1" : " 0")); }

 private:
  sockaddr_un address_;
  UniqueFd fd_;
};

}  // namespace gpio2mqtt::testing

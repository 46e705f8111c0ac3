// A private dbus-daemon for one test: session type, or system type with a policy directory.
#pragma once

#include <memory>
#include <string>

#include "process.h"

namespace gpio2mqtt::testing {

class DbusDaemon {
 public:
  static bool available();
  // `policy_dir` empty: a session bus (everything allowed). Otherwise a system bus that denies
  // by default and includes the policies in `policy_dir`, as /usr/share/dbus-1/system.d does.
  DbusDaemon(const std::string& dir, const std::string& policy_dir = "");
  std::string address() const { return "unix:path=" + socket_; }

 private:
  std::string socket_;
  std::unique_ptr<Process> process_;
};

}  // namespace gpio2mqtt::testing

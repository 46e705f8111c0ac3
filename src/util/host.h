// What the daemon reads of the machine it runs on (the io library: the logic never reads it).
#pragma once

#include <string>

namespace gpio2mqtt {

// The machine's host name (gethostname), "localhost" if it cannot be read.
std::string host_name();
// /etc/machine-id (32 hex digits), empty if there is none.
std::string machine_id();

}  // namespace gpio2mqtt

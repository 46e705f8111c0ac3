// What the daemon publishes, as the tests read it: the status payloads the tests configure (the
// demo's) and the sequence number of an event.
#pragma once

#include <optional>
#include <string>

namespace gpio2mqtt::testing {

inline const std::string kOn = R"({"status":"On"})";
inline const std::string kOff = R"({"status":"Off"})";

// The "seq":N of an event's payload; nullopt when it has none.
std::optional<int> seq_of(const std::string& payload);

}  // namespace gpio2mqtt::testing

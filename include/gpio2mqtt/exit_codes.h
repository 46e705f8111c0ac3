// Exit codes of gpio2mqtt (sysexits.h values), documented in the README and gpio2mqtt(8).
#pragma once

namespace gpio2mqtt {

inline constexpr int kExitOk = 0;
inline constexpr int kExitFailure = 1;       // a runtime error the daemon could not survive
inline constexpr int kExitUsage = 64;        // bad command line
inline constexpr int kExitUnavailable = 69;  // a GPIO chip refused a request (e.g. a line is busy)
inline constexpr int kExitConfig = 78;       // the config is invalid: systemd must not restart-loop

}  // namespace gpio2mqtt

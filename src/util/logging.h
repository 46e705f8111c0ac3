// Logging to stderr: with timestamps on a terminal; under systemd (JOURNAL_STREAM set) without
// them and with "<N>" priority prefixes, so journald keeps each line's level.
#pragma once

#include <string>

namespace gpio2mqtt {

// `level`: trace, debug, info, warn, error, critical, off. Returns false for an unknown level.
bool setup_logging(const std::string& level);

}  // namespace gpio2mqtt

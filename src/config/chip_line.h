// Where a line is: its `line:` (a line name, or an offset when it is all digits) and its `chip:`
// (or the only chip, or the simulated chip that has a line of that name). One reader for the
// entries of `lines:` and the software PWM outputs of `pwm:`, so that both say the same things
// about a line at the same places.
#pragma once

#include <string>
#include <vector>

#include "gpio2mqtt/config/config.h"
#include "yaml_reader.h"

namespace gpio2mqtt::config {

// Reads node["line"] and node["chip"] into line.line or line.offset, line.line_where and
// line.chip (empty: searched on every chip at start-up). Messages about the line's text start
// with `what`; those about its chip with "line '<line.name>'".
void read_chip_line(const YamlReader& r, const YAML::Node& node, const std::string& what, LineConfig& line,
                    const std::vector<ChipConfig>& chips);

}  // namespace gpio2mqtt::config

#include "gpio2mqtt/service/line_set.h"

#include <algorithm>

#include "gpio2mqtt/config/loader.h"
#include "gpio2mqtt/gpio/simulated.h"

namespace gpio2mqtt::service {
namespace {

using config::ChipConfig;
using config::ConfigError;

std::string joined(const std::vector<std::string>& names, std::size_t limit = 16) {
  std::string out;
  std::size_t shown = 0;
  for (const auto& name : names) {
    if (name.empty()) continue;
    if (shown++ == limit) return out + ", ...";
    out += (out.empty() ? "" : ", ") + name;
  }
  return out.empty() ? "(none)" : out;
}

// Levenshtein distance, to suggest the line a typo meant.
std::size_t distance(const std::string& a, const std::string& b) {
  std::vector<std::size_t> row(b.size() + 1);
  for (std::size_t j = 0; j <= b.size(); ++j) row[j] = j;
  for (std::size_t i = 1; i <= a.size(); ++i) {
    std::size_t diagonal = row[0];
    row[0] = i;
    for (std::size_t j = 1; j <= b.size(); ++j) {
      std::size_t next = std::min({row[j] + 1, row[j - 1] + 1, diagonal + (a[i - 1] != b[j - 1])});
      diagonal = row[j];
      row[j] = next;
    }
  }
  return row[b.size()];
}

std::string closest(const std::string& wanted, const std::vector<std::string>& names) {
  std::vector<std::pair<std::size_t, std::string>> ranked;
  for (const auto& name : names)
    if (!name.empty()) ranked.emplace_back(distance(wanted, name), name);
  std::sort(ranked.begin(), ranked.end());
  std::vector<std::string> best;
  for (std::size_t i = 0; i < ranked.size() && i < 5; ++i) best.push_back(ranked[i].second);
  return joined(best);
}

gpio::LineSettings settings_for(const config::LineConfig& line, unsigned offset) {
  gpio::LineSettings s;
  s.offset = offset;
  s.direction = line.direction;
  s.bias = line.bias;
  s.drive = line.drive;
  s.active_low = line.active_low;
  s.initial_active = line.initial;
  return s;
}

}  // namespace

std::unique_ptr<gpio::Chip> open_hardware_chip(const ChipConfig& chip, gpio::ChipProvider& provider) {
  if (chip.kind == ChipConfig::Kind::kPath) {
    try {
      return provider.open(chip.path);
    } catch (const std::exception& e) {
      throw ConfigError(chip.where, "chip '" + chip.name + "': cannot open " + chip.path + ": " + e.what() +
                                        "; chips here: " + joined(provider.chip_paths()));
    }
  }
  std::vector<std::string> labels;
  for (const auto& path : provider.chip_paths()) {
    try {
      auto candidate = provider.open(path);
      if (candidate->label() == chip.label) return candidate;
      labels.push_back(candidate->label() + " (" + path + ")");
    } catch (const std::exception& e) {
      labels.push_back(path + ": " + e.what());
    }
  }
  throw ConfigError(chip.where, "chip '" + chip.name + "': no chip labelled '" + chip.label + "'; chips here: " + joined(labels));
}

LineSet::OpenChip& LineSet::chip_for(const ChipConfig& chip_config, gpio::ChipProvider* hardware) {
  for (auto& open : chips_)
    if (open->config_name == chip_config.name) return *open;
  auto open = std::make_unique<OpenChip>();
  open->config_name = chip_config.name;
  if (chip_config.kind == ChipConfig::Kind::kSimulated) {
    open->chip = std::make_unique<gpio::SimulatedChip>(chip_config.name, chip_config.simulated.lines, chip_config.simulated.wires);
  } else if (!hardware) {
    throw ConfigError(chip_config.where, "chip '" + chip_config.name + "': this build has no GPIO hardware backend");
  } else {
    open->chip = open_hardware_chip(chip_config, *hardware);
  }
  chips_.push_back(std::move(open));
  return *chips_.back();
}

LineSet::LineSet(const config::Config& config, gpio::ChipProvider* hardware, const std::string& consumer) {
  std::vector<std::vector<gpio::LineSettings>> wanted;  // by position in chips_
  for (std::size_t index = 0; index < config.lines.size(); ++index) {
    const auto& line = config.lines[index];
    OpenChip* open = nullptr;
    std::optional<unsigned> offset = line.offset;
    if (!line.chip.empty()) {
      open = &chip_for(*config.find_chip(line.chip), hardware);
      if (!offset) offset = open->chip->find_line(line.line);
      if (!offset)
        throw ConfigError(line.line_where, "line '" + line.name + "': chip '" + line.chip + "' has no line '" + line.line +
                                               "'; closest: " + closest(line.line, open->chip->line_names()));
    } else {  // several kernel chips: the first with a line of that name
      std::vector<std::string> all;
      for (const auto& chip_config : config.chips) {
        OpenChip& candidate = chip_for(chip_config, hardware);
        if ((offset = candidate.chip->find_line(line.line))) {
          open = &candidate;
          break;
        }
        for (auto& name : candidate.chip->line_names()) all.push_back(std::move(name));
      }
      if (!open)
        throw ConfigError(line.line_where, "line '" + line.name + "': no configured chip has a line '" + line.line +
                                               "'; closest: " + closest(line.line, all));
    }
    if (open->line_of_offset.count(*offset))
      throw ConfigError(line.line_where, "line '" + line.name + "': " + line.line_spec() + " is already used by line '" +
                                             config.lines[open->line_of_offset[*offset]].name + "'");
    open->line_of_offset[*offset] = index;
    lines_.emplace_back(open, *offset);
    std::size_t position = std::find_if(chips_.begin(), chips_.end(), [&](auto& c) { return c.get() == open; }) - chips_.begin();
    wanted.resize(chips_.size());
    wanted[position].push_back(settings_for(line, *offset));
  }
  for (std::size_t i = 0; i < chips_.size(); ++i) {
    if (i >= wanted.size() || wanted[i].empty()) continue;
    chips_[i]->request = chips_[i]->chip->request(consumer, wanted[i]);
    for (int fd : chips_[i]->request->event_fds()) chip_of_fd_[fd] = chips_[i].get();
  }
}

LineSet::~LineSet() = default;

bool LineSet::read(std::size_t line) {
  auto [open, offset] = lines_.at(line);
  return open->request->get_value(offset);
}

void LineSet::write(std::size_t line, bool active) {
  auto [open, offset] = lines_.at(line);
  open->request->set_value(offset, active);
}

std::vector<int> LineSet::event_fds() const {
  std::vector<int> fds;
  for (const auto& [fd, chip] : chip_of_fd_) fds.push_back(fd);
  std::sort(fds.begin(), fds.end());
  return fds;
}

void LineSet::read_events(int fd, std::vector<std::pair<std::size_t, gpio::EdgeEvent>>& out) {
  auto it = chip_of_fd_.find(fd);
  if (it == chip_of_fd_.end()) return;
  scratch_.clear();
  it->second->request->read_events(fd, scratch_);
  for (const auto& event : scratch_) {
    auto line = it->second->line_of_offset.find(event.offset);
    if (line != it->second->line_of_offset.end()) out.emplace_back(line->second, event);
  }
}

std::string LineSet::describe(std::size_t line) const {
  auto [open, offset] = lines_.at(line);
  return "chip " + open->config_name + " (" + open->chip->label() + ") offset " + std::to_string(offset);
}

}  // namespace gpio2mqtt::service

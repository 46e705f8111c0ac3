#include "service/line_set.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <bit>
#include <limits>
#include <set>

#include "gpio/simulated.h"
#include "gpio2mqtt/config/loader.h"
#include "service/chip_lookup.h"

namespace gpio2mqtt::service {

using config::ChipConfig;
using config::ConfigError;
using gpio::Direction;

struct LineSet::OpenChip {
  ChipConfig config;
  std::unique_ptr<gpio::Chip> chip;
};

struct LineSet::Request {
  OpenChip* chip;
  std::unique_ptr<gpio::LineRequest> lines;
  // The kernel's last sequence number per offset (uAPI v2): a new request starts each line at 1.
  std::map<unsigned, std::uint64_t> seqnos = {};
};

namespace {

gpio::LineSettings settings_for(const config::LineConfig& line, unsigned offset, bool kernel_debounces,
                                bool initial = false) {
  gpio::LineSettings s;
  s.offset = offset;
  s.direction = line.direction;
  s.bias = line.bias;
  s.drive = line.drive;
  s.active_low = line.active_low;
  s.initial_active = initial;
  if (kernel_debounces) s.debounce = line.debounce;  // else the bridge debounces
  if (line.direction == gpio::Direction::kInput) s.edges = line.kernel_edges(kernel_debounces);
  return s;
}

}  // namespace

LineSet::OpenChip& LineSet::chip_for(const ChipConfig& chip_config, Chips& chips) const {
  for (auto& open : chips)
    if (open->config.name == chip_config.name) return *open;
  auto open = std::make_shared<OpenChip>(OpenChip{chip_config, nullptr});
  if (chip_config.kind == ChipConfig::Kind::kSimulated) {
    open->chip = std::make_unique<gpio::SimulatedChip>(chip_config.name, chip_config.simulated.lines,
                                                       chip_config.simulated.wires, chip_config.simulated.control);
  } else if (!hardware_) {
    throw ConfigError(chip_config.where, "chip '" + chip_config.name + "': this build has no GPIO hardware backend");
  } else {
    open->chip = open_hardware_chip(chip_config, *hardware_);
  }
  chips.push_back(std::move(open));
  return *chips.back();
}

std::vector<config::LineConfig> requested_lines(const config::Config& config) {
  std::vector<config::LineConfig> lines = config.lines;
  for (const auto& output : config.pwm) {
    if (output.kind != config::PwmOutputConfig::Kind::kSoftware) continue;
    config::LineConfig line;
    line.name = output.name;
    line.chip = output.chip;
    line.line = output.line;
    line.offset = output.offset;
    line.direction = Direction::kOutput;
    line.active_low = output.active_low;
    line.where = output.where;
    line.line_where = output.chip_where;
    lines.push_back(std::move(line));
  }
  return lines;
}

std::vector<LineSet::Bound> LineSet::bind_all(const config::Config& config, Chips& chips) const {
  std::vector<Bound> bound;
  for (const auto& line : requested_lines(config)) {
    OpenChip* open = nullptr;
    std::optional<unsigned> offset = line.offset;
    if (!line.chip.empty()) {
      open = &chip_for(*config.find_chip(line.chip), chips);
      if (!offset) offset = open->chip->find_line(line.line);
      if (!offset)
        throw ConfigError(line.line_where, "line '" + line.name + "': chip '" + line.chip + "' has no line '" +
                                               line.line +
                                               "'; closest: " + closest_names(line.line, open->chip->line_names()));
    } else {  // several kernel chips: the first, in config order, with a line of that name
      std::vector<std::string> all;
      for (const auto& chip_config : config.chips) {
        OpenChip& candidate = chip_for(chip_config, chips);
        if ((offset = candidate.chip->find_line(line.line))) {
          open = &candidate;
          break;
        }
        for (auto& name : candidate.chip->line_names()) all.push_back(std::move(name));
      }
      if (!open)
        throw ConfigError(line.line_where, "line '" + line.name + "': no configured chip has a line '" + line.line +
                                               "'; closest: " + closest_names(line.line, all));
    }
    for (const auto& other : bound)
      if (other.chip == open && other.offset == *offset)
        throw ConfigError(line.line_where, "line '" + line.name + "': " + line.line_spec() +
                                               " is already used by line '" + other.config.name + "'");
    bound.push_back({line, open, *offset, nullptr, false, false});
  }
  return bound;
}

void LineSet::request_missing(std::vector<Bound>& lines) {
  std::vector<OpenChip*> chips;
  for (const auto& line : lines)
    if (!line.request && std::find(chips.begin(), chips.end(), line.chip) == chips.end()) chips.push_back(line.chip);
  for (OpenChip* chip : chips) {
    std::vector<gpio::LineSettings> inputs;
    std::vector<Bound*> input_lines;
    for (auto& line : lines) {
      if (line.request || line.chip != chip) continue;
      if (line.config.direction == Direction::kOutput) {
        line.request = std::make_shared<Request>(Request{
            chip, chip->chip->request(consumer_, {settings_for(line.config, line.offset, false, line.request_level)})});
      } else {
        inputs.push_back(settings_for(line.config, line.offset, line.kernel_debounces));
        input_lines.push_back(&line);
      }
    }
    if (inputs.empty()) continue;
    auto request = std::make_shared<Request>(Request{chip, chip->chip->request(consumer_, inputs)});
    for (Bound* line : input_lines) line->request = request;
  }
}

void LineSet::index_fds() {
  by_fd_.clear();
  for (std::size_t index = 0; index < lines_.size(); ++index) {
    const Bound& line = lines_[index];
    for (int fd : line.request->lines->event_fds()) {
      auto& entry = by_fd_[fd];
      entry.first = line.request.get();
      entry.second[line.offset] = index;
    }
  }
}

namespace {

// Applies the plan's levels and debounce to lines about to be requested.
template <typename Lines>
void follow(Lines& lines, const bridge::ReloadPlan& plan) {
  for (std::size_t i = 0; i < lines.size() && i < plan.lines.size(); ++i) {
    lines[i].request_level = plan.lines[i].request_on;
    lines[i].kernel_debounces = plan.lines[i].kernel_debounces;
  }
}

}  // namespace

LineSet::Binding::Binding(Binding&&) noexcept = default;
LineSet::Binding::~Binding() = default;

LineSet::LineSet(const config::Config& config, gpio::ChipProvider* hardware, std::string consumer)
    : hardware_(hardware), consumer_(std::move(consumer)) {
  Binding binding = bind(config);
  plan_ = bridge::plan_start(config, binding.kernel_debounce());
  lines_ = std::move(binding.lines_);
  chips_ = std::move(binding.chips_);
  follow(lines_, plan_);
  request_missing(lines_);
  index_fds();
}

LineSet::~LineSet() = default;

LineSet::Binding LineSet::bind(const config::Config& next) const {
  Binding binding;
  for (const auto& open : chips_)  // chips whose settings did not change are kept open
    for (const auto& chip_config : next.chips)
      if (open->config.same_settings(chip_config)) binding.chips_.push_back(open);
  binding.lines_ = bind_all(next, binding.chips_);
  for (const Bound& line : binding.lines_) binding.kernel_debounce_.push_back(line.chip->chip->kernel_debounce());
  return binding;
}

void LineSet::reconcile(Binding next, const bridge::ReloadPlan& plan) {
  std::vector<Bound> lines = std::move(next.lines_);
  Chips chips = std::move(next.chips_);
  follow(lines, plan);
  auto kept = [&](std::size_t index) -> const Bound* {
    if (index >= plan.lines.size()) {  // a software PWM output's line (requested_lines()): the same one?
      for (const auto& old : lines_)
        if (old.chip == lines[index].chip && old.offset == lines[index].offset &&
            old.config.same_settings(lines[index].config))
          return &old;
      return nullptr;
    }
    auto from = plan.lines[index].kept_from;
    return from && *from < lines_.size() ? &lines_[*from] : nullptr;
  };
  for (std::size_t i = 0; i < lines.size(); ++i)  // a kept output keeps its own request
    if (lines[i].config.direction == Direction::kOutput)
      if (const Bound* old = kept(i)) {
        lines[i].request = old->request;
        lines[i].request_level = old->request_level;
      }
  for (const auto& chip : chips) {  // a chip's inputs keep their request only if they are all kept
    std::set<Request*> old_requests;
    std::size_t old_count = 0, new_count = 0;
    bool same = true;
    for (const auto& old : lines_)
      if (old.chip == chip.get() && old.config.direction == Direction::kInput)
        ++old_count, old_requests.insert(old.request.get());
    for (std::size_t i = 0; i < lines.size(); ++i)
      if (lines[i].chip == chip.get() && lines[i].config.direction == Direction::kInput)
        ++new_count, same = same && kept(i);
    if (!same || old_count != new_count || old_requests.size() != 1) continue;
    for (std::size_t i = 0; i < lines.size(); ++i)
      if (lines[i].chip == chip.get() && lines[i].config.direction == Direction::kInput)
        lines[i].request = kept(i)->request;
  }

  // Release what is not kept before requesting anew: a line may move between entries.
  std::vector<std::size_t> released;
  for (std::size_t i = 0; i < lines_.size(); ++i) {
    bool still =
        std::any_of(lines.begin(), lines.end(), [&](const Bound& l) { return l.request == lines_[i].request; });
    if (!still) released.push_back(i);
  }
  for (std::size_t i : released) lines_[i].request.reset();
  try {
    request_missing(lines);
  } catch (...) {
    lines.clear();  // frees what the failed attempt had requested
    try {
      request_missing(lines_);  // put back what was released, outputs at their last level
    } catch (const std::exception& e) {
      spdlog::error("reload: could not request the old lines again either: {}", e.what());
    }
    throw;
  }
  lines_ = std::move(lines);
  chips_ = std::move(chips);
  plan_ = plan;
  index_fds();
}

void LineSet::reopen(const config::Config& config, const std::function<bool(std::size_t)>& output_level) {
  by_fd_.clear();
  lines_.clear();  // releases every request before the chips close
  chips_.clear();
  Chips chips;
  std::vector<Bound> lines = bind_all(config, chips);
  follow(lines, plan_);
  for (std::size_t i = 0; i < lines.size(); ++i)
    if (lines[i].config.direction == Direction::kOutput) lines[i].request_level = output_level(i);
  request_missing(lines);
  lines_ = std::move(lines);
  chips_ = std::move(chips);
  index_fds();
}

bool LineSet::uses_device(const std::string& device_name) const {
  return std::any_of(chips_.begin(), chips_.end(), [&](const auto& open) {
    return open->config.kind != ChipConfig::Kind::kSimulated && open->chip && open->chip->name() == device_name;
  });
}

bool LineSet::read(std::size_t line) {
  const Bound& bound = lines_.at(line);
  return bound.request->lines->get_value(bound.offset);
}

void LineSet::write(std::size_t line, bool active) {
  Bound& bound = lines_.at(line);
  bound.request->lines->set_value(bound.offset, active);
  bound.request_level = active;  // requested at it again after a failed reload
}

std::vector<int> LineSet::event_fds() const {
  std::vector<int> fds;
  for (const auto& [fd, target] : by_fd_) fds.push_back(fd);
  std::sort(fds.begin(), fds.end());
  return fds;
}

void LineSet::watched() {
  std::set<gpio::LineRequest*> told;
  for (const auto& [fd, target] : by_fd_)
    if (told.insert(target.first->lines.get()).second) target.first->lines->watched();
}

void LineSet::read_events(int fd, std::vector<std::pair<std::size_t, gpio::EdgeEvent>>& out) {
  auto it = by_fd_.find(fd);
  if (it == by_fd_.end()) return;
  scratch_.clear();
  Request& request = *it->second.first;
  request.lines->read_events(fd, scratch_);
  for (auto& event : scratch_) {
    auto line = it->second.second.find(event.offset);
    if (line == it->second.second.end()) continue;
    // Only the kernel's numbers (uAPI v2); the simulated chip numbers its lines across requests.
    // A gap in them is events the kernel dropped, said in lost_before as uAPI v1's backend says
    // its own: a counter of one direction counts them.
    if (event.global_seqno != 0) event.lost_before += kernel_gap(request.seqnos[event.offset], event);
    if (event.lost_before != 0) count_lost(event.lost_before, event, line->second);
    out.emplace_back(line->second, event);
  }
}

std::uint32_t LineSet::kernel_gap(std::uint64_t& last, const gpio::EdgeEvent& event) {
  std::uint64_t gap = event.line_seqno > last + 1 ? event.line_seqno - last - 1 : 0;
  last = event.line_seqno;
  return static_cast<std::uint32_t>(std::min<std::uint64_t>(gap, std::numeric_limits<std::uint32_t>::max()));
}

void LineSet::count_lost(std::uint64_t missing, const gpio::EdgeEvent& event, std::size_t line) {
  // Logged when the total passes a power of two, so a line that overflows for hours does not
  // flood the journal.
  bool report = std::bit_width(kernel_dropped_) != std::bit_width(kernel_dropped_ + missing);
  kernel_dropped_ += missing;
  if (!report) return;
  if (event.global_seqno != 0)
    spdlog::warn(
        "line {} ({}): the kernel dropped {} events ({} so far): its queue was full; the next event it kept "
        "has sequence number {}",
        lines_.at(line).config.name, describe(line), missing, kernel_dropped_, event.line_seqno);
  else
    spdlog::warn(
        "line {} ({}): the kernel dropped at least {} event{} ({} so far): its queue was full (seen from two "
        "edges in the same direction in a row, or a level that differs from the last edge); the line is now {}",
        lines_.at(line).config.name, describe(line), missing, missing == 1 ? "" : "s", kernel_dropped_,
        event.rising ? "active" : "inactive");
}

std::string LineSet::describe(std::size_t line) const {
  const Bound& bound = lines_.at(line);
  return "chip " + bound.chip->config.name + " (" + bound.chip->chip->label() + ") offset " +
         std::to_string(bound.offset);
}

}  // namespace gpio2mqtt::service

#include "gpio2mqtt/gpio/simulated.h"

#include <sys/eventfd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <deque>
#include <map>

#include "gpio2mqtt/util/clock.h"
#include "gpio2mqtt/util/unique_fd.h"

namespace gpio2mqtt::gpio {

class SimulatedRequest;

struct SimLine {
  std::string name;
  bool pull_high = false;
  std::optional<unsigned> driven_by{};  // a wire from this output
  SimulatedRequest* holder = nullptr;
  std::string consumer{};
  LineSettings settings{};
  bool output_physical = false;  // while requested as an output
  bool seen_physical = false;    // last level an input request observed
};

struct SimulatedState {
  std::string chip_name;
  std::vector<SimLine> lines;
  bool physical(unsigned offset) const;
  void propagate(unsigned changed);  // re-evaluates the inputs `changed` drives
};

class SimulatedRequest : public LineRequest {
 public:
  static constexpr std::size_t kQueueLimit = 4096;  // the kernel keeps 16 per line; be kinder

  SimulatedRequest(std::shared_ptr<SimulatedState> state, std::vector<unsigned> offsets)
      : state_(std::move(state)), offsets_(std::move(offsets)), event_fd_(eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC)) {
    if (!event_fd_.valid()) throw GpioError(std::string("eventfd: ") + std::strerror(errno));
  }
  ~SimulatedRequest() override {
    for (unsigned offset : offsets_) {
      state_->lines[offset].holder = nullptr;
      state_->lines[offset].consumer.clear();
    }
    for (unsigned offset : offsets_) state_->propagate(offset);
  }

  std::vector<int> event_fds() const override { return {event_fd_.get()}; }

  void read_events(int, std::vector<EdgeEvent>& out) override {
    std::uint64_t count;
    while (read(event_fd_.get(), &count, sizeof count) > 0) {
    }
    out.insert(out.end(), pending_.begin(), pending_.end());
    pending_.clear();
  }

  bool get_value(unsigned offset) override {
    const SimLine& line = owned(offset);
    bool physical = line.settings.direction == Direction::kOutput ? line.output_physical : state_->physical(offset);
    return physical != line.settings.active_low;
  }

  void set_value(unsigned offset, bool active) override {
    SimLine& line = owned(offset);
    if (line.settings.direction != Direction::kOutput)
      throw GpioError("line " + line.name + " of chip " + state_->chip_name + " is not an output");
    line.output_physical = active != line.settings.active_low;
    state_->propagate(offset);
  }

  void push(unsigned offset, bool physical_now) {
    SimLine& line = state_->lines[offset];
    if (pending_.size() >= kQueueLimit) pending_.pop_front();  // like the kernel: oldest lost
    pending_.push_back({offset, physical_now != line.settings.active_low,
                        static_cast<std::uint64_t>(monotonic_now().count()), ++line_seqno_[offset]});
    std::uint64_t one = 1;
    [[maybe_unused]] auto written = write(event_fd_.get(), &one, sizeof one);
  }

 private:
  SimLine& owned(unsigned offset) {
    if (offset >= state_->lines.size() || state_->lines[offset].holder != this)
      throw GpioError("offset " + std::to_string(offset) + " of chip " + state_->chip_name + " is not in this request");
    return state_->lines[offset];
  }

  std::shared_ptr<SimulatedState> state_;
  std::vector<unsigned> offsets_;
  UniqueFd event_fd_;
  std::deque<EdgeEvent> pending_;
  std::map<unsigned, std::uint64_t> line_seqno_;
};

bool SimulatedState::physical(unsigned offset) const {
  const SimLine& line = lines[offset];
  if (line.holder && line.settings.direction == Direction::kOutput) return line.output_physical;
  if (line.driven_by) {
    const SimLine& source = lines[*line.driven_by];
    if (source.holder && source.settings.direction == Direction::kOutput) return source.output_physical;
  }
  if (line.holder && line.settings.bias == Bias::kPullUp) return true;
  if (line.holder && line.settings.bias == Bias::kPullDown) return false;
  return line.pull_high;
}

void SimulatedState::propagate(unsigned changed) {
  for (unsigned offset = 0; offset < lines.size(); ++offset) {
    SimLine& line = lines[offset];
    if (offset != changed && line.driven_by != changed) continue;
    if (!line.holder || line.settings.direction != Direction::kInput) continue;
    bool now = physical(offset);
    if (now == line.seen_physical) continue;
    line.seen_physical = now;
    line.holder->push(offset, now);
  }
}

SimulatedChip::SimulatedChip(std::string name, std::vector<std::string> line_names,
                             std::vector<std::pair<std::string, std::string>> wires)
    : state_(std::make_shared<SimulatedState>()) {
  state_->chip_name = std::move(name);
  for (auto& line_name : line_names) state_->lines.push_back({.name = std::move(line_name)});
  for (const auto& [from, to] : wires) {
    auto source = find_line(from), target = find_line(to);
    if (!source || !target) throw GpioError("simulated chip " + state_->chip_name + ": wire " + from + " -> " + to + " names a missing line");
    state_->lines[*target].driven_by = *source;
  }
}

SimulatedChip::~SimulatedChip() = default;

std::string SimulatedChip::name() const { return state_->chip_name; }
std::string SimulatedChip::label() const { return "gpio2mqtt-sim-" + state_->chip_name; }

std::vector<std::string> SimulatedChip::line_names() const {
  std::vector<std::string> names;
  for (const auto& line : state_->lines) names.push_back(line.name);
  return names;
}

std::optional<unsigned> SimulatedChip::find_line(const std::string& name) const {
  for (unsigned i = 0; i < state_->lines.size(); ++i)
    if (state_->lines[i].name == name) return i;
  return std::nullopt;
}

std::unique_ptr<LineRequest> SimulatedChip::request(const std::string& consumer,
                                                    const std::vector<LineSettings>& settings) {
  std::vector<unsigned> offsets;
  for (const auto& s : settings) {
    if (s.offset >= state_->lines.size())
      throw GpioError("chip " + state_->chip_name + " has no offset " + std::to_string(s.offset));
    const SimLine& line = state_->lines[s.offset];
    if (line.holder || std::count(offsets.begin(), offsets.end(), s.offset))
      throw GpioError("line " + line.name + " of chip " + state_->chip_name + " is busy (held by " +
                      (line.consumer.empty() ? std::string("this request") : line.consumer) + ")");
    offsets.push_back(s.offset);
  }
  auto request = std::make_unique<SimulatedRequest>(state_, offsets);
  for (const auto& s : settings) {
    SimLine& line = state_->lines[s.offset];
    line.holder = request.get();
    line.consumer = consumer;
    line.settings = s;
    line.output_physical = s.initial_active != s.active_low;
  }
  for (const auto& s : settings) state_->lines[s.offset].seen_physical = state_->physical(s.offset);
  for (const auto& s : settings)
    if (s.direction == Direction::kOutput) state_->propagate(s.offset);
  return request;
}

void SimulatedChip::set_pull(unsigned offset, bool high) {
  if (offset >= state_->lines.size()) throw GpioError("chip " + state_->chip_name + " has no offset " + std::to_string(offset));
  state_->lines[offset].pull_high = high;
  state_->propagate(offset);
}

bool SimulatedChip::physical_level(unsigned offset) const {
  if (offset >= state_->lines.size()) throw GpioError("chip " + state_->chip_name + " has no offset " + std::to_string(offset));
  return state_->physical(offset);
}

}  // namespace gpio2mqtt::gpio

#include "pluggable_chips.h"

#include <unistd.h>

#include <algorithm>

namespace gpio2mqtt::testing {

class PluggedRequest;

struct PluggableChips::Slot {
  std::string name;
  std::unique_ptr<gpio::SimulatedChip> chip;
  bool plugged = true;
  std::vector<PluggedRequest*> requests;  // live ones
  void check() const {
    if (!plugged) throw gpio::GpioError("chip " + name + " is gone");
  }
};

class PluggedRequest : public gpio::LineRequest {
 public:
  PluggedRequest(std::shared_ptr<PluggableChips::Slot> slot, std::unique_ptr<gpio::LineRequest> inner)
      : slot_(std::move(slot)), inner_(std::move(inner)) {
    slot_->requests.push_back(this);
  }
  ~PluggedRequest() override { std::erase(slot_->requests, this); }
  std::vector<int> event_fds() const override { return inner_->event_fds(); }
  void read_events(int fd, std::vector<gpio::EdgeEvent>& out) override {
    slot_->check();  // before reading: the fd stays readable, as a gone chip's does
    inner_->read_events(fd, out);
  }
  bool get_value(unsigned offset) override {
    slot_->check();
    return inner_->get_value(offset);
  }
  void set_value(unsigned offset, bool active) override {
    slot_->check();
    inner_->set_value(offset, active);
  }
  // Makes every event fd readable (the simulated chip's are eventfds: a write wakes them).
  void wake() {
    for (int fd : inner_->event_fds()) {
      std::uint64_t one = 1;
      [[maybe_unused]] auto written = write(fd, &one, sizeof one);
    }
  }

 private:
  std::shared_ptr<PluggableChips::Slot> slot_;
  std::unique_ptr<gpio::LineRequest> inner_;
};

namespace {

class PluggedChip : public gpio::Chip {
 public:
  explicit PluggedChip(std::shared_ptr<PluggableChips::Slot> slot) : slot_(std::move(slot)) {}
  std::string name() const override { return slot_->name; }
  std::string label() const override { return slot_->chip->label(); }
  std::vector<std::string> line_names() const override { return slot_->chip->line_names(); }
  std::optional<unsigned> find_line(const std::string& name) const override { return slot_->chip->find_line(name); }
  std::unique_ptr<gpio::LineRequest> request(const std::string& consumer,
                                             const std::vector<gpio::LineSettings>& lines) override {
    slot_->check();
    return std::make_unique<PluggedRequest>(slot_, slot_->chip->request(consumer, lines));
  }

 private:
  std::shared_ptr<PluggableChips::Slot> slot_;
};

}  // namespace

PluggableChips::PluggableChips() = default;
PluggableChips::~PluggableChips() = default;

gpio::SimulatedChip& PluggableChips::add(const std::string& name, std::vector<std::string> lines,
                                         std::vector<std::pair<std::string, std::string>> wires) {
  auto slot = std::make_shared<Slot>();
  slot->name = name;
  slot->chip = std::make_unique<gpio::SimulatedChip>(name, std::move(lines), std::move(wires));
  auto& chip = *slot->chip;
  slots_["/dev/" + name] = std::move(slot);
  return chip;
}

void PluggableChips::unplug(const std::string& name) {
  auto& slot = *slots_.at("/dev/" + name);
  slot.plugged = false;
  for (PluggedRequest* request : slot.requests) request->wake();
}

void PluggableChips::plug(const std::string& name) { slots_.at("/dev/" + name)->plugged = true; }

std::vector<std::string> PluggableChips::chip_paths() const {
  std::vector<std::string> paths;
  for (const auto& [path, slot] : slots_)
    if (slot->plugged) paths.push_back(path);
  return paths;
}

std::unique_ptr<gpio::Chip> PluggableChips::open(const std::string& path) {
  opened.push_back(path);
  auto it = slots_.find(path);
  if (it == slots_.end() || !it->second->plugged) throw gpio::GpioError("No such file or directory");
  return std::make_unique<PluggedChip>(it->second);
}

}  // namespace gpio2mqtt::testing

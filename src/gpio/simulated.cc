#include "gpio/simulated.h"

#include <spdlog/spdlog.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <deque>
#include <map>
#include <string_view>

#include "gpio2mqtt/util/clock.h"
#include "util/text.h"
#include "util/unique_fd.h"

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

// The control socket's file: bound at construction, removed at destruction if it is still ours.
class ControlSocket {
 public:
  ControlSocket(const std::string& chip_name, const std::string& path);
  ControlSocket(const ControlSocket&) = delete;
  ControlSocket& operator=(const ControlSocket&) = delete;
  ~ControlSocket();
  int fd() const { return fd_.get(); }

 private:
  std::string path_;
  UniqueFd fd_;
  dev_t device_ = 0;
  ino_t inode_ = 0;
};

struct SimulatedState {
  std::string chip_name;
  std::vector<SimLine> lines;
  std::unique_ptr<ControlSocket> control;
  SimulatedRequest* control_owner = nullptr;  // the request whose event_fds() include the socket
  std::vector<SimulatedRequest*> requests;    // live ones, oldest first
  // Gives the socket to the oldest request with an input (there its edges need no second
  // wake-up), else to the oldest request; called when requests come and go.
  void choose_control_owner();
  bool physical(unsigned offset) const;
  void propagate(unsigned changed);  // re-evaluates the inputs `changed` drives
  void set_pull(unsigned offset, bool high);
  std::optional<unsigned> find_line(std::string_view name) const;
  void drain_control();  // applies the datagrams waiting on the control socket (a bounded batch)
  void apply_control(std::string_view command);
};

class SimulatedRequest : public LineRequest {
 public:
  static constexpr std::size_t kQueueLimit = 4096;  // the kernel keeps 16 per line; be kinder

  SimulatedRequest(std::shared_ptr<SimulatedState> state, std::vector<unsigned> offsets)
      : state_(std::move(state)), offsets_(std::move(offsets)), event_fd_(eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC)) {
    if (!event_fd_.valid()) throw GpioError(std::string("eventfd: ") + std::strerror(errno));
    state_->requests.push_back(this);
  }
  ~SimulatedRequest() override {
    auto& requests = state_->requests;
    requests.erase(std::find(requests.begin(), requests.end(), this));
    state_->choose_control_owner();
    for (unsigned offset : offsets_) {
      state_->lines[offset].holder = nullptr;
      state_->lines[offset].consumer.clear();
    }
    for (unsigned offset : offsets_) state_->propagate(offset);
  }

  std::vector<int> event_fds() const override {
    if (state_->control_owner == this) return {event_fd_.get(), state_->control->fd()};
    return {event_fd_.get()};
  }

  // For either fd: applies what waits on the control socket (if it is ours), then hands over
  // every pending event, so the eventfd needs no wake-up of its own for edges made here.
  void read_events(int fd, std::vector<EdgeEvent>& out) override {
    if (state_->control_owner == this && fd == state_->control->fd()) state_->drain_control();
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

  bool has_input() const {
    return std::any_of(offsets_.begin(), offsets_.end(),
                       [&](unsigned offset) { return state_->lines[offset].settings.direction == Direction::kInput; });
  }

  void push(unsigned offset, bool physical_now) {
    SimLine& line = state_->lines[offset];
    const bool active = physical_now != line.settings.active_low;
    if (line.settings.edges == Edges::kRising && !active) return;  // as the kernel: only what was asked
    if (line.settings.edges == Edges::kFalling && active) return;
    if (pending_.size() >= kQueueLimit) pending_.pop_front();  // like the kernel: oldest lost
    pending_.push_back({offset, active, static_cast<std::uint64_t>(monotonic_now().time_since_epoch().count()),
                        ++line_seqno_[offset]});
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

void SimulatedState::choose_control_owner() {
  control_owner = nullptr;
  if (!control) return;
  auto with_input = std::find_if(requests.begin(), requests.end(), [](SimulatedRequest* r) { return r->has_input(); });
  if (with_input != requests.end()) control_owner = *with_input;
  else if (!requests.empty()) control_owner = requests.front();
}

void SimulatedState::set_pull(unsigned offset, bool high) {
  if (offset >= lines.size()) throw GpioError("chip " + chip_name + " has no offset " + std::to_string(offset));
  lines[offset].pull_high = high;
  propagate(offset);
}

std::optional<unsigned> SimulatedState::find_line(std::string_view name) const {
  for (unsigned i = 0; i < lines.size(); ++i)
    if (lines[i].name == name) return i;
  return std::nullopt;
}

ControlSocket::ControlSocket(const std::string& chip_name, const std::string& path) : path_(path) {
  auto fail = [&](const std::string& why) -> GpioError {
    return GpioError("simulated chip " + chip_name + ": control socket " + path + ": " + why);
  };
  sockaddr_un address{};
  address.sun_family = AF_UNIX;
  if (path.empty() || path.size() >= sizeof address.sun_path)
    throw fail("the path must be 1 to " + std::to_string(sizeof address.sun_path - 1) + " bytes");
  std::memcpy(address.sun_path, path.data(), path.size());
  struct stat existing {};
  if (lstat(path.c_str(), &existing) == 0) {
    if (!S_ISSOCK(existing.st_mode)) throw fail("exists and is not a socket");
    if (unlink(path.c_str()) != 0) throw fail(std::string("cannot remove the stale socket: ") + std::strerror(errno));
  }
  fd_.reset(socket(AF_UNIX, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0));
  if (!fd_.valid()) throw fail(std::string("socket: ") + std::strerror(errno));
  if (bind(fd_.get(), reinterpret_cast<const sockaddr*>(&address), sizeof address) != 0)
    throw fail(std::string("bind: ") + std::strerror(errno));
  struct stat bound {};
  if (lstat(path.c_str(), &bound) == 0) {
    device_ = bound.st_dev;
    inode_ = bound.st_ino;
  }
}

ControlSocket::~ControlSocket() {
  struct stat now {};  // another process may have replaced it since: leave theirs alone
  if (lstat(path_.c_str(), &now) == 0 && now.st_dev == device_ && now.st_ino == inode_) unlink(path_.c_str());
}

void SimulatedState::drain_control() {
  // Bounded, so a flood cannot starve the loop; the socket stays readable for the next round.
  constexpr int kBatch = 64;
  char buffer[256];
  for (int i = 0; i < kBatch; ++i) {
    ssize_t size = recv(control->fd(), buffer, sizeof buffer, MSG_DONTWAIT | MSG_TRUNC);
    if (size < 0) {
      if (errno == EINTR) continue;
      if (errno != EAGAIN && errno != EWOULDBLOCK)
        spdlog::warn("simulated chip {}: control socket: {}", chip_name, std::strerror(errno));
      return;
    }
    if (static_cast<std::size_t>(size) > sizeof buffer) {
      spdlog::warn("simulated chip {}: control: ignored a {}-byte datagram (commands are short)", chip_name, size);
      continue;
    }
    apply_control(std::string_view(buffer, static_cast<std::size_t>(size)));
  }
}

void SimulatedState::apply_control(std::string_view command) {
  std::vector<std::string_view> words;
  constexpr std::string_view kBlanks = " \t\r\n";
  for (std::size_t at = command.find_first_not_of(kBlanks); at != std::string_view::npos;
       at = command.find_first_not_of(kBlanks, at)) {
    std::size_t end = std::min(command.find_first_of(kBlanks, at), command.size());
    words.push_back(command.substr(at, end - at));
    at = end;
  }
  std::string why;
  std::optional<unsigned> offset;
  if (words.size() != 3 || words[0] != "pull" || (words[2] != "0" && words[2] != "1")) {
    why = "expected 'pull LINE 0|1'";
  } else if (!(offset = find_line(words[1]))) {
    const std::string_view digits = words[1];
    bool numeric =
        !digits.empty() && digits.size() < 10 && digits.find_first_not_of("0123456789") == std::string_view::npos;
    if (numeric && std::stoul(std::string(digits)) < lines.size())
      offset = static_cast<unsigned>(std::stoul(std::string(digits)));
    else why = "no line '" + printable(words[1]) + "' on this chip";
  }
  if (!why.empty()) {
    spdlog::warn("simulated chip {}: control: ignored '{}': {}", chip_name, printable(command), why);
    return;
  }
  set_pull(*offset, words[2] == "1");
}

SimulatedChip::SimulatedChip(std::string name, std::vector<std::string> line_names,
                             std::vector<std::pair<std::string, std::string>> wires, const std::string& control_path)
    : state_(std::make_shared<SimulatedState>()) {
  state_->chip_name = std::move(name);
  for (auto& line_name : line_names) state_->lines.push_back({.name = std::move(line_name)});
  for (const auto& [from, to] : wires) {
    auto source = find_line(from), target = find_line(to);
    if (!source || !target)
      throw GpioError("simulated chip " + state_->chip_name + ": wire " + from + " -> " + to + " names a missing line");
    state_->lines[*target].driven_by = *source;
  }
  if (!control_path.empty()) state_->control = std::make_unique<ControlSocket>(state_->chip_name, control_path);
}

SimulatedChip::~SimulatedChip() = default;

std::string SimulatedChip::name() const { return state_->chip_name; }
std::string SimulatedChip::label() const { return "gpio2mqtt-sim-" + state_->chip_name; }

std::vector<std::string> SimulatedChip::line_names() const {
  std::vector<std::string> names;
  for (const auto& line : state_->lines) names.push_back(line.name);
  return names;
}

std::optional<unsigned> SimulatedChip::find_line(const std::string& name) const { return state_->find_line(name); }

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
  state_->choose_control_owner();
  for (const auto& s : settings) state_->lines[s.offset].seen_physical = state_->physical(s.offset);
  for (const auto& s : settings)
    if (s.direction == Direction::kOutput) state_->propagate(s.offset);
  return request;
}

void SimulatedChip::set_pull(unsigned offset, bool high) { state_->set_pull(offset, high); }

bool SimulatedChip::physical_level(unsigned offset) const {
  if (offset >= state_->lines.size())
    throw GpioError("chip " + state_->chip_name + " has no offset " + std::to_string(offset));
  return state_->physical(offset);
}

}  // namespace gpio2mqtt::gpio

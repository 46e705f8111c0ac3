// Recording fakes for the bridge's ports (bridge/bridge.h: Publisher, LinePort, CounterStore,
// BindingStore):
// each records what the bridge asked of it, and the test sets what it answers.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "gpio2mqtt/bridge/bridge.h"

namespace gpio2mqtt::bridge {

// An edge of line 0 to `rising` at `at`, as the chip reports it.
inline gpio::EdgeEvent edge(bool rising, MonoTime at) {
  return {0, rising, static_cast<std::uint64_t>(at.time_since_epoch().count()), 0};
}

class RecordingPublisher : public Publisher {
 public:
  bool up = true;
  std::vector<Message> sent;
  bool publish(const Message& message) override {
    if (!up) return false;
    sent.push_back(message);
    return true;
  }
  std::vector<Message> take() { return std::exchange(sent, {}); }
  std::vector<std::string> payloads_on(const std::string& topic) const {
    std::vector<std::string> out;
    for (const auto& m : sent)
      if (m.topic == topic) out.push_back(m.payload);
    return out;
  }
};

class FakeLines : public LinePort {
 public:
  std::map<std::size_t, bool> levels;
  std::vector<std::pair<std::size_t, bool>> writes;
  bool fail = false;
  bool kernel_debounce = false;                     // as a libgpiod 2.x chip: the kernel debounces every input
  std::function<void(std::size_t, bool)> on_write;  // e.g. an input wired to the output
  Nanos write_takes{0};                             // how long after the time it is given a write is done
  std::vector<MonoTime> written_at;                 // what each write returned: when it was done
  bool read(std::size_t line) override {
    if (fail) throw std::runtime_error("chip gone");
    return levels[line];
  }
  MonoTime write(std::size_t line, bool active, MonoTime now) override {
    if (fail) throw std::runtime_error("chip gone");
    writes.emplace_back(line, active);
    levels[line] = active;
    if (on_write) on_write(line, active);
    return written_at.emplace_back(now + write_takes);
  }
};

class RecordingCounterStore : public CounterStore {
 public:
  std::map<std::string, std::uint64_t> counts;
  std::vector<std::pair<std::string, std::uint64_t>> saves;
  std::uint64_t load(const std::string& name) override { return counts[name]; }
  void save(const std::string& name, std::uint64_t count) override {
    saves.emplace_back(name, count);
    counts[name] = count;
  }
};

class RecordingBindingStore : public BindingStore {
 public:
  std::map<std::string, bool> kept;
  std::optional<bool> load(const std::string& name) override {
    auto it = kept.find(name);
    return it == kept.end() ? std::nullopt : std::optional<bool>(it->second);
  }
  void save(const std::string& name, bool enabled) override { kept[name] = enabled; }
};

}  // namespace gpio2mqtt::bridge

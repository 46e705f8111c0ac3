// Recording fakes for the bridge's ports, and the fixture of a bridge built on them.
#pragma once

#include <gtest/gtest.h>

#include <functional>
#include <map>
#include <optional>
#include <stdexcept>
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
  bool read(std::size_t line) override {
    if (fail) throw std::runtime_error("chip gone");
    return levels[line];
  }
  void write(std::size_t line, bool active) override {
    if (fail) throw std::runtime_error("chip gone");
    writes.emplace_back(line, active);
    levels[line] = active;
    if (on_write) on_write(line, active);
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

class RecordingDeviceStore : public DeviceStore {
 public:
  std::map<std::string, std::uint64_t> kept;  // by "<kind>/<name>"
  std::vector<std::pair<std::string, std::uint64_t>> saves;
  std::optional<std::uint64_t> load(const std::string& kind, const std::string& name) override {
    auto it = kept.find(kind + "/" + name);
    return it == kept.end() ? std::nullopt : std::optional<std::uint64_t>(it->second);
  }
  void save(const std::string& kind, const std::string& name, std::uint64_t value) override {
    saves.emplace_back(kind + "/" + name, value);
    kept[kind + "/" + name] = value;
  }
};

// Starts `bridge` as the service does: with the plan of a start, the kernel debouncing as `lines` say.
inline void start(Bridge& bridge, const config::Config& config, const FakeLines& lines, MonoTime now) {
  bridge.start(now, plan_start(config, KernelDebounce(config.lines.size(), lines.kernel_debounce)));
}

// Reloads `bridge` from `running` to `next` as the service does: the plan, then the bridge follows
// it (the service's LineSet requests the lines in between).
inline void reload(Bridge& bridge, const config::Config& running, const config::Config& next, const FakeLines& lines,
                   MonoTime now) {
  KernelDebounce debounce(next.lines.size(), lines.kernel_debounce);
  bridge.reconfigure(next, plan_reload(running, bridge.running_lines(), next, debounce, now), now);
}

// A bridge on the fakes (a counter store among them), made by make(): started and connected at
// 0 s, with what that published taken (into connect_sent_), so that a test sees only what follows.
class BridgeTest : public ::testing::Test {
 protected:
  void make(config::Config config) {
    config_ = std::move(config);
    bridge_.emplace(config_, publisher_, lines_, nullptr, &store_);
    start(*bridge_, config_, lines_, MonoTime(std::chrono::seconds(0)));
    bridge_->on_connected(MonoTime(std::chrono::seconds(0)));
    connect_sent_ = publisher_.take();
  }
  // Runs on_time() at `now`, as the service does at each deadline.
  void time(MonoTime now) { bridge_->on_time(now); }

  config::Config config_;
  config::Config next_;  // what a reload moves the bridge to (it keeps a pointer: outlives bridge_)
  RecordingPublisher publisher_;
  FakeLines lines_;
  RecordingCounterStore store_;
  std::optional<Bridge> bridge_;
  std::vector<Message> connect_sent_;  // what make() took
};

}  // namespace gpio2mqtt::bridge

// The fixture of a bridge on the recording fakes of its ports (fakes/bridge_ports.h), and the
// start and reload of a bridge as the service does them.
#pragma once

#include <gtest/gtest.h>

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "bridge_ports.h"
#include "gpio2mqtt/bridge/bridge.h"

namespace gpio2mqtt::bridge {

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

// A bridge on the fakes (a counter and a binding store among them), made by make(): started and
// connected at 0 s, with what that published taken (into connect_sent_), so that a test sees only
// what follows.
class BridgeTest : public ::testing::Test {
 protected:
  void make(config::Config config) {
    bridge_.reset();  // again (a restart): the old bridge goes before the config it points into
    config_ = std::move(config);
    bridge_.emplace(config_, publisher_, lines_, nullptr, &store_, &binding_store_);
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
  RecordingBindingStore binding_store_;
  std::optional<Bridge> bridge_;
  std::vector<Message> connect_sent_;  // what make() took
};

}  // namespace gpio2mqtt::bridge

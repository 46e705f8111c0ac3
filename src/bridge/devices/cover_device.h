// A cover (covers:) as the bridge serves it: bridge::Cover's logic on the configured lines. Its
// motor outputs and button go through the switchboard (the motor's pair is an interlock group of
// its own, with the cover's dead time); its end stops' debounced changes correct the position.
// Topics: <base>/<name>/set (OPEN, CLOSE, STOP, 0-100), /state and /position (retained). The
// position is kept in the device store at every stop, at most every persist_every while it runs,
// and at a clean exit; a restart (and a reload) drives nothing.
#pragma once

#include <optional>
#include <string>

#include "gpio2mqtt/bridge/bridge.h"
#include "gpio2mqtt/bridge/cover.h"
#include "gpio2mqtt/bridge/device.h"

namespace gpio2mqtt::bridge {

class CoverDevice : public Device, private CoverDrive {
 public:
  CoverDevice(const config::CoverConfig& settings, ModeHost& host);

  const std::string& name() const override { return settings_.name; }
  bool takes_commands() const override { return true; }
  std::vector<std::size_t> lines() const override;
  Refusal check_command(std::string_view payload) const override;
  void on_command(std::string_view payload, MonoTime now) override;
  void publish_state(MonoTime now) override;
  void start(MonoTime now) override;
  void on_line_edge(std::size_t line, bool level, MonoTime at) override;
  // open, close, stop, or toggle (stop a running cover, else close an open one, else open it).
  std::string act(const Action& action, MonoTime now) override;
  void on_time(MonoTime now) override;
  std::optional<MonoTime> deadline() const override;
  void on_disconnected(MonoTime now) override;
  void on_stop(MonoTime now) override;
  void retire(MonoTime now) override;
  void inherit(Device& predecessor) override;

  // What D-Bus reads and does: the state word, the position (nullopt while unknown), a command as
  // a set payload takes it (an error text, empty when taken).
  std::string state(MonoTime now) const { return cover_.state_word(now); }
  std::optional<double> position(MonoTime now) const { return cover_.position(now); }
  std::string apply(std::string_view payload, MonoTime now);

  static std::vector<std::pair<ComponentId, JsonObject>> components(const config::Config& config);

 private:
  // CoverDrive
  bool motor(CoverMotion motion, MonoTime now) override;
  bool button(bool on, MonoTime now) override;
  MonoTime quiet_since(MonoTime now) const override;

  std::optional<std::size_t> index(const std::string& line) const;
  // Publishes what changed, stores the position at a stop and every persist_every while it runs.
  void after(MonoTime now);
  void store(MonoTime now);

  const config::CoverConfig& settings_;
  ModeHost& host_;
  Cover cover_;
  std::string state_topic_, position_topic_;
  std::optional<std::string> published_state_;
  std::optional<long> published_position_;
  std::optional<MonoTime> reported_;  // the last position report while it runs
  std::optional<MonoTime> stored_;    // the last store while it runs
  CoverMotion motion_ = CoverMotion::kStopped;
  std::optional<double> retired_at_position_;  // what retire() left for its successor
  MonoTime retired_at_{};
};

}  // namespace gpio2mqtt::bridge

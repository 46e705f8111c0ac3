// When the Home Assistant discovery payload goes out, and how what is on the broker follows the
// config: at every connect, again a random moment (at most homeassistant.announce_delay) after
// Home Assistant says `online` on its status topic, and after a reload. Components of lines that
// went away are removed the documented way (the payload with them as bare {"p": ...} first), a
// device that went away (discovery turned off, another id or prefix) gets an empty retained payload.
// Pure: time is passed in, messages are returned for the bridge to send.
#pragma once

#include <optional>
#include <random>
#include <string>
#include <string_view>
#include <vector>

#include "gpio2mqtt/bridge/discovery.h"
#include "gpio2mqtt/config/config.h"
#include "gpio2mqtt/message.h"
#include "gpio2mqtt/util/clock.h"

namespace gpio2mqtt::bridge {

// The longest discovery payload the bridge reads back (a few hundred bytes per line).
inline constexpr std::size_t kMaxReadBackPayload = 64 * 1024;

class Announcer {
 public:
  Announcer();
  // What to publish so that the broker holds `config`'s discovery and nothing else of ours. Call
  // confirm() once all were handed over; until then the old components are still thought there.
  std::vector<Message> sync(const config::Config& config) const;
  void confirm(const config::Config& config);
  // What a previous run left retained on our device topic (read back at connect): its components
  // are thought there too, so that sync() removes those `config` no longer has. True when it
  // listed such a component.
  bool learn(std::string_view retained_payload, const config::Config& config);
  // A message on Home Assistant's status topic (not retained): `online` schedules an announcement,
  // no sooner than the delay bound (at least 1 s) after the last one, so that a flood of
  // `online` from anyone who may publish there cannot make the bridge announce without pause.
  void on_status(std::string_view payload, const config::HomeAssistantConfig& ha, MonoTime now);
  std::optional<MonoTime> deadline() const { return due_; }
  // True (once) when a scheduled announcement is due at `now`.
  bool take_due(MonoTime now);
  // The connection is new: its announcement replaces any scheduled one.
  void cancel() { due_.reset(); }

 private:
  std::string topic_;                    // our device topic on the broker; empty: nothing retained there
  std::vector<ComponentId> components_;  // what that payload lists
  std::optional<MonoTime> due_;
  std::optional<MonoTime> last_due_;  // when the last scheduled announcement was made
  std::minstd_rand random_;
};

}  // namespace gpio2mqtt::bridge

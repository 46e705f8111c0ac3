// Home Assistant MQTT discovery, device-based: one retained payload at
// <prefix>/device/<device_id>/config describing the daemon as a device ("dev"), its origin ("o"),
// its availability (the status will) and one component per line ("cmps"). Pure functions of the
// config; bridge/announcer.h decides when they are published.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "gpio2mqtt/config/config.h"

namespace gpio2mqtt::bridge {

inline constexpr const char* kProjectUrl = "https://github.com/gpio2mqtt/gpio2mqtt";

// A JSON object whose fields keep the order they were added in.
class JsonObject {
 public:
  JsonObject& add(std::string_view key, std::string_view text);  // a string value
  JsonObject& add(std::string_view key, const JsonObject& object);
  JsonObject& add_raw(std::string_view key, std::string raw);  // a number, bool, array: as given
  std::string str() const;

 private:
  std::vector<std::pair<std::string, std::string>> fields_;
};

std::string json_string(std::string_view text);

// A component announced for a line: its id in "cmps" and its platform ("p").
struct ComponentId {
  std::string id;
  std::string platform;
  auto operator<=>(const ComponentId&) const = default;
};

// <prefix>/device/<device_id>/config
std::string device_topic(const config::HomeAssistantConfig& ha);

// The line's components, by its platform (config/entity.h), with their ids; hidden lines have
// none. A level input or an output has one; a counter two sensors, its total (the line's id) and
// its rate (`<id>_rate`); a button its binary_sensor and an event entity of its gestures
// (`<id>_action`). Each line mode brings its own (ModeKind::components, bridge/line_mode.h).
std::vector<std::pair<ComponentId, JsonObject>> line_components(const config::Config& config,
                                                                const config::LineConfig& line);

// What every component of a line has: platform, name, unique_id, state topic (when not empty),
// icon. The line's mode adds the rest.
JsonObject entity_component(const config::Config& config, const config::LineConfig& line, std::string_view platform,
                            const std::string& id, const std::string& name, const std::string& state_topic);

// A `pwm:` output's component (bridge/pwm_discovery.cc): a light (JSON schema: brightness and
// transition) or a fan (on/off and a percentage), reading the output's JSON state; none when hidden.
std::vector<std::pair<ComponentId, JsonObject>> pwm_components(const config::Config& config,
                                                               const config::PwmOutputConfig& output);

// The components `config` announces, in line order, then the bindings', the sensors' and the
// PWM outputs'.
std::vector<ComponentId> announced_components(const config::Config& config);

// The availability entry Home Assistant needs for the status will: a value_template when the
// online/offline payloads are flat JSON objects (the key whose values differ), plain payloads else.
JsonObject availability(const config::StatusConfig& status);

// The whole device payload; `removed` are listed as bare {"p": platform}, which is how Home
// Assistant is told to remove a component from a device.
std::string device_payload(const config::Config& config, const std::vector<ComponentId>& removed = {});

}  // namespace gpio2mqtt::bridge

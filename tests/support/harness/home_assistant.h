// A stand-in for Home Assistant's MQTT integration, for tests: it reads device-based discovery
// payloads under its prefix by the documented rules (the abbreviations it understands, the
// required keys, a component reduced to {"p": ...} or an empty payload removes), subscribes to
// whatever topics the payloads name, renders `{{ value_json.KEY }}` availability templates
// against the real status payload, and switches through the discovered command topic. It knows
// no topic of the bridge's own: only its prefix and its own status topic.
#pragma once

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "mqtt_client.h"

namespace gpio2mqtt::testing {

struct Entity {
  std::string device;  // the device id from the discovery topic
  std::string id;      // the component id
  std::string platform, name, unique_id, state_topic, command_topic, device_class, icon;
  std::string payload_on = "ON", payload_off = "OFF";
  std::string payload_press = "PRESS";  // a button's
  std::string value_template;
  std::vector<std::string> event_types;               // an event entity's
  std::string unit_of_measurement, state_class;       // a sensor's
  int suggested_display_precision = -1;               // a sensor's; -1: not given
  std::string position_topic, set_position_topic;     // a cover's
  std::map<std::string, std::string> cover_payloads;  // payload_open, _close, _stop when given
  struct Availability {
    std::string topic, value_template, payload_available = "online", payload_not_available = "offline";
  };
  std::vector<Availability> availability;
};

class FakeHomeAssistant {
 public:
  FakeHomeAssistant(const std::string& url, const std::string& client_id, std::string prefix = "homeassistant");

  // Reads what arrived since the last call; returns the entities now known, by unique_id.
  const std::map<std::string, Entity>& entities();
  // Discovery messages read so far, and what was wrong with them (empty when all were valid).
  std::size_t discoveries() const { return discoveries_; }
  const std::vector<std::string>& errors() const { return errors_; }
  std::vector<std::string> devices();
  // The entity whose component id is `id`, if discovered.
  std::optional<Entity> find(const std::string& id);

  // Availability as Home Assistant shows it: every availability topic says available.
  std::optional<bool> available(const Entity& entity);
  // The last payload on the entity's state topic (a sensor's value), or nothing yet.
  std::optional<std::string> value(const Entity& entity);
  // "on", "off" or nothing yet.
  std::optional<std::string> state(const Entity& entity);
  void turn(const Entity& entity, bool on);
  void press(const Entity& entity);  // a button
  // A cover: "open", "close" or "stop" on its command topic (its payload_<command>, else the
  // default OPEN, CLOSE, STOP); a position on its set_position_topic; its last position.
  void move(const Entity& entity, const std::string& command);
  void set_position(const Entity& entity, int position);
  std::optional<int> position(const Entity& entity);
  // The event types an event entity fired, in order: each payload on its state topic rendered
  // through its value_template (`{{ value }}` and `{{ value_json.KEY }}` are understood) must be
  // JSON with an `event_type` among its event_types, as Home Assistant requires; others are errors.
  std::vector<std::string> events(const Entity& entity);
  // Home Assistant's birth and will on its status topic.
  void say(const std::string& status);

  MqttTestClient& client() { return client_; }

 private:
  void read(const Received& message);
  void read_device(const std::string& device, const std::string& payload);
  std::optional<std::string> last_payload(const std::string& topic);

  std::string prefix_;
  MqttTestClient client_;
  std::size_t read_ = 0;
  std::size_t discoveries_ = 0;
  std::map<std::string, Entity> entities_;  // by unique_id
  std::vector<std::string> subscribed_;
  std::vector<std::string> errors_;
};

}  // namespace gpio2mqtt::testing

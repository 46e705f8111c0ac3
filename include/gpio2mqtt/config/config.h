// The typed configuration, as loaded from YAML (see config/loader.h and docs/config.md).
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "gpio2mqtt/gpio/gpio.h"
#include "gpio2mqtt/sensors/source.h"

namespace gpio2mqtt::config {

// Where a value stood in the config file, for messages at start-up ("file:line:col").
struct Location {
  std::string file;
  int line = 0;    // 1-based
  int column = 0;  // 1-based
  std::string str() const;
  bool operator==(const Location&) const = default;
};

struct StatusConfig {
  std::string topic;  // default <base_topic>/status
  std::string online = R"({"status":"On"})";
  std::string offline = R"({"status":"Off"})";
  // Declared here, before MqttConfig's defaulted == uses it (clang deletes that one otherwise).
  bool operator==(const StatusConfig&) const = default;
};

struct TlsConfig {
  bool enabled = false;   // mqtts://, ssl:// or wss://
  std::string ca_file;    // empty: the system's CA store
  std::string cert_file;  // a client certificate, with key_file
  std::string key_file;
  bool insecure = false;  // skip verifying the broker's certificate and host name
  bool operator==(const TlsConfig&) const = default;
};

// mqtt.version: auto: MQTT 5, and 3.1.1 once the broker refuses 5.
inline constexpr int kAutoVersion = 0;

// mqtt.server_order: a fleet given one list in one order would all crowd its first node.
enum class ServerOrder { kListed, kShuffled };

struct MqttConfig {
  // The first of `servers`; a client describes its failures with the one it tried there.
  std::string server = "mqtt://127.0.0.1:1883";
  std::vector<std::string> servers{server};  // mqtt.server, one or more nodes of one broker
  ServerOrder server_order = ServerOrder::kListed;
  std::chrono::milliseconds start_delay{0};  // the first connect waits a random time up to this
  bool reconnect_jitter = true;              // full jitter on the reconnect backoff
  std::chrono::seconds republish{0};         // status and states again every so often; 0: only on connect
  std::string client_id;                     // {hostname} expanded; default gpio2mqtt-<hostname>
  std::chrono::seconds keepalive{60};
  int version = 5;  // 5, 4 for 3.1.1, or kAutoVersion
  std::string base_topic = "raspberry";
  int qos = 1;
  int subscribe_qos = 1;  // of the command subscriptions; qos unless set
  StatusConfig status;
  std::size_t buffer = 10000;  // messages kept while the broker is unreachable
  std::string persistence;     // a directory where they survive a restart; empty: memory only
  std::string username;
  std::string password;         // a secret: never logged, printed or exported
  std::string password_source;  // "inline", or the file it was read from
  TlsConfig tls;
  bool operator==(const MqttConfig&) const = default;
  // The broker is on this host (loopback or our own host name), where plain MQTT is fine.
  bool broker_is_local(const std::string& hostname) const;
};

struct SimulatedChipConfig {
  std::vector<std::string> lines;                          // offset = index
  std::vector<std::pair<std::string, std::string>> wires;  // output -> input it drives
  std::string control;  // path of the control socket (`pull LINE 0|1` datagrams); empty: none
  bool operator==(const SimulatedChipConfig&) const = default;
};

struct ChipConfig {
  std::string name;  // the key under `chips:`
  enum class Kind { kSimulated, kLabel, kPath } kind = Kind::kSimulated;
  std::string label;  // kLabel
  std::string path;   // kPath
  SimulatedChipConfig simulated;
  Location where;
  bool operator==(const ChipConfig&) const = default;
  // Everything but where it was written (so a field added later is compared without a word here).
  bool same_settings(const ChipConfig& other) const;
};

// kNone: an input that publishes only its retained state, one message per edge.
enum class Edge { kRising, kFalling, kBoth, kNone };

// A line's entity in Home Assistant (the line's `homeassistant:` key). Empty strings: not given.
struct LineEntityConfig {
  bool hidden = false;       // `homeassistant: false`: the line gets no component
  std::string name;          // the entity's name; default the line's name
  std::string device_class;  // checked against the line's platform by the loader
  std::string icon;          // mdi:...
  bool operator==(const LineEntityConfig&) const = default;
};
enum class OnDisconnect { kOff, kOn, kKeep };
// What an input publishes: its level and edges (the default), a count of its pulses, or the
// gestures of a push button besides its level.
enum class Mode { kLevel, kCounter, kButton };

// An input's `mode: counter` settings (see bridge/counter.h).
struct CounterConfig {
  double pulses_per_unit = 1000;  // S0 electricity meters: 1000 impulses per kWh
  std::string unit = "kWh";
  std::chrono::nanoseconds rate_timeout = std::chrono::minutes(5);  // the rate is 0 after this without pulses
  std::chrono::nanoseconds publish_interval = std::chrono::seconds(1);
  std::chrono::nanoseconds persist_every = std::chrono::seconds(60);
  bool operator==(const CounterConfig&) const = default;
};

// The press gestures a button can send on its action topic (see bridge/button.h).
enum class Gesture { kSingle, kDouble, kTriple, kLong, kLongRelease };
inline constexpr Gesture kAllGestures[] = {Gesture::kSingle, Gesture::kDouble, Gesture::kTriple, Gesture::kLong,
                                           Gesture::kLongRelease};
// As the action topic carries it: single, double, triple, long, long_release.
std::string_view gesture_name(Gesture gesture);
std::optional<Gesture> parse_gesture(std::string_view name);

// An input's `mode: button` settings (the `button:` key).
struct ButtonConfig {
  std::chrono::nanoseconds window = std::chrono::milliseconds(400);  // from a release to the next press
  std::chrono::nanoseconds long_press = std::chrono::milliseconds(800);
  std::vector<Gesture> gestures{std::begin(kAllGestures), std::end(kAllGestures)};  // in kAllGestures' order
  bool operator==(const ButtonConfig&) const = default;
};

struct LineConfig {
  std::string name;  // the key under `lines:`, one topic level
  std::string chip;  // empty: searched on every chip (hardware only)
  std::string line;  // a line name, or empty when `offset` is set
  std::optional<unsigned> offset;
  gpio::Direction direction = gpio::Direction::kInput;
  Edge edge = Edge::kBoth;
  gpio::Bias bias = gpio::Bias::kAsIs;
  gpio::Drive drive = gpio::Drive::kPushPull;
  bool active_low = false;
  std::chrono::nanoseconds debounce{0};
  bool initial = false;
  OnDisconnect on_disconnect = OnDisconnect::kKeep;
  Mode mode = Mode::kLevel;
  CounterConfig counter;  // for mode kCounter
  ButtonConfig button;    // for mode kButton
  // An output's `momentary:` length: every ON becomes a pulse this long (door openers). Empty: none.
  std::optional<std::chrono::nanoseconds> momentary;
  LineEntityConfig entity;  // Home Assistant only: a change keeps the line's request
  // The cover that claims the line (covers:), empty when none: the cover alone drives such an
  // output (the line takes no commands and gets no switch in Home Assistant); set by the loader.
  std::string cover;
  Location where;       // the line's own key
  Location line_where;  // its `line:` value
  // "GPIO17" or "offset 3", for messages.
  std::string line_spec() const;
  // Which edges the kernel is asked for (gpio::LineSettings::edges): both, except for a counter
  // of one direction that the bridge does not debounce (no `debounce`, or the kernel's): then
  // every edge reported is a pulse.
  gpio::Edges kernel_edges(bool kernel_debounces) const;
  bool operator==(const LineConfig&) const = default;
  // Everything but where it was written and how Home Assistant shows it: a reload keeps a line
  // whose settings are the same.
  bool same_settings(const LineConfig& other) const;
};

// An `interlocks:` group: outputs of which at most one is on at any instant (shutter up/down),
// with `dead_time` between one going off and another coming on (see bridge/interlock.h).
struct InterlockConfig {
  std::vector<std::string> lines;  // output names, in the order written
  std::chrono::nanoseconds dead_time{0};
  std::string cover;  // the cover whose motor the group is (added by the covers' loader), else empty
  Location where;     // the group's entry in the list
  bool operator==(const InterlockConfig&) const = default;
};

// A sensor's threshold (`thresholds:`): a binary_sensor that is on while the value is beyond
// `level`, and off again once it is back by `hysteresis` (frost, overheat).
struct ThresholdConfig {
  std::string name;   // the key under `thresholds:`, one topic level
  bool above = true;  // on above `level`; false: on below it
  double level = 0;
  double hysteresis = 0;
  Location where;
  bool operator==(const ThresholdConfig&) const = default;
};

// A `sensors:` entry: an IIO channel or a 1-Wire thermometer, read every `interval` off the loop.
// The published value is the ABI's value * `factor` (to `unit`) * `multiply` + `offset`.
struct SensorConfig {
  std::string name;  // the key under `sensors:` (for `w1: all`, one per thermometer: <name>_<id>)
  sensors::Channel channel;
  std::chrono::nanoseconds interval = std::chrono::seconds(30);
  std::chrono::nanoseconds timeout = std::chrono::seconds(2);  // of one read
  double delta = 0;  // publish when the value moved this far (0: any change at `precision`)
  std::chrono::nanoseconds max_interval = std::chrono::minutes(5);  // and at least this often
  int precision = 2;                                                // decimals
  double factor = 1;                                                // from the ABI's unit to `unit`
  double multiply = 1;
  double offset = 0;
  std::string unit;
  std::string device_class;  // Home Assistant's; empty: none
  std::string title;         // the entity's name in Home Assistant; default the sensor's name
  std::vector<ThresholdConfig> thresholds;
  Location where;
  bool operator==(const SensorConfig&) const = default;
};

// The `pwm:` section: dimmable outputs (lights, fans, heaters) on a hardware PWM channel or, as
// slow software PWM, on a GPIO line (see bridge/dimmer.h and bridge/slow_pwm.h).
// A level an output starts at or falls to. kRestore (initial only): what the previous run left,
// from the state directory; kKeep (on_disconnect only): stay where it is.
struct PwmLevel {
  enum class Kind { kOff, kOn, kLevel, kRestore, kKeep } kind = Kind::kOff;
  int level = 0;  // kLevel: in thousandths (bridge::kFullLevel), above 0
  bool operator==(const PwmLevel&) const = default;
};

struct PwmOutputConfig {
  std::string name;  // the key under `pwm:`, one topic level like a line's name
  enum class Kind { kHardware, kSoftware } kind = Kind::kHardware;

  // kHardware: a PWM chip by its device, device-tree node or sysfs name, and a channel of it.
  std::string pwm_chip;
  unsigned channel = 0;
  bool inversed = false;  // polarity: inversed

  // kSoftware: a GPIO output line (chip as for lines: may be left out when there is one chip).
  std::string chip;
  std::string line;  // a line name, or empty when `offset` is set
  std::optional<unsigned> offset;
  bool active_low = false;

  std::chrono::nanoseconds period{1'000'000};  // hardware: 1 kHz by default; software: 1 s
  double min_duty = 0;                         // 0..1, the duty at the lowest level above off
  double max_duty = 1;                         // 0..1, the duty at full
  double gamma = 1;
  std::chrono::nanoseconds transition{0};  // the fade when a command gives none
  PwmLevel initial;                        // default off
  PwmLevel on_disconnect{PwmLevel::Kind::kKeep, 0};

  enum class Component { kLight, kFan } component = Component::kLight;  // in Home Assistant
  bool hidden = false;                                                  // homeassistant: false
  std::string entity_name;                                              // default the output's name
  std::string icon;

  Location where;       // the output's key
  Location chip_where;  // its pwm_chip: or line: value
  bool operator==(const PwmOutputConfig&) const = default;
  // The same output driven the same way: equal but for where it is written and how Home
  // Assistant shows it (a reload keeps such an output as it runs).
  bool same_settings(const PwmOutputConfig& other) const;
  // "PWM chip fe20c000.pwm channel 0" or "line GPIO17 of chip main", for messages.
  std::string describe() const;
};

enum class Bus { kSystem, kSession, kOff };

// A `bindings:` entry: what on an input makes a target act, locally, without the broker
// (see bridge/bindings.h).
struct BindingConfig {
  enum class On { kOn, kOff, kChange, kGesture };
  // When it acts: always, while the broker is unreachable, or while Home Assistant is offline
  // (its status topic last said `offline`, or the broker is unreachable).
  enum class When { kAlways, kBrokerOffline, kHaOffline };
  std::string name;     // one topic level: <base>/binding/<name>/set; default <trigger>_<target>
  std::string trigger;  // an input line's name
  On on = On::kChange;
  Gesture gesture = Gesture::kSingle;  // for kGesture
  std::string target;                  // an output line's or a PWM output's name (later: a cover)
  // What the target does, as the target's kind names it: on, off, toggle, pulse (for an output);
  // on, off, toggle, brighter, dimmer (for a PWM output).
  std::string action = "toggle";
  std::optional<std::chrono::nanoseconds> length;  // a pulse's
  std::optional<int> step;                         // brighter/dimmer: percent points (1-100), default 10
  When when = When::kAlways;
  Location where;  // the entry in the list
  bool operator==(const BindingConfig&) const = default;
};

// A `covers:` entry (see bridge/cover.h): a motor with two directions (`open`, `close` outputs,
// an interlock group of their own) or a one-button operator (`button`), optional end stops.
struct CoverConfig {
  enum class OnDisconnect { kStop, kKeep };
  std::string name;  // the key under `covers:`, one topic level like a line's
  bool one_button = false;
  std::string open, close;     // a motor's outputs
  std::string button;          // a one-button operator's output
  std::string opened, closed;  // end-stop inputs, empty when none
  std::chrono::nanoseconds open_time{0}, close_time{0};
  std::chrono::nanoseconds margin = std::chrono::seconds(2);  // added to travels to 0 and 100
  std::chrono::nanoseconds dead_time = std::chrono::milliseconds(500);
  std::chrono::nanoseconds press = std::chrono::milliseconds(500);  // a one-button operator's
  std::chrono::nanoseconds persist_every = std::chrono::seconds(10);
  OnDisconnect on_disconnect = OnDisconnect::kStop;
  std::string device_class;  // Home Assistant's: shutter (motor) or garage (one button) by default
  std::string title;         // Home Assistant's entity name; default the cover's name
  Location where;
  bool operator==(const CoverConfig&) const = default;
};

// The `homeassistant:` section: MQTT discovery (see bridge/discovery.h).
struct HomeAssistantConfig {
  bool discovery = false;
  std::string prefix = "homeassistant";
  std::string status_topic = "homeassistant/status";  // Home Assistant's birth and will
  std::string device_name;                            // default the host name
  // <prefix>/device/<device_id>/config and the prefix of every unique_id. Empty: derived from the
  // machine id and the unexpanded mqtt.client_id (see device_id_seed), so it survives host renames.
  std::string device_id;
  std::string device_id_seed;              // mqtt.client_id as written, before {hostname} is expanded
  std::chrono::seconds announce_delay{5};  // at most this long after Home Assistant says online
  bool operator==(const HomeAssistantConfig&) const = default;
};

struct Config {
  std::string file;
  MqttConfig mqtt;
  Bus dbus = Bus::kSystem;
  std::vector<ChipConfig> chips;
  std::vector<LineConfig> lines;
  std::vector<InterlockConfig> interlocks;
  std::vector<SensorConfig> sensors;
  // `w1: all` entries, kept as written until expand_w1_all() replaces them with what was found.
  std::vector<SensorConfig> w1_all;
  // Where sensors are read: the kernel's sysfs (a container may mount the host's elsewhere).
  std::string sysfs = "/sys";
  std::vector<PwmOutputConfig> pwm;
  std::vector<CoverConfig> covers;
  HomeAssistantConfig homeassistant;
  std::vector<BindingConfig> bindings;
  // Where counters keep their totals: the `state_directory` key, else $STATE_DIRECTORY (systemd's
  // StateDirectory=); empty when neither is set (then no counter may be configured).
  std::string state_directory;
  std::string state_directory_source;  // "state_directory" or "$STATE_DIRECTORY"
  // Things worth a warning at start-up that are not errors (e.g. a password others can read).
  std::vector<std::string> warnings;
  const ChipConfig* find_chip(const std::string& name) const;
  // Whether the line named `line` is in an interlock group.
  bool interlocked(const std::string& line) const;
  bool has_counters() const;
  // Whether the daemon follows Home Assistant's status topic (discovery, or a binding whose
  // `when` asks for it).
  bool follows_homeassistant() const;
};

}  // namespace gpio2mqtt::config

#include "bridge/describe.h"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "config/names.h"
#include "gpio2mqtt/bridge/bridge.h"
#include "gpio2mqtt/bridge/dimmer.h"
#include "gpio2mqtt/bridge/discovery.h"
#include "gpio2mqtt/bridge/sensor.h"

namespace gpio2mqtt::config {
namespace {

const char* bias_name(gpio::Bias bias) { return name_of<gpio::Bias>(kBiasNames, bias); }
const char* drive_name(gpio::Drive drive) { return name_of<gpio::Drive>(kDriveNames, drive); }
const char* edge_name(Edge edge) { return name_of<Edge>(kEdgeNames, edge); }

std::string gesture_list(const ButtonConfig& button) {
  std::string out;
  for (Gesture g : button.gestures) out += (out.empty() ? "" : ", ") + std::string(gesture_name(g));
  return out;
}

long long millis(std::chrono::nanoseconds t) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(t).count();
}

std::string chip_text(const Config& config, const LineConfig& line) {
  const ChipConfig* chip = config.find_chip(line.chip);
  if (!chip) return "any chip";
  switch (chip->kind) {
    case ChipConfig::Kind::kSimulated:
      return "simulated chip " + chip->name;
    case ChipConfig::Kind::kLabel:
      return "chip " + chip->name + " (label " + chip->label + ")";
    case ChipConfig::Kind::kPath:
      return "chip " + chip->name + " (" + chip->path + ")";
  }
  return chip->name;
}

std::string seconds_text(std::chrono::nanoseconds length) {
  return bridge::format_number(std::chrono::duration<double>(length).count()) + " s";
}

std::string describe_sensors(const Config& config, const SensorFinder& found) {
  if (config.sensors.empty() && config.w1_all.empty()) return "";
  std::string out = "sensors:\n";
  for (const SensorConfig& all : config.w1_all)
    out += fmt::format("  {}: every 1-Wire thermometer found, each as {}_<id>\n", all.name, all.name);
  for (const SensorConfig& sensor : config.sensors) {
    auto topics = bridge::sensor_topics(config.mqtt.base_topic, sensor);
    std::string what = sensor.channel.kind == sensors::Channel::Kind::kW1
                           ? "1-Wire " + sensor.channel.device
                           : "IIO " + sensor.channel.device + " " + sensor.channel.channel;
    out += fmt::format("  {}: {}, every {} (timeout {}); {} decimals{}{}\n", sensor.name, what,
                       seconds_text(sensor.interval), seconds_text(sensor.timeout), sensor.precision,
                       sensor.unit.empty() ? "" : ", in " + sensor.unit,
                       sensor.device_class.empty() ? "" : ", " + sensor.device_class);
    if (found) out += "    on this machine: " + found(sensor.channel) + "\n";
    out += fmt::format("    value = ABI value * {} * {} + {}; publishes {} (retained) on a change of {}{}, and {}\n",
                       bridge::format_number(sensor.factor), bridge::format_number(sensor.multiply),
                       bridge::format_number(sensor.offset), topics.state,
                       sensor.delta > 0 ? bridge::format_number(sensor.delta) : "its rounded value",
                       sensor.max_interval.count() > 0 ? ", at least every " + seconds_text(sensor.max_interval) : "",
                       topics.availability + " (online/offline)");
    for (std::size_t i = 0; i < sensor.thresholds.size(); ++i) {
      const ThresholdConfig& t = sensor.thresholds[i];
      out += fmt::format("    threshold {}: ON {} {}, OFF again {} {}; publishes {}\n", t.name,
                         t.above ? "above" : "below", bridge::format_number(t.level), t.above ? "below" : "above",
                         bridge::format_number(t.above ? t.level - t.hysteresis : t.level + t.hysteresis),
                         topics.thresholds[i]);
    }
  }
  return out;
}

}  // namespace

std::string describe_pwm(const Config& config, const std::string& state_directory);

std::string describe(const Config& config, const SensorFinder& found) {
  const MqttConfig& m = config.mqtt;
  std::string out = fmt::format("{}: valid\n", config.file);
  out += fmt::format("mqtt: {} as {}, MQTT {}, keepalive {} s, QoS {}, queue {} while disconnected\n",
                     fmt::join(m.servers, ", "), m.client_id,
                     m.version == 5   ? "5"
                     : m.version == 4 ? "3.1.1"
                                      : "auto (5, or 3.1.1 if refused)",
                     m.keepalive.count(), m.qos, m.buffer);
  if (m.servers.size() > 1)
    out += fmt::format("servers: tried {}, the next one when a connect fails or the connection is lost\n",
                       m.server_order == ServerOrder::kShuffled ? "in an order shuffled once per start" : "as listed");
  if (m.start_delay.count() || !m.reconnect_jitter || m.republish.count())
    out += fmt::format("fleet: first connect after up to {} ms, reconnect jitter {}, republish {}\n",
                       m.start_delay.count(), m.reconnect_jitter ? "on" : "off",
                       m.republish.count() ? "every " + std::to_string(m.republish.count()) + " s" : "off");
  if (!m.persistence.empty())
    out += fmt::format("persistence: the queue survives restarts in {}/outbox\n", m.persistence);
  out += fmt::format("status: {} (online {}, will {})\n", m.status.topic, m.status.online, m.status.offline);
  // Never the password itself: this output ends up in bug reports.
  if (!m.username.empty())
    out += fmt::format("login: user {}, password {}\n", m.username,
                       m.password_source.empty()       ? "none"
                       : m.password_source == "inline" ? "inline (hidden)"
                                                       : "from " + m.password_source);
  if (m.tls.enabled)
    out +=
        fmt::format("tls: CA {}{}{}\n", m.tls.ca_file.empty() ? "the system store" : m.tls.ca_file,
                    m.tls.cert_file.empty() ? "" : ", client certificate " + m.tls.cert_file,
                    m.tls.insecure ? ", VERIFICATION OFF (insecure)" : ", broker certificate and host name verified");
  if (!config.state_directory.empty())
    out += fmt::format("state directory: {} (from {})\n", config.state_directory, config.state_directory_source);
  else if (config.has_counters())
    out +=
        "state directory: $STATE_DIRECTORY, which systemd sets (StateDirectory=); without it the daemon refuses "
        "to start: set state_directory:\n";
  const std::string state_directory = config.state_directory.empty() ? "$STATE_DIRECTORY" : config.state_directory;
  out += "lines:\n";
  for (const LineConfig& line : config.lines) {
    auto topics = bridge::make_topics(m.base_topic, line.name);
    std::string where = fmt::format("{} on {}", line.line_spec(), chip_text(config, line));
    if (line.mode == Mode::kCounter) {
      const CounterConfig& c = line.counter;
      out +=
          fmt::format("  {}: counter, {}; counts {} edges held {} us, {} pulses per {}, bias {}{}\n", line.name, where,
                      edge_name(line.edge), line.debounce.count() / 1000, bridge::format_number(c.pulses_per_unit),
                      c.unit, bias_name(line.bias), line.active_low ? ", active-low" : "");
      out += fmt::format(
          "    publishes {}, {} ({}) and {} ({}/h, 0 after {} s without pulses), retained, at most every {} ms\n",
          topics.count, topics.total, c.unit, topics.rate, c.unit,
          std::chrono::duration_cast<std::chrono::seconds>(c.rate_timeout).count(),
          std::chrono::duration_cast<std::chrono::milliseconds>(c.publish_interval).count());
      out += fmt::format("    takes {} (a total in {}, or reset); kept in {} every {} s and at every stop\n",
                         topics.set, c.unit, bridge::counter_state_file(state_directory, line.name),
                         std::chrono::duration_cast<std::chrono::seconds>(c.persist_every).count());
    } else if (line.mode == Mode::kButton) {
      out +=
          fmt::format("  {}: button, {}; bias {}{}, debounce {} us\n", line.name, where, bias_name(line.bias),
                      line.active_low ? ", active-low (pressed pulls the line low)" : "", line.debounce.count() / 1000);
      out += fmt::format("    publishes {} (not retained): {}; window {} ms, long press {} ms\n", topics.action,
                         gesture_list(line.button), millis(line.button.window), millis(line.button.long_press));
      out += fmt::format("    publishes {} (retained) and {} (edge {}); answers {}\n", topics.state, topics.event,
                         edge_name(line.edge), topics.get);
    } else if (line.direction == gpio::Direction::kInput) {
      out +=
          fmt::format("  {}: input, {}; edge {}, bias {}{}, debounce {} us\n", line.name, where, edge_name(line.edge),
                      bias_name(line.bias), line.active_low ? ", active-low" : "", line.debounce.count() / 1000);
      out += fmt::format("    publishes {} (retained) and {}; answers {}\n", topics.state, topics.event, topics.get);
    } else {
      const char* lost = line.on_disconnect == OnDisconnect::kKeep ? "keep"
                         : line.on_disconnect == OnDisconnect::kOn ? "ON"
                                                                   : "OFF";
      out +=
          fmt::format("  {}: output, {}; initial {}, on_disconnect {}, drive {}{}\n", line.name, where,
                      line.initial ? "ON" : "OFF", lost, drive_name(line.drive), line.active_low ? ", active-low" : "");
      if (!line.cover.empty())
        out += fmt::format("    driven by cover {} (takes no set); answers {}, publishes {} (retained)\n", line.cover,
                           topics.get, topics.state);
      else
        out += fmt::format("    takes {}, answers {}, publishes {} (retained)\n", topics.set, topics.get, topics.state);
      if (line.momentary)
        out += fmt::format("    momentary: every ON is a pulse of {} ms\n",
                           std::chrono::duration_cast<std::chrono::milliseconds>(*line.momentary).count());
    }
  }
  out += describe_pwm(config, state_directory);
  for (const InterlockConfig& group : config.interlocks) {
    std::string names;
    for (const auto& name : group.lines) names += (names.empty() ? "" : ", ") + name;
    out += fmt::format("interlock{}: at most one of {} on, {} ms dead time between them\n",
                       group.cover.empty() ? "" : " (cover " + group.cover + "'s motor)", names,
                       std::chrono::duration_cast<std::chrono::milliseconds>(group.dead_time).count());
  }
  for (const CoverConfig& cover : config.covers) {
    auto ms = [](std::chrono::nanoseconds t) {
      return std::chrono::duration_cast<std::chrono::milliseconds>(t).count();
    };
    std::string stops = cover.opened.empty() && cover.closed.empty() ? "no end stops" : "end stops";
    if (!cover.opened.empty()) stops += " opened " + cover.opened;
    if (!cover.closed.empty()) stops += " closed " + cover.closed;
    out += fmt::format(
        "cover {} ({}): {}; open {} ms, close {} ms, margin {} ms; {}; {}/{}/set\n", cover.name, cover.device_class,
        cover.one_button ? "one button " + cover.button : "motor open " + cover.open + ", close " + cover.close,
        ms(cover.open_time), ms(cover.close_time), ms(cover.margin), stops, config.mqtt.base_topic, cover.name);
  }
  for (const BindingConfig& binding : config.bindings)
    out += fmt::format("binding {}: {}; switched at {}/binding/{}/set\n", binding.name, bridge::describe(binding),
                       config.mqtt.base_topic, binding.name);
  out += describe_sensors(config, found);
  const auto& ha = config.homeassistant;
  if (!ha.discovery && config.follows_homeassistant())
    out += fmt::format("homeassistant: following {} for the bindings (unknown until it says: taken as online)\n",
                       ha.status_topic);
  if (ha.discovery)
    out += fmt::format(
        "homeassistant: discovery on; announced at every connect and at most {} s after {} says online:\n  {} "
        "(retained)\n  {}\n",
        ha.announce_delay.count(), ha.status_topic, bridge::device_topic(ha), bridge::device_payload(config));
  else out += "homeassistant: discovery off\n";
  return out;
}

std::string describe_pwm(const Config& config, const std::string& state_directory) {
  if (config.pwm.empty()) return "";
  auto level_text = [](const PwmLevel& level) -> std::string {
    switch (level.kind) {
      case PwmLevel::Kind::kOff:
        return "off";
      case PwmLevel::Kind::kOn:
        return "on (the last level)";
      case PwmLevel::Kind::kLevel:
        return fmt::format("{} %", bridge::percent_from_level(level.level));
      case PwmLevel::Kind::kRestore:
        return "restore";
      case PwmLevel::Kind::kKeep:
        break;
    }
    return "keep";
  };
  std::string out = "pwm:\n";
  for (const PwmOutputConfig& output : config.pwm) {
    auto topics = bridge::make_topics(config.mqtt.base_topic, output.name);
    bool hardware = output.kind == PwmOutputConfig::Kind::kHardware;
    out += fmt::format(
        "  {}: {}, {}; period {} us{}\n", output.name, hardware ? "hardware PWM" : "software PWM", output.describe(),
        output.period.count() / 1000,
        hardware ? (output.inversed ? ", polarity inversed" : "") : (output.active_low ? ", active-low" : ""));
    out += fmt::format(
        "    duty {}-{} %, gamma {}, transition {} ms; initial {}, on_disconnect {}; {} in Home Assistant\n",
        bridge::format_number(output.min_duty * 100), bridge::format_number(output.max_duty * 100),
        bridge::format_number(output.gamma),
        std::chrono::duration_cast<std::chrono::milliseconds>(output.transition).count(), level_text(output.initial),
        level_text(output.on_disconnect),
        output.hidden                                          ? "not shown"
        : output.component == PwmOutputConfig::Component::kFan ? "a fan"
                                                               : "a light");
    out +=
        fmt::format("    takes {}, answers {}, publishes {} (retained JSON){}\n", topics.set, topics.get, topics.state,
                    config.state_directory.empty() && state_directory == "$STATE_DIRECTORY"
                        ? "; level kept in $STATE_DIRECTORY when systemd sets it"
                        : "; level kept in " + state_directory + "/pwm-" + output.name + ".state");
  }
  return out;
}

}  // namespace gpio2mqtt::config

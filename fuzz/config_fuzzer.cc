// libFuzzer target for the config loader: config::parse_config must either return a config
// that keeps the loader's promises or throw config::ConfigError at a real file:line:col. Any
// other exception, a crash, a leak or undefined behaviour is a bug.
#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <string>
#include <string_view>
#include <typeinfo>

#include "gpio2mqtt/config/loader.h"
#include "util/text.h"

namespace {

using namespace gpio2mqtt;
using namespace gpio2mqtt::config;

const std::string kFile = "fuzz.yaml";

[[noreturn]] void fail(const std::string& what, const std::string& text) {
  std::fprintf(stderr, "config_fuzzer: %s\n--- input (%zu bytes) ---\n%s\n---\n", what.c_str(), text.size(),
               printable(text, 4096).c_str());
  std::abort();
}

void check_error(const ConfigError& e, const std::string& text) {
  const Location& at = e.where();
  if (at.file != kFile) fail("a ConfigError names the file '" + at.file + "'", text);
  if (at.line < 1 || at.column < 1) fail("a ConfigError without a line and column: " + std::string(e.what()), text);
  std::string prefix = at.str() + ": ";
  std::string what = e.what();
  if (what.rfind(prefix, 0) != 0 || what.size() == prefix.size())
    fail("a ConfigError whose message is not 'file:line:col: reason': " + what, text);
}

// What brokers accept in a topic or a client id: well-formed UTF-8 without control characters
// (MQTT 5 section 1.5.4; mosquitto drops the connection on anything else). Written apart from
// the daemon's own check on purpose.
bool mqtt_string(std::string_view s) {
  for (std::size_t i = 0; i < s.size();) {
    auto byte = [&](std::size_t k) { return static_cast<unsigned char>(s[i + k]); };
    unsigned char b = byte(0);
    std::size_t n = b < 0x80 ? 1 : (b & 0xe0) == 0xc0 ? 2 : (b & 0xf0) == 0xe0 ? 3 : (b & 0xf8) == 0xf0 ? 4 : 0;
    if (n == 0 || i + n > s.size()) return false;
    char32_t cp = n == 1 ? b : n == 2 ? b & 0x1f : n == 3 ? b & 0x0f : b & 0x07;
    for (std::size_t k = 1; k < n; ++k) {
      if ((byte(k) & 0xc0) != 0x80) return false;
      cp = (cp << 6) | (byte(k) & 0x3f);
    }
    static constexpr char32_t kMin[] = {0, 0, 0x80, 0x800, 0x10000};
    if (cp < kMin[n] || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) return false;
    if (cp <= 0x1f || (cp >= 0x7f && cp <= 0x9f)) return false;
    i += n;
  }
  return true;
}

void check_location(const Location& at, const std::string& text) {
  if (at.file != kFile || at.line < 1 || at.column < 1) fail("a loaded value without a file:line:col", text);
}

// What the rest of the daemon relies on once a config has loaded.
void check_config(const Config& c, const std::string& text) {
  const MqttConfig& m = c.mqtt;
  if (m.server.find("://") == std::string::npos) fail("mqtt.server without a scheme: " + m.server, text);
  if (m.client_id.empty() || m.client_id.size() > 256) fail("mqtt.client_id of a bad length", text);
  if (m.keepalive.count() < 1 || m.keepalive.count() > 65535) fail("mqtt.keepalive out of range", text);
  if (m.version != 4 && m.version != 5 && m.version != config::kAutoVersion)
    fail("mqtt.version neither 3.1.1, 5 nor auto", text);
  if (m.qos < 0 || m.qos > 2) fail("mqtt.qos out of range", text);
  if (m.buffer < 1) fail("mqtt.buffer of 0", text);
  if (!is_valid_publish_topic(m.base_topic) || !is_valid_publish_topic(m.status.topic))
    fail("an unusable topic was accepted: '" + printable(m.base_topic) + "' / '" + printable(m.status.topic) + "'",
         text);
  if (!mqtt_string(m.base_topic) || !mqtt_string(m.status.topic))
    fail("a topic that is not well-formed UTF-8 without control characters was accepted: '" + printable(m.base_topic) +
             "' / '" + printable(m.status.topic) + "'",
         text);
  const HomeAssistantConfig& ha = c.homeassistant;
  if (!is_valid_publish_topic(ha.prefix) || !is_valid_publish_topic(ha.status_topic))
    fail("an unusable Home Assistant topic was accepted: '" + printable(ha.prefix) + "' / '" +
             printable(ha.status_topic) + "'",
         text);
  if (ha.device_id.find_first_not_of("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-") !=
      std::string::npos)
    fail("a Home Assistant device_id with characters discovery topics refuse: '" + printable(ha.device_id) + "'", text);
  for (const ChipConfig& chip : c.chips) {
    check_location(chip.where, text);
    if (chip.kind == ChipConfig::Kind::kSimulated && chip.simulated.lines.empty())
      fail("a simulated chip without lines", text);
  }
  for (const LineConfig& line : c.lines) {
    check_location(line.where, text);
    check_location(line.line_where, text);
    if (!is_safe_topic_level(line.name))
      fail("line name '" + printable(line.name) + "' is not a safe topic level", text);
    if (line.line.empty() == !line.offset)
      fail("line '" + line.name + "' has both or neither of a name and an offset", text);
    if (line.chip.empty()) continue;  // several hardware chips: searched at start-up
    const ChipConfig* chip = c.find_chip(line.chip);
    if (!chip) fail("line '" + line.name + "' names a chip that is not configured", text);
    if (chip->kind != ChipConfig::Kind::kSimulated) continue;
    const auto& names = chip->simulated.lines;
    bool found =
        line.offset ? *line.offset < names.size() : std::find(names.begin(), names.end(), line.line) != names.end();
    if (!found) fail("line '" + line.name + "' is not on its simulated chip", text);
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string text(reinterpret_cast<const char*>(data), size);
  try {
    check_config(parse_config(text, kFile, "pi"), text);
  } catch (const ConfigError& e) {
    check_error(e, text);
  } catch (const std::exception& e) {
    fail(std::string("an exception other than ConfigError: ") + typeid(e).name() + ": " + e.what(), text);
  } catch (...) {
    fail("a thrown non-exception", text);
  }
  return 0;
}

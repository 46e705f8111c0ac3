#include "gpio2mqtt/bridge/announcer.h"

#include <algorithm>

#include "util/json.h"

namespace gpio2mqtt::bridge {

Announcer::Announcer() : random_(std::random_device{}()) {}

std::vector<Message> Announcer::sync(const config::Config& config) const {
  const auto& ha = config.homeassistant;
  std::vector<Message> out;
  std::string topic = ha.discovery ? device_topic(ha) : "";
  // Discovery payloads are retained at QoS 1, so that Home Assistant finds them whenever it starts.
  if (!topic_.empty() && topic_ != topic) out.push_back({topic_, "", 1, true});  // removes the whole device
  if (topic.empty()) return out;
  std::vector<ComponentId> removed;
  if (topic_ == topic) {
    auto now = announced_components(config);
    for (const auto& old : components_)
      if (std::find(now.begin(), now.end(), old) == now.end()) removed.push_back(old);
  }
  if (!removed.empty()) out.push_back({topic, device_payload(config, removed), 1, true});
  out.push_back({topic, device_payload(config), 1, true});
  return out;
}

void Announcer::confirm(const config::Config& config) {
  topic_ = config.homeassistant.discovery ? device_topic(config.homeassistant) : "";
  components_ = topic_.empty() ? std::vector<ComponentId>{} : announced_components(config);
}

bool Announcer::learn(std::string_view retained_payload, const config::Config& config) {
  if (!config.homeassistant.discovery) return false;
  auto json = parse_json(retained_payload);
  if (!json) return false;
  std::string topic = device_topic(config.homeassistant);
  if (topic_ != topic) components_.clear();
  topic_ = topic;
  auto now = announced_components(config);
  bool stale = false;
  for (const auto& [id, component] : (*json)["cmps"].object) {
    if (component.object.size() < 2 || !component["p"].is_string()) continue;  // already a removal
    ComponentId old{id, component["p"].string};
    if (std::find(components_.begin(), components_.end(), old) == components_.end()) components_.push_back(old);
    stale = stale || std::find(now.begin(), now.end(), old) == now.end();
  }
  return stale;
}

void Announcer::on_status(std::string_view payload, const config::HomeAssistantConfig& ha, MonoTime now) {
  if (!ha.discovery || payload != "online") return;
  // A random moment within the bound, so that a fleet of bridges does not answer at once.
  auto bound = std::chrono::duration_cast<Nanos>(ha.announce_delay).count();
  auto delay = Nanos(bound > 0 ? std::uniform_int_distribution<Nanos::rep>(0, bound)(random_) : 0);
  MonoTime at = now + delay;
  if (last_due_) at = std::max(at, *last_due_ + std::max<Nanos>(ha.announce_delay, std::chrono::seconds(1)));
  if (!due_ || at < *due_) due_ = at;
}

bool Announcer::take_due(MonoTime now) {
  if (!due_ || *due_ > now) return false;
  due_.reset();
  last_due_ = now;
  return true;
}

}  // namespace gpio2mqtt::bridge

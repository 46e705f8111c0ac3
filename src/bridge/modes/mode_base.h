// What every line mode has: its line's index and settings, its topics, the bridge it reports to.
#pragma once

#include <string>

#include "gpio2mqtt/bridge/bridge.h"
#include "gpio2mqtt/bridge/line_mode.h"

namespace gpio2mqtt::bridge {

class ModeBase : public LineMode {
 public:
  ModeBase(std::size_t line, const config::LineConfig& settings, ModeHost& host)
      : line_(line),
        settings_(&settings),
        topics_(make_topics(host.config().mqtt.base_topic, settings.name)),
        host_(host) {}

  std::size_t line() const override { return line_; }
  const config::LineConfig& settings() const override { return *settings_; }
  void rebind(std::size_t line, const config::LineConfig& settings, const std::string& base_topic) override {
    line_ = line;
    settings_ = &settings;
    topics_ = make_topics(base_topic, settings.name);
  }

 protected:
  const LineTopics& topics() const { return topics_; }
  ModeHost& host() const { return host_; }
  int qos() const { return host_.config().mqtt.qos; }
  // States are retained and not queued: every state is published again on connect.
  void publish_level(bool level) const { host_.send({topics_.state, state_word(level), qos(), true}, false); }

 private:
  std::size_t line_;
  const config::LineConfig* settings_;
  LineTopics topics_;
  ModeHost& host_;
};

}  // namespace gpio2mqtt::bridge

// A binding's run-time switch: <base>/binding/<name>/set takes ON or OFF (a vacation mode, a child
// lock), and <base>/binding/<name>/state says which, retained. It is kept by the bindings' store.
#pragma once

#include <string>

#include "gpio2mqtt/bridge/bindings.h"
#include "gpio2mqtt/bridge/line_mode.h"

namespace gpio2mqtt::bridge {

struct BindingTopics {
  std::string set, state;
};
BindingTopics binding_topics(const std::string& base_topic, const std::string& binding);

class BindingSwitch : public CommandTaker {
 public:
  BindingSwitch(std::string name, Bindings& bindings, ModeHost& host);

  const std::string& name() const { return name_; }
  const BindingTopics& topics() const { return topics_; }
  Refusal check_command(std::string_view payload) const override;
  void on_command(std::string_view payload, MonoTime now) override;
  // Switches it on or off as a command would; `via` says who asked, for the log ("over D-Bus").
  void set(bool enabled, MonoTime now, const char* via);
  void publish_state(MonoTime now) override;

 private:
  std::string name_;
  BindingTopics topics_;
  Bindings& bindings_;
  ModeHost& host_;
};

}  // namespace gpio2mqtt::bridge

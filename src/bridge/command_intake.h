// Where commands come in, for every mode alike: which mode a set or get topic belongs to, what
// is refused before a mode sees it (retained, oversized, malformed, over the rate), how refusals
// and floods are counted and reported, and what is noted once (a command for an input or an
// unknown line, a retained get).
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "gpio2mqtt/bridge/command.h"
#include "gpio2mqtt/bridge/line_mode.h"
#include "gpio2mqtt/bridge/rate_limit.h"
#include "gpio2mqtt/counters.h"

namespace gpio2mqtt::bridge {

class CommandIntake {
 public:
  explicit CommandIntake(Counters& counters) : counters_(counters) {}

  // Something else that takes commands on a set topic: a binding's switch, a device.
  struct Extra {
    std::string name;       // for its rate limits and the log: "binding/<name>", a device's name
    std::string set_topic;  // empty: it takes no commands (a set there is noted)
    CommandTaker* taker;
    std::string get_topic{};  // empty: it answers no get
  };
  // The modes and others whose topics it routes from now on (at start, after every reload); a
  // line (or other) that keeps its name keeps its rate limits.
  void route(const std::vector<std::unique_ptr<LineMode>>& modes, const std::string& base_topic,
             const std::vector<Extra>& extras = {});
  // True when `topic` is a set or get topic under the base topic (handled, refused or noted).
  void on_message(std::string_view topic, std::string_view payload, bool retained, MonoTime now);
  // Reports floods every kFloodReportPeriod.
  void on_time(MonoTime now);
  std::optional<MonoTime> deadline() const;

 private:
  enum class TopicKind { kSet, kGet };
  struct Limits {
    RateLimit sets{kCommandRate, kCommandBurst};
    RateLimit gets{kCommandRate, kCommandBurst};
    RateLimit warnings{kCommandRate, kCommandBurst};  // about refused commands
    std::uint64_t flood_dropped = 0;                  // since the last report (the first drop is reported at once)
    std::optional<MonoTime> flood_reported{};
  };
  // Each topic is spoken about once: a retained get or a command for an input comes back at every
  // reconnect, and a stranger's topics are not worth more than one line each.
  static constexpr std::size_t kMaxNoted = 256;

  void reject(Limits& limits, std::string_view topic, std::string_view payload, const std::string& why, MonoTime now);
  void note_once(std::string_view topic, const std::string& why);
  std::string why_not_a_command(std::string_view topic) const;
  // False (and counted, and logged once per kFloodReportPeriod) when the line is flooded.
  bool within_rate(const std::string& line, Limits& limits, RateLimit& limit, MonoTime now);
  void report_flood(const std::string& line, Limits& limits, MonoTime now);

  Counters& counters_;
  std::string base_topic_;
  struct Route {
    CommandTaker* taker;
    TopicKind kind;
    std::string name;  // the line's, or an Extra's
  };
  std::unordered_map<std::string, Route> topics_;
  std::unordered_map<std::string, Limits> limits_;          // by line name
  std::unordered_set<std::string> noted_;                   // topics note_once() spoke about, at most kMaxNoted
  std::unordered_map<std::string, std::string> driven_by_;  // a cover's outputs: line name -> cover
};

}  // namespace gpio2mqtt::bridge

// The bench's MQTT side: a subscriber that stamps every event the moment paho hands it over,
// and the bare paho client processes that measure the limit (child modes of the bench binary).
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

namespace mqtt {
class async_client;
}

namespace gpio2mqtt::bench {

// CLOCK_MONOTONIC in nanoseconds: the clock of the daemon's event timestamps.
std::uint64_t now_ns();
void sleep_until_ns(std::uint64_t deadline);

// The base topic of the daemon under test, and the bare clients' topic of the same length.
inline constexpr const char* kButtonEvents = "bench/button/event";
// Its retained "ON"/"OFF", published just before each event (the first of an edge's two messages).
inline constexpr const char* kButtonStates = "bench/button/state";
inline constexpr const char* kFeedbackPrefix = "bench/fb";  // bench/fbN/event: relay N's input
inline constexpr const char* kLimitEvents = "bench/limits/event";
inline constexpr const char* kStatus = "bench/status";
inline constexpr const char* kLinePrefix = "bench/l";  // bench/lN/event: line N of the scale scenario
// A counter's readings: bench/meter/count, .../total, .../rate.
inline constexpr const char* kMeterTopics[] = {"bench/meter/count", "bench/meter/total", "bench/meter/rate"};
inline constexpr const char* kFloorEvents = "bench/floor/event";  // the C bridge's "ON"/"OFF" (floors.h)
// gpio2mqtt's line `lean` (edge: none): its retained "ON"/"OFF", beside the C bridge's (floors.h).
inline constexpr const char* kLeanStates = "bench/lean/state";
inline std::string relay_set_topic(int relay) { return "bench/relay" + std::to_string(relay) + "/set"; }

struct Sample {
  int line = 0;                // feedback events: which relay's input; lines: N of lN; meter: which of kMeterTopics
  std::uint64_t seq = 0;       // a meter's count: the count; floor events, states: 1 for "ON", 0 for "OFF"
  std::uint64_t stamp = 0;     // timestamp_ns of the payload
  std::uint64_t received = 0;  // now_ns() on arrival
  bool rising = false;
};

// seq and timestamp_ns of an event payload ({"edge":...,"timestamp_ns":N,"seq":N}).
bool parse_event(std::string_view payload, std::uint64_t& seq, std::uint64_t& stamp);

enum class Stream { kLimit, kButton, kFeedback, kLines, kMeter, kFloor, kButtonState };
inline constexpr int kStreams = 7;
class Probe {
 public:
  explicit Probe(const std::string& url);
  ~Probe();
  Probe(const Probe&) = delete;
  Probe& operator=(const Probe&) = delete;

  // (Re)subscribes to the events, the meter's readings and the status at `qos`, and waits for the
  // grant.
  void subscribe(int qos);
  // Subscribes to (or leaves) the default line's states, at QoS 0, into Stream::kButtonState.
  void watch_states(bool on);
  // Publishes a command (on a connection of its own), not retained.
  void publish(const std::string& topic, const std::string& payload, int qos);

  std::size_t count(Stream stream) const;
  // Waits until `count(stream) >= n`; gives up after `quiet` without any new message on it, or
  // after `limit`. True when n arrived.
  bool wait_for(Stream stream, std::size_t n, std::chrono::milliseconds quiet, std::chrono::milliseconds limit) const;
  // Waits until `done` holds for the samples of `stream` so far, or `limit` passes. True when it held.
  bool wait_until(Stream stream, const std::function<bool(const std::vector<Sample>&)>& done,
                  std::chrono::milliseconds limit) const;
  std::vector<Sample> take(Stream stream);

  // The status topic: set_offline() before starting a daemon, then wait for its On.
  void set_offline();
  bool wait_online(std::chrono::milliseconds limit) const;

 private:
  void on_message(std::string_view topic, std::string_view payload);

  std::unique_ptr<::mqtt::async_client> client_;
  // Commands go out on a connection of their own, as from a phone: on the subscriber's, the
  // broker's PUBACK for a command would hold back the next delivery (Nagle; mosquitto's default).
  std::unique_ptr<::mqtt::async_client> commander_;
  // The states come on one of their own too: on the subscriber's, an event written right after
  // its state waited for the subscriber's delayed ACK of the state (+40 ms at QoS 1, measured).
  std::unique_ptr<::mqtt::async_client> states_;
  bool watching_states_ = false;
  mutable std::mutex mutex_;
  mutable std::condition_variable arrived_;
  std::vector<Sample> samples_[kStreams];
  bool online_ = false;
};

// Child modes (the bench runs itself with these arguments):
// publishes `count` event-sized messages on kLimitEvents at `rate_hz`, stamped the moment before
// each publish(); prints "cpu_ns=N published=N" (its own utime+stime) and exits.
int child_publish(const std::string& url, int qos, std::size_t count, double rate_hz);
// Stays connected and idle (keepalive as the daemon's) for `seconds`, then exits.
int child_idle(const std::string& url, int seconds, int keepalive_s);

}  // namespace gpio2mqtt::bench

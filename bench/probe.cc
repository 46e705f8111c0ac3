#include "probe.h"

#include <mqtt/async_client.h>
#include <sys/resource.h>
#include <time.h>

#include <algorithm>
#include <charconv>
#include <cstdio>
#include <cstdlib>
#include <thread>

#include "gpio2mqtt/bridge/command.h"
#include "util/tcp.h"

namespace gpio2mqtt::bench {

std::uint64_t now_ns() {
  timespec ts{};
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<std::uint64_t>(ts.tv_sec) * 1'000'000'000u + static_cast<std::uint64_t>(ts.tv_nsec);
}

void sleep_until_ns(std::uint64_t deadline) {
  timespec ts{static_cast<time_t>(deadline / 1'000'000'000u), static_cast<long>(deadline % 1'000'000'000u)};
  while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, nullptr) == EINTR) {
  }
}

namespace {

bool number_after(std::string_view text, std::string_view key, std::uint64_t& out) {
  auto at = text.find(key);
  if (at == std::string_view::npos) return false;
  const char* begin = text.data() + at + key.size();
  return std::from_chars(begin, text.data() + text.size(), out).ec == std::errc();
}

// A paho client as the bench uses it: MQTT 5 like the daemon, no Nagle delay on its writes (so the
// limit is paho and the broker, not a 40 ms delayed-ACK stall), and a buffer large enough that a
// fast pace is measured rather than refused (paho's default: 100 messages, error -12).
std::unique_ptr<::mqtt::async_client> make_client(const std::string& url, const std::string& id) {
  return std::make_unique<::mqtt::async_client>(url, id, ::mqtt::create_options(MQTTVERSION_5, 1'000'000), nullptr);
}

void connect(::mqtt::async_client& client, const std::string& url, int keepalive_s = 60) {
  auto options = ::mqtt::connect_options_builder()
                     .mqtt_version(MQTTVERSION_5)
                     .clean_start(true)
                     .keep_alive_interval(std::chrono::seconds(keepalive_s))
                     .finalize();
  client.connect(options)->wait_for(std::chrono::seconds(10));
  if (!client.is_connected())
    throw std::runtime_error("bench client " + client.get_client_id() + " could not connect to " + url);
  set_tcp_nodelay_everywhere();
}

std::unique_ptr<::mqtt::async_client> connected_client(const std::string& url, const std::string& id,
                                                       int keepalive_s = 60) {
  auto client = make_client(url, id);
  connect(*client, url, keepalive_s);
  return client;
}

}  // namespace

bool parse_event(std::string_view payload, std::uint64_t& seq, std::uint64_t& stamp) {
  return number_after(payload, "\"timestamp_ns\":", stamp) && number_after(payload, "\"seq\":", seq);
}

Probe::Probe(const std::string& url) {
  for (auto& samples : samples_) samples.reserve(1 << 20);
  auto received = [this](::mqtt::const_message_ptr message) {
    const auto& payload = message->get_payload();
    on_message(message->get_topic(), std::string_view(payload.data(), payload.size()));
  };
  client_ = make_client(url, "gpio2mqtt-bench-probe");
  client_->set_message_callback(received);
  connect(*client_, url);
  states_ = make_client(url, "gpio2mqtt-bench-states");
  states_->set_message_callback(received);
  connect(*states_, url);
  commander_ = connected_client(url, "gpio2mqtt-bench-commander");
}

Probe::~Probe() {
  for (auto* client : {commander_.get(), states_.get(), client_.get()}) {
    try {
      client->disconnect()->wait_for(std::chrono::seconds(2));
    } catch (const std::exception&) {
    }
  }
}

void Probe::on_message(std::string_view topic, std::string_view payload) {
  std::uint64_t received = now_ns();  // first: everything after this is the bench's own cost
  std::lock_guard lock(mutex_);
  Sample sample;
  sample.received = received;
  auto meter = std::find(std::begin(kMeterTopics), std::end(kMeterTopics), topic);
  if (topic == kStatus) {
    online_ = payload.find("On") != std::string_view::npos;
  } else if (meter != std::end(kMeterTopics)) {
    sample.line = static_cast<int>(meter - std::begin(kMeterTopics));
    std::from_chars(payload.data(), payload.data() + payload.size(), sample.seq);  // the count; 0 for the others
    samples_[static_cast<int>(Stream::kMeter)].push_back(sample);
  } else if (topic == kFloorEvents || topic == kLeanStates || topic == kButtonStates) {
    auto stream = topic == kButtonStates ? Stream::kButtonState : Stream::kFloor;
    samples_[static_cast<int>(stream)].push_back({0, payload == "ON" ? 1u : 0u, 0, received});
  } else {
    if (!parse_event(payload, sample.seq, sample.stamp)) return;
    sample.rising = payload.find("\"rising\"") != std::string_view::npos;
    if (topic == kButtonEvents) samples_[static_cast<int>(Stream::kButton)].push_back(sample);
    else if (topic.rfind(kFeedbackPrefix, 0) == 0) {
      sample.line = std::atoi(std::string(topic.substr(std::string_view(kFeedbackPrefix).size())).c_str());
      samples_[static_cast<int>(Stream::kFeedback)].push_back(sample);
    } else if (topic == kLimitEvents) samples_[static_cast<int>(Stream::kLimit)].push_back(sample);
    else if (topic.rfind(kLinePrefix, 0) == 0) {
      sample.line = std::atoi(std::string(topic.substr(std::string_view(kLinePrefix).size())).c_str());
      samples_[static_cast<int>(Stream::kLines)].push_back(sample);
    } else return;
  }
  arrived_.notify_all();
}

void Probe::subscribe(int qos) {
  for (const char* topic : {"bench/+/event", kStatus, kMeterTopics[0], kMeterTopics[1], kMeterTopics[2], kLeanStates})
    client_->subscribe(topic, qos)->wait_for(std::chrono::seconds(10));
}

void Probe::watch_states(bool on) {
  if (on == watching_states_) return;
  // Without the retained state's replay: it would come after the stream was emptied, as a stale first.
  auto live_only = ::mqtt::subscribe_options(false, false, ::mqtt::subscribe_options::DONT_SEND_RETAINED);
  if (on) states_->subscribe(kButtonStates, 0, live_only)->wait_for(std::chrono::seconds(10));
  else states_->unsubscribe(kButtonStates)->wait_for(std::chrono::seconds(10));
  watching_states_ = on;
}

void Probe::publish(const std::string& topic, const std::string& payload, int qos) {
  commander_->publish(topic, payload.data(), payload.size(), qos, false);
}

std::size_t Probe::count(Stream stream) const {
  std::lock_guard lock(mutex_);
  return samples_[static_cast<int>(stream)].size();
}

bool Probe::wait_for(Stream stream, std::size_t n, std::chrono::milliseconds quiet,
                     std::chrono::milliseconds limit) const {
  auto give_up = std::chrono::steady_clock::now() + limit;
  std::unique_lock lock(mutex_);
  const auto& samples = samples_[static_cast<int>(stream)];
  while (samples.size() < n) {
    std::size_t before = samples.size();
    auto until = std::min(give_up, std::chrono::steady_clock::now() + quiet);
    arrived_.wait_until(lock, until, [&] { return samples.size() >= n || samples.size() != before; });
    if (samples.size() == before && std::chrono::steady_clock::now() >= until) break;
  }
  return samples.size() >= n;
}

bool Probe::wait_until(Stream stream, const std::function<bool(const std::vector<Sample>&)>& done,
                       std::chrono::milliseconds limit) const {
  std::unique_lock lock(mutex_);
  const auto& samples = samples_[static_cast<int>(stream)];
  return arrived_.wait_for(lock, limit, [&] { return done(samples); });
}

std::vector<Sample> Probe::take(Stream stream) {
  std::lock_guard lock(mutex_);
  std::vector<Sample> out;
  out.reserve(1 << 20);
  std::swap(out, samples_[static_cast<int>(stream)]);
  return out;
}

void Probe::set_offline() {
  std::lock_guard lock(mutex_);
  online_ = false;
}

bool Probe::wait_online(std::chrono::milliseconds limit) const {
  std::unique_lock lock(mutex_);
  return arrived_.wait_for(lock, limit, [&] { return online_; });
}

int child_publish(const std::string& url, int qos, std::size_t count, double rate_hz) {
  auto client = connected_client(url, "gpio2mqtt-bench-bare-publisher");
  const auto period = static_cast<std::uint64_t>(1e9 / rate_hz);
  std::uint64_t next = now_ns();
  ::mqtt::delivery_token_ptr last;
  for (std::size_t i = 1; i <= count; ++i) {
    sleep_until_ns(next);
    next += period;
    std::uint64_t stamp = now_ns();
    // The daemon's own payload, so size and shape match an event exactly.
    std::string payload = bridge::format_event({i % 2 == 1, stamp, i});
    last = client->publish(kLimitEvents, payload.data(), payload.size(), qos, false);
  }
  if (last) last->wait_for(std::chrono::seconds(10));
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  auto ns = [](const timeval& t) {
    return static_cast<std::uint64_t>(t.tv_sec) * 1'000'000'000u + static_cast<std::uint64_t>(t.tv_usec) * 1000u;
  };
  std::printf("cpu_ns=%llu published=%zu\n", static_cast<unsigned long long>(ns(usage.ru_utime) + ns(usage.ru_stime)),
              count);
  std::fflush(stdout);
  client->disconnect()->wait_for(std::chrono::seconds(2));
  return 0;
}

int child_idle(const std::string& url, int seconds, int keepalive_s) {
  auto client = connected_client(url, "gpio2mqtt-bench-bare-idle", keepalive_s);
  std::this_thread::sleep_for(std::chrono::seconds(seconds));
  client->disconnect()->wait_for(std::chrono::seconds(2));
  return 0;
}

}  // namespace gpio2mqtt::bench

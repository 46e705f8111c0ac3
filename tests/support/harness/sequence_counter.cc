#include "sequence_counter.h"

#include "payloads.h"

namespace gpio2mqtt::testing {

using namespace std::chrono_literals;

SequenceCounter::SequenceCounter(const std::string& url, std::string topic, int expected)
    : topic_(std::move(topic)),
      seen_(static_cast<std::size_t>(expected) + 1, 0),
      client_(url, "chaos-subscriber", ::mqtt::create_options(MQTTVERSION_3_1_1), nullptr) {
  client_.set_connected_handler([this](const std::string&) { on_connected(); });
  client_.set_connection_lost_handler([this](const std::string&) {
    std::lock_guard lock(mutex_);
    connected_ = false;
    changed_.notify_all();
  });
  client_.set_message_callback([this](::mqtt::const_message_ptr message) { on_message(message->get_payload_str()); });
  options_ = ::mqtt::connect_options_builder()
                 .mqtt_version(MQTTVERSION_3_1_1)
                 .clean_session(false)
                 .keep_alive_interval(10s)
                 .finalize();
  reconnector_ = std::thread([this] { keep_connected(); });
}

SequenceCounter::~SequenceCounter() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
    changed_.notify_all();
  }
  reconnector_.join();
  try {
    client_.disconnect()->wait_for(2s);
  } catch (const std::exception&) {
  }
}

void SequenceCounter::Subscribed::on_success(const ::mqtt::token&) {
  std::lock_guard lock(owner.mutex_);
  ++count;
  owner.changed_.notify_all();
}

void SequenceCounter::on_connected() {
  {
    std::lock_guard lock(mutex_);
    connected_ = true;
    ++connects_;
    changed_.notify_all();
  }
  try {
    client_.subscribe(topic_, 1, nullptr, subscribed_);  // not waited for: this is paho's thread
  } catch (const ::mqtt::exception&) {
    // lost again at once: the next connect subscribes
  }
}

void SequenceCounter::on_message(const std::string& payload) {
  auto seq = seq_of(payload);
  std::lock_guard lock(mutex_);
  ++received_;
  if (!seq || *seq < 1 || static_cast<std::size_t>(*seq) >= seen_.size()) {
    ++foreign_;
  } else if (seen_[static_cast<std::size_t>(*seq)]++ == 0) {
    ++unique_;
    while (caught_up_ + 1 < seen_.size() && seen_[caught_up_ + 1]) ++caught_up_;
  }
  changed_.notify_all();
}

// Connects, and again whenever the connection is lost, every 50 ms until it is back. (paho's
// automatic reconnect waits at least 1 s before the first attempt, and its connect takes up to
// another second: the broker's restarts would come faster than the subscriber.)
void SequenceCounter::keep_connected() {
  while (true) {
    {
      std::unique_lock lock(mutex_);
      changed_.wait(lock, [&] { return stopping_ || !connected_; });
      if (stopping_) return;
    }
    if (!client_.is_connected()) try {
        client_.connect(options_)->wait_for(2s);
      } catch (const ::mqtt::exception&) {
        // refused (the broker is not back yet) or already in progress: try again
      }
    std::unique_lock lock(mutex_);
    changed_.wait_for(lock, 50ms, [&] { return stopping_ || connected_; });
  }
}

bool SequenceCounter::wait_subscribed(int n, std::chrono::milliseconds timeout) {
  return wait(timeout, [&] { return subscribed_.count >= n; });
}

bool SequenceCounter::wait_caught_up(int n, std::chrono::milliseconds timeout) {
  return wait(timeout, [&] { return connected_ && caught_up_ >= static_cast<std::size_t>(n); });
}

std::string SequenceCounter::describe() const {
  auto c = counts();
  std::lock_guard lock(mutex_);
  return (connected_ ? "connected" : "not connected") + std::string(", every seq up to ") + std::to_string(caught_up_) +
         ", received " + std::to_string(c.received) + ", unique " + std::to_string(c.unique) +
         ", missing:" + c.missing_ranges;
}

SequenceCounter::Counts SequenceCounter::counts() const {
  std::lock_guard lock(mutex_);
  Counts c{received_, unique_, 0, 0, foreign_, connects_, {}};
  int ranges = 0;
  for (std::size_t seq = 1; seq < seen_.size(); ++seq) {
    if (seen_[seq] == 0) {
      ++c.missing;
      if ((seq == 1 || seen_[seq - 1] != 0) && ++ranges <= 20) c.missing_ranges += " " + std::to_string(seq) + "-";
      if ((seq + 1 == seen_.size() || seen_[seq + 1] != 0) && ranges <= 20) c.missing_ranges += std::to_string(seq);
    } else {
      c.duplicates += seen_[seq] - 1;
    }
  }
  return c;
}

}  // namespace gpio2mqtt::testing

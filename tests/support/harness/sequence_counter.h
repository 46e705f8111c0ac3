// A subscriber that survives broker restarts and counts events by their seq: which arrived, how
// often, and which never did.
#pragma once

#include <mqtt/async_client.h>

#include <chrono>
#include <condition_variable>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace gpio2mqtt::testing {

// A persistent session (MQTT 3.1.1, clean session off, a fixed client id), reconnecting by
// itself, and a QoS 1 subscription to `topic` made again on every connect. It expects the seqs
// 1..`expected`.
class SequenceCounter {
 public:
  SequenceCounter(const std::string& url, std::string topic, int expected);
  ~SequenceCounter();
  SequenceCounter(const SequenceCounter&) = delete;
  SequenceCounter& operator=(const SequenceCounter&) = delete;

  // Waits until the subscription was acknowledged `n` times in all.
  bool wait_subscribed(int n, std::chrono::milliseconds timeout);
  // Waits until it is connected and has every seq up to `n`.
  bool wait_caught_up(int n, std::chrono::milliseconds timeout);

  std::string describe() const;

  struct Counts {
    std::size_t received, unique, missing, duplicates, foreign, connects;
    std::string missing_ranges;  // "a-b c-d ..." (the first 20)
  };
  Counts counts() const;

 private:
  // Counts SUBACKs (on paho's thread); read under mutex_ by the waits.
  struct Subscribed : ::mqtt::iaction_listener {
    explicit Subscribed(SequenceCounter& counter) : owner(counter) {}
    void on_success(const ::mqtt::token&) override;
    void on_failure(const ::mqtt::token&) override {}
    SequenceCounter& owner;
    int count = 0;
  };

  void on_connected();
  void on_message(const std::string& payload);
  void keep_connected();
  template <typename F>
  bool wait(std::chrono::milliseconds timeout, F&& condition) {
    std::unique_lock lock(mutex_);
    return changed_.wait_for(lock, timeout, condition);
  }

  // Everything paho's thread touches is declared before client_, so it outlives it.
  std::string topic_;
  mutable std::mutex mutex_;
  std::condition_variable changed_;
  bool connected_ = false;
  std::size_t connects_ = 0;
  std::vector<std::size_t> seen_;  // by seq: how often it arrived
  std::size_t caught_up_ = 0;      // every seq up to this arrived
  std::size_t received_ = 0, unique_ = 0, foreign_ = 0;
  bool stopping_ = false;
  Subscribed subscribed_{*this};
  ::mqtt::async_client client_;
  ::mqtt::connect_options options_;
  std::thread reconnector_;  // keep_connected()
};

}  // namespace gpio2mqtt::testing

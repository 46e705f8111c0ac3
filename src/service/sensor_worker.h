// Sensor reads off the loop thread: a worker thread takes reads from a bounded queue, and puts
// the answers where the loop takes them, waking it through an eventfd. A read that blocks (a
// 1-Wire conversion, a slow IIO driver) holds up other reads, never the loop.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <deque>
#include <mutex>
#include <thread>
#include <vector>

#include "gpio2mqtt/sensors/source.h"
#include "util/unique_fd.h"

namespace gpio2mqtt::service {

class SensorWorker {
 public:
  struct Read {
    std::size_t sensor = 0;        // the caller's index
    std::uint64_t generation = 0;  // the caller's, to tell answers for a previous config
    sensors::Channel channel;
    std::chrono::milliseconds timeout{0};
  };
  struct Answer {
    std::size_t sensor = 0;
    std::uint64_t generation = 0;
    sensors::ReadResult result;
  };

  // `source` is borrowed; at most `capacity` reads wait at once.
  SensorWorker(sensors::Source& source, std::size_t capacity);
  // Waits for the read in progress (bounded by its timeout where the file allows).
  ~SensorWorker();
  SensorWorker(const SensorWorker&) = delete;
  SensorWorker& operator=(const SensorWorker&) = delete;

  // False when the queue is full.
  bool submit(Read read);
  // Drops the reads not yet started (a reload replaced them) and sets how many may wait.
  void restart(std::size_t capacity);
  // Readable while answers wait.
  int fd() const { return event_fd_.get(); }
  // The answers that came in, oldest first.
  std::vector<Answer> take();

 private:
  void run();

  sensors::Source& source_;
  std::size_t capacity_;
  UniqueFd event_fd_;
  std::mutex mutex_;
  std::condition_variable wake_;
  std::deque<Read> reads_;
  std::vector<Answer> answers_;
  bool stopping_ = false;
  std::thread thread_;  // last: started once the rest is there, joined first
};

}  // namespace gpio2mqtt::service

// Edges driven through a simulated chip's control socket at a steady pace, on a thread of their
// own, so that a test can kill and restart the broker or the daemon meanwhile.
#pragma once

#include <chrono>
#include <condition_variable>
#include <mutex>
#include <string>
#include <thread>

#include "control_socket.h"

namespace gpio2mqtt::testing {

// Drives `count` edges (rising first) on `line` at `hz`, paced by steady_clock deadlines. It can
// be held between two edges for a moment; the pace then resumes from there.
class EdgeStream {
 public:
  EdgeStream(ControlSocket& control, std::string line, int count, int hz);
  ~EdgeStream();
  EdgeStream(const EdgeStream&) = delete;
  EdgeStream& operator=(const EdgeStream&) = delete;

  // Stops it before its next edge; returns how many it drove.
  int hold();
  void release();
  // Waits until at least `n` edges were driven (or the stream ended); true if they were.
  bool wait_driven(int n, std::chrono::milliseconds timeout);
  bool wait_done(std::chrono::milliseconds timeout);
  int driven() const;
  // The edges nobody took (the daemon was down).
  int unsent() const;
  double held_ms() const;

 private:
  using Clock = std::chrono::steady_clock;
  void drive(ControlSocket& control, const std::string& line, int hz);

  int count_;
  mutable std::mutex mutex_;
  std::condition_variable changed_;
  bool stop_ = false, hold_ = false, holding_ = false, done_ = false;
  int driven_ = 0;
  int unsent_ = 0;
  Clock::duration held_for_{};
  std::thread thread_;  // drive()
};

}  // namespace gpio2mqtt::testing

#include "edge_stream.h"

namespace gpio2mqtt::testing {

EdgeStream::EdgeStream(ControlSocket& control, std::string line, int count, int hz) : count_(count) {
  thread_ = std::thread([this, &control, line = std::move(line), hz] { drive(control, line, hz); });
}

EdgeStream::~EdgeStream() {
  {
    std::lock_guard lock(mutex_);
    stop_ = true;
    changed_.notify_all();
  }
  thread_.join();
}

void EdgeStream::drive(ControlSocket& control, const std::string& line, int hz) {
  auto start = Clock::now();
  for (int i = 1; i <= count_; ++i) {
    {
      std::unique_lock lock(mutex_);
      if (stop_) break;
      if (hold_) {
        auto held = Clock::now();
        holding_ = true;
        changed_.notify_all();
        changed_.wait(lock, [&] { return !hold_ || stop_; });
        holding_ = false;
        held_for_ += Clock::now() - held;
        start += Clock::now() - held;
      }
    }
    std::this_thread::sleep_until(start + std::chrono::microseconds(1'000'000LL * (i - 1) / hz));
    bool sent = control.pull(line, i % 2 == 1);
    std::lock_guard lock(mutex_);
    driven_ = i;
    if (!sent) ++unsent_;
    changed_.notify_all();
  }
  std::lock_guard lock(mutex_);
  done_ = true;
  changed_.notify_all();
}

int EdgeStream::hold() {
  std::unique_lock lock(mutex_);
  hold_ = true;
  changed_.wait(lock, [&] { return holding_ || done_; });
  return driven_;
}

void EdgeStream::release() {
  std::lock_guard lock(mutex_);
  hold_ = false;
  changed_.notify_all();
}

bool EdgeStream::wait_driven(int n, std::chrono::milliseconds timeout) {
  std::unique_lock lock(mutex_);
  changed_.wait_for(lock, timeout, [&] { return driven_ >= n || done_; });
  return driven_ >= n;
}

bool EdgeStream::wait_done(std::chrono::milliseconds timeout) {
  std::unique_lock lock(mutex_);
  return changed_.wait_for(lock, timeout, [&] { return done_; });
}

int EdgeStream::driven() const {
  std::lock_guard lock(mutex_);
  return driven_;
}

int EdgeStream::unsent() const {
  std::lock_guard lock(mutex_);
  return unsent_;
}

double EdgeStream::held_ms() const {
  std::lock_guard lock(mutex_);
  return std::chrono::duration<double, std::milli>(held_for_).count();
}

}  // namespace gpio2mqtt::testing

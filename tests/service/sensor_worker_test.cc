// The sensor worker: reads run on its thread, answers come back through its eventfd, the queue
// is bounded, and a read that blocks holds up the reads behind it, not the caller.
#include "service/sensor_worker.h"

#include <gtest/gtest.h>
#include <poll.h>

#include <condition_variable>
#include <mutex>
#include <thread>

namespace gpio2mqtt::service {
namespace {

using namespace std::chrono_literals;

// Answers each channel's device name as a number; "block" waits until released.
class GatedSource : public sensors::Source {
 public:
  sensors::ReadResult read(const sensors::Channel& channel, std::chrono::milliseconds) override {
    std::unique_lock lock(mutex_);
    if (channel.device == "block") {
      blocking_ = true;
      changed_.notify_all();
      changed_.wait(lock, [this] { return open_; });
    }
    if (channel.device == "throw") throw std::runtime_error("surprise");
    reader_ = std::this_thread::get_id();
    return std::stod(channel.device);
  }
  std::vector<std::string> w1_thermometers() override { return {}; }
  std::string describe(const sensors::Channel&) override { return ""; }
  void release() {
    {
      std::lock_guard lock(mutex_);
      open_ = true;
    }
    changed_.notify_all();
  }
  // Whether a read is blocked in the source, after waiting up to 5 s for one to be.
  bool blocked() {
    std::unique_lock lock(mutex_);
    return changed_.wait_for(lock, 5s, [this] { return blocking_; });
  }
  std::thread::id reader() {
    std::lock_guard lock(mutex_);
    return reader_;
  }

 private:
  std::mutex mutex_;
  std::condition_variable changed_;
  bool blocking_ = false;
  bool open_ = false;
  std::thread::id reader_;
};

SensorWorker::Read read_of(std::size_t sensor, std::string device) {
  return {sensor, 1, {sensors::Channel::Kind::kW1, std::move(device), ""}, 100ms};
}

// Waits (up to 5 s) for `count` answers from the worker's eventfd.
std::vector<SensorWorker::Answer> answers(SensorWorker& worker, std::size_t count) {
  std::vector<SensorWorker::Answer> all;
  auto deadline = std::chrono::steady_clock::now() + 5s;
  while (all.size() < count && std::chrono::steady_clock::now() < deadline) {
    pollfd p{worker.fd(), POLLIN, 0};
    if (poll(&p, 1, 100) == 1)
      for (auto& answer : worker.take()) all.push_back(std::move(answer));
  }
  return all;
}

TEST(ASensorWorker, ReadsOnItsOwnThreadAndWakesTheLoopWithTheAnswers) {
  GatedSource source;
  SensorWorker worker(source, 4);
  ASSERT_TRUE(worker.submit(read_of(0, "21.5")));
  ASSERT_TRUE(worker.submit(read_of(1, "7")));
  auto got = answers(worker, 2);
  ASSERT_EQ(got.size(), 2u);
  EXPECT_EQ(got[0].sensor, 0u);
  EXPECT_EQ(std::get<double>(got[0].result), 21.5);
  EXPECT_EQ(std::get<double>(got[1].result), 7);
  EXPECT_NE(source.reader(), std::this_thread::get_id());
}

TEST(ASensorWorker, KeepsTheCallerFreeWhileAReadBlocksAndRefusesBeyondItsBound) {
  GatedSource source;
  SensorWorker worker(source, 2);
  ASSERT_TRUE(worker.submit(read_of(0, "block")));
  ASSERT_TRUE(source.blocked());
  ASSERT_TRUE(worker.submit(read_of(1, "1")));
  ASSERT_TRUE(worker.submit(read_of(2, "2")));
  EXPECT_FALSE(worker.submit(read_of(3, "3")));
  pollfd p{worker.fd(), POLLIN, 0};
  EXPECT_EQ(poll(&p, 1, 200), 0);  // nothing while the first read blocks
  source.release();
  EXPECT_EQ(answers(worker, 3).size(), 3u);
}

TEST(ASensorWorker, TurnsASourcesExceptionIntoThatReadsFailure) {
  GatedSource source;
  SensorWorker worker(source, 2);
  ASSERT_TRUE(worker.submit(read_of(0, "throw")));
  ASSERT_TRUE(worker.submit(read_of(1, "3")));
  auto got = answers(worker, 2);
  ASSERT_EQ(got.size(), 2u);
  EXPECT_EQ(std::get<sensors::ReadError>(got[0].result).text, "surprise");
  EXPECT_EQ(std::get<double>(got[1].result), 3);
}

}  // namespace
}  // namespace gpio2mqtt::service

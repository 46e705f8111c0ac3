#include "service/sensor_worker.h"

#include <sys/eventfd.h>

#include <cerrno>
#include <system_error>

namespace gpio2mqtt::service {

SensorWorker::SensorWorker(sensors::Source& source, std::size_t capacity)
    : source_(source), capacity_(capacity), event_fd_(eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC)) {
  if (!event_fd_.valid()) throw std::system_error(errno, std::generic_category(), "eventfd");
  thread_ = std::thread([this] { run(); });
}

SensorWorker::~SensorWorker() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
    reads_.clear();
  }
  wake_.notify_one();
  thread_.join();
}

bool SensorWorker::submit(Read read) {
  {
    std::lock_guard lock(mutex_);
    if (reads_.size() >= capacity_) return false;
    reads_.push_back(std::move(read));
  }
  wake_.notify_one();
  return true;
}

void SensorWorker::restart(std::size_t capacity) {
  std::lock_guard lock(mutex_);
  reads_.clear();
  capacity_ = capacity;
}

std::vector<SensorWorker::Answer> SensorWorker::take() {
  std::uint64_t count = 0;
  while (::read(event_fd_.get(), &count, sizeof count) < 0 && errno == EINTR) {
  }
  std::lock_guard lock(mutex_);
  return std::exchange(answers_, {});
}

void SensorWorker::run() {
  for (;;) {
    Read read;
    {
      std::unique_lock lock(mutex_);
      wake_.wait(lock, [this] { return stopping_ || !reads_.empty(); });
      if (stopping_) return;
      read = std::move(reads_.front());
      reads_.pop_front();
    }
    sensors::ReadResult result;
    try {
      result = source_.read(read.channel, read.timeout);
    } catch (const std::exception& e) {  // a source's surprise is this read's failure, not the thread's end
      result = sensors::ReadError{sensors::ReadError::Kind::kIo, e.what()};
    }
    {
      std::lock_guard lock(mutex_);
      answers_.push_back({read.sensor, read.generation, std::move(result)});
    }
    std::uint64_t one = 1;
    while (::write(event_fd_.get(), &one, sizeof one) < 0 && errno == EINTR) {
    }
  }
}

}  // namespace gpio2mqtt::service

// Stands in for systemd's NOTIFY_SOCKET: a datagram socket recording every sd_notify message.
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <vector>

#include "gpio2mqtt/util/clock.h"
#include "util/unique_fd.h"

namespace gpio2mqtt::testing {

struct Notification {
  std::string text;  // e.g. "READY=1" or "STATUS=connected to ..."
  MonoTime at;       // when it was read
  // When the sender queued it (the kernel's SO_TIMESTAMPNS, a wall clock): unlike `at`, this stays
  // true when the reader is late and reads a batch at once. Where the kernel gives no timestamps
  // (qemu-user), when it was read.
  std::chrono::system_clock::time_point sent;
};

class NotifySocket {
 public:
  explicit NotifySocket(const std::string& path);
  ~NotifySocket();
  std::string env() const { return "NOTIFY_SOCKET=" + path_; }
  // Receives what has arrived; waits until a message containing `needle` (after index `from`).
  std::optional<std::size_t> wait_for(const std::string& needle, std::size_t from = 0,
                                      std::chrono::milliseconds timeout = std::chrono::seconds(10));
  const std::vector<Notification>& received();

 private:
  void drain(int timeout_ms);
  std::string path_;
  UniqueFd fd_;
  std::vector<Notification> received_;
};

}  // namespace gpio2mqtt::testing

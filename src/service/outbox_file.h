// The outbox kept in a file under mqtt.persistence (systemd's StateDirectory, /var/lib/gpio2mqtt),
// so events queued while the broker was unreachable survive a restart of the daemon.
#pragma once

#include <cstdint>
#include <string>

#include "gpio2mqtt/bridge/outbox.h"
#include "util/unique_fd.h"

namespace gpio2mqtt::service {

// One file, `outbox`, in the directory: a header line, then records of
//   "m <qos> <retain> <topic bytes> <payload bytes>\n" <topic> <payload> "\n"
// appended as events queue up. Appends are written at once (they survive the daemon being
// killed) but not synced: a power cut loses what the kernel had not written back, which spares
// an SD card 200 syncs a second. A rewrite goes to a new file, synced, then renamed over it.
// A record cut short (a kill mid-write) ends the file; what came before it is kept.
class OutboxFile : public bridge::OutboxStore {
 public:
  // Creates the directory if missing; throws std::runtime_error when the file cannot be opened.
  explicit OutboxFile(std::string directory);

  std::vector<Message> load() override;
  void append(const Message& message) override;
  void replace(const std::deque<Message>& queue) override;

  const std::string& path() const { return path_; }
  // Writes that failed (logged at powers of two); the queue carries on in memory.
  std::uint64_t errors() const { return errors_; }

 private:
  void open_for_append();
  void failed(const std::string& what, int error);

  std::string directory_;
  std::string path_;
  UniqueFd fd_;
  std::uint64_t errors_ = 0;
};

}  // namespace gpio2mqtt::service

// Child processes for integration tests: started with fork/exec, output to a file, always reaped.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <optional>
#include <string>
#include <vector>

namespace gpio2mqtt::testing {

class Process {
 public:
  // Starts `argv` with stdout and stderr appended to `log_path`; `env` entries ("K=V") are added.
  Process(std::vector<std::string> argv, std::string log_path, std::vector<std::string> env = {});
  Process(Process&&) = delete;
  ~Process();  // SIGKILLs and reaps the child if it still runs

  pid_t pid() const { return pid_; }
  void signal(int signo) const;
  // The exit status (or 128 + signal) once it exits within `timeout`; nullopt if it did not.
  std::optional<int> wait(std::chrono::milliseconds timeout);
  bool running();
  std::string log() const;

 private:
  pid_t pid_ = -1;
  std::optional<int> status_;
  std::string log_path_;
};

// A TCP port on 127.0.0.1 that was free a moment ago.
int free_port();
// Whether something accepts TCP connections on 127.0.0.1:port.
bool port_open(int port);
// A fresh directory under the test temp dir.
std::string make_temp_dir(const std::string& prefix);

// A fresh directory under the test temp dir, removed with all it holds at the end of its scope.
class ScratchDirectory {
 public:
  explicit ScratchDirectory(const std::string& prefix) : path_(make_temp_dir(prefix)) {}
  ~ScratchDirectory();
  ScratchDirectory(const ScratchDirectory&) = delete;
  ScratchDirectory& operator=(const ScratchDirectory&) = delete;
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};
void write_file(const std::string& path, const std::string& text);

// Polls `condition` every 10 ms until it holds or `timeout` passes.
template <typename F>
bool eventually(F&& condition, std::chrono::milliseconds timeout) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (true) {
    if (condition()) return true;
    if (std::chrono::steady_clock::now() > deadline) return false;
    struct timespec ts {
      0, 10'000'000
    };
    nanosleep(&ts, nullptr);
  }
}

}  // namespace gpio2mqtt::testing

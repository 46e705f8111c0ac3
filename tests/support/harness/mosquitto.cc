#include "mosquitto.h"

#include <signal.h>
#include <unistd.h>

#include <stdexcept>

namespace gpio2mqtt::testing {

namespace {
constexpr const char* kMosquitto = "/usr/sbin/mosquitto";
}

bool Mosquitto::available() { return access(kMosquitto, X_OK) == 0; }

Mosquitto::Mosquitto(const std::string& dir, std::string extra, std::string global)
    : dir_(dir), extra_(std::move(extra)), global_(std::move(global)), port_(free_port()) {
  start();
}

void Mosquitto::start() {
  std::string conf = dir_ + "/mosquitto.conf";
  write_file(conf, std::string(extra_.empty() ? "" : "per_listener_settings true\n") + "listener " +
                       std::to_string(port_) +
                       " 127.0.0.1\nallow_anonymous true\npersistence false\n"
                       "log_dest stderr\nlog_type error\nlog_type warning\nlog_type notice\n" +
                       global_ + extra_);
  for (int attempt = 0; attempt < 50; ++attempt) {
    process_ = std::make_unique<Process>(std::vector<std::string>{kMosquitto, "-c", conf},
                                         dir_ + "/mosquitto-" + std::to_string(++starts_) + ".log");
    if (eventually([&] { return port_open(port_) || !process_->running(); }, std::chrono::seconds(10)) &&
        process_->running())
      return;
    process_.reset();  // the port was taken in between (or is still in TIME_WAIT): retry
    eventually([] { return false; }, std::chrono::milliseconds(100));
  }
  throw std::runtime_error("mosquitto did not start on port " + std::to_string(port_));
}

void Mosquitto::kill() {
  if (!process_) return;
  process_->signal(SIGKILL);
  process_->wait(std::chrono::seconds(5));
  process_.reset();
}

}  // namespace gpio2mqtt::testing

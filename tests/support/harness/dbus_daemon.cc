#include "dbus_daemon.h"

#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <stdexcept>

namespace gpio2mqtt::testing {

namespace {
constexpr const char* kDbusDaemon = "/usr/bin/dbus-daemon";
}

bool DbusDaemon::available() { return access(kDbusDaemon, X_OK) == 0; }

DbusDaemon::DbusDaemon(const std::string& dir, const std::string& policy_dir) : socket_(dir + "/bus") {
  std::string conf = dir + "/bus.conf";
  std::string type = policy_dir.empty() ? "session" : "system";
  std::string policy =
      policy_dir.empty()
          ? "<policy context=\"default\"><allow send_destination=\"*\" eavesdrop=\"true\"/>"
            "<allow eavesdrop=\"true\"/><allow own=\"*\"/></policy>"
          : "<policy context=\"default\"><allow user=\"*\"/><deny own=\"*\"/>"
            "<deny send_type=\"method_call\"/><allow send_destination=\"org.freedesktop.DBus\"/>"
            "<allow send_type=\"signal\"/><allow send_requested_reply=\"true\" send_type=\"method_return\"/>"
            "<allow send_requested_reply=\"true\" send_type=\"error\"/>"
            "<allow receive_type=\"method_call\"/><allow receive_type=\"method_return\"/>"
            "<allow receive_type=\"error\"/><allow receive_type=\"signal\"/></policy>"
            "<includedir>" +
                policy_dir + "</includedir>";
  write_file(conf,
             "<!DOCTYPE busconfig PUBLIC \"-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN\" "
             "\"http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd\">\n<busconfig><type>" +
                 type + "</type><listen>unix:path=" + socket_ + "</listen><auth>EXTERNAL</auth>" + policy +
                 "</busconfig>\n");
  // Once in CI a dbus-daemon made no socket in 10 s on a loaded machine, and said nothing: a
  // second one is started before giving up, and the failure says what was seen.
  std::string why;
  for (int attempt = 1; attempt <= 2; ++attempt) {
    process_ = std::make_unique<Process>(
        std::vector<std::string>{kDbusDaemon, "--nofork", "--nopidfile", "--config-file=" + conf},
        dir + "/dbus-daemon.log");
    struct stat st {};
    bool listening =
        eventually([&] { return stat(socket_.c_str(), &st) == 0 || !process_->running(); }, std::chrono::seconds(10));
    if (listening && process_->running()) {
      why.clear();
      break;
    }
    if (!process_->running()) {
      why += "attempt " + std::to_string(attempt) + ": exited with status " +
             std::to_string(process_->wait(std::chrono::seconds(1)).value_or(-1)) + "; ";
    } else {
      why += "attempt " + std::to_string(attempt) + ": no socket at " + socket_ + " after 10 s; ";
      process_->signal(SIGKILL);
      process_->wait(std::chrono::seconds(5));
    }
    unlink(socket_.c_str());
  }
  if (!why.empty()) throw std::runtime_error("dbus-daemon did not start (" + why + "its log: " + process_->log() + ")");
  if (!policy_dir.empty()) {  // other users' clients, for the policy tests
    chmod(dir.c_str(), 0755);
    chmod(socket_.c_str(), 0777);
  }
}

}  // namespace gpio2mqtt::testing

#include "dbus_daemon.h"

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
  process_ = std::make_unique<Process>(
      std::vector<std::string>{kDbusDaemon, "--nofork", "--nopidfile", "--config-file=" + conf},
      dir + "/dbus-daemon.log");
  struct stat st {};
  if (!eventually([&] { return stat(socket_.c_str(), &st) == 0 || !process_->running(); }, std::chrono::seconds(10)) ||
      !process_->running())
    throw std::runtime_error("dbus-daemon did not start: " + process_->log());
  if (!policy_dir.empty()) {  // other users' clients, for the policy tests
    chmod(dir.c_str(), 0755);
    chmod(socket_.c_str(), 0777);
  }
}

}  // namespace gpio2mqtt::testing

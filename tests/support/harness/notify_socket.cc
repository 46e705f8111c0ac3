#include "notify_socket.h"

#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cstring>
#include <stdexcept>

namespace gpio2mqtt::testing {

NotifySocket::NotifySocket(const std::string& path) : path_(path), fd_(socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0)) {
  sockaddr_un address{};
  address.sun_family = AF_UNIX;
  if (path.size() >= sizeof address.sun_path) throw std::runtime_error("notify socket path too long");
  std::strcpy(address.sun_path, path.c_str());
  unlink(path.c_str());
  if (bind(fd_.get(), reinterpret_cast<sockaddr*>(&address), sizeof address) != 0)
    throw std::runtime_error("cannot bind " + path);
  // qemu-user (the arm64 unit tests) refuses SO_TIMESTAMPNS: there `sent` is when it was read.
  int on = 1;
  setsockopt(fd_.get(), SOL_SOCKET, SO_TIMESTAMPNS, &on, sizeof on);
}

namespace {

std::chrono::system_clock::time_point sent_at(msghdr& message) {
  for (cmsghdr* c = CMSG_FIRSTHDR(&message); c != nullptr; c = CMSG_NXTHDR(&message, c)) {
    if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SO_TIMESTAMPNS) continue;
    timespec stamp{};
    std::memcpy(&stamp, CMSG_DATA(c), sizeof stamp);
    auto since_epoch = std::chrono::seconds(stamp.tv_sec) + std::chrono::nanoseconds(stamp.tv_nsec);
    return std::chrono::system_clock::time_point(
        std::chrono::duration_cast<std::chrono::system_clock::duration>(since_epoch));
  }
  return std::chrono::system_clock::now();  // no kernel timestamps here (see the constructor)
}

}  // namespace

NotifySocket::~NotifySocket() { unlink(path_.c_str()); }

void NotifySocket::drain(int timeout_ms) {
  pollfd p{fd_.get(), POLLIN, 0};
  while (poll(&p, 1, timeout_ms) == 1) {
    char buffer[4096];
    alignas(cmsghdr) char control[CMSG_SPACE(sizeof(timespec))];
    iovec data{buffer, sizeof buffer};
    msghdr message{};
    message.msg_iov = &data;
    message.msg_iovlen = 1;
    message.msg_control = control;
    message.msg_controllen = sizeof control;
    ssize_t n = recvmsg(fd_.get(), &message, MSG_DONTWAIT);
    if (n <= 0) break;
    received_.push_back({std::string(buffer, static_cast<std::size_t>(n)), monotonic_now(), sent_at(message)});
    timeout_ms = 0;
  }
}

const std::vector<Notification>& NotifySocket::received() {
  drain(0);
  return received_;
}

std::optional<std::size_t> NotifySocket::wait_for(const std::string& needle, std::size_t from,
                                                  std::chrono::milliseconds timeout) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (true) {
    for (std::size_t i = from; i < received_.size(); ++i)
      if (received_[i].text.find(needle) != std::string::npos) return i;
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) return std::nullopt;
    drain(static_cast<int>(std::min<long>(left.count(), 100)));
  }
}

}  // namespace gpio2mqtt::testing

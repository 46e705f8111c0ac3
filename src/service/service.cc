#include "gpio2mqtt/service/service.h"

#include <signal.h>
#include <spdlog/spdlog.h>
#include <sys/signalfd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <system_error>

namespace gpio2mqtt::service {
namespace {

sigset_t service_signals() {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGTERM);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGHUP);
  return set;
}

constexpr std::chrono::milliseconds kStopBudget{4000};  // the promise is 5 s; keep a margin

}  // namespace

void block_service_signals() {
  // A shell starts background jobs with SIGINT ignored; an ignored signal never reaches signalfd.
  for (int signo : {SIGTERM, SIGINT, SIGHUP}) ::signal(signo, SIG_DFL);
  sigset_t set = service_signals();
  pthread_sigmask(SIG_BLOCK, &set, nullptr);
}

std::chrono::seconds Backoff::next() {
  auto delay = next_;
  next_ = std::min(next_ * 2, std::chrono::seconds(60));
  return delay;
}

Service::Service(const config::Config& config, LineSet& lines, mqtt::Client& client)
    : config_(config), lines_(lines), client_(client), publisher_(client), bridge_(config, publisher_, lines) {
  sigset_t set = service_signals();
  signal_fd_.reset(signalfd(-1, &set, SFD_NONBLOCK | SFD_CLOEXEC));
  if (!signal_fd_.valid()) throw std::system_error(errno, std::generic_category(), "signalfd");
  loop_.add(signal_fd_.get(), "signals", [this] { on_signal(); });
  loop_.add(client_.event_fd(), "mqtt", [this] { on_mqtt_events(); });
  for (int fd : lines_.event_fds()) loop_.add(fd, "gpio events", [this, fd] { on_gpio(fd); });
  loop_.add(bridge_timer_.fd(), "timers", [this] {
    bridge_timer_.acknowledge();
    bridge_.on_time(monotonic_now());
  });
  loop_.add(reconnect_timer_.fd(), "reconnect", [this] {
    reconnect_timer_.acknowledge();
    spdlog::info("connecting to {}", config_.mqtt.server);
    client_.connect();
  });
}

int Service::run() {
  bridge_.start();
  spdlog::info("serving {} lines; connecting to {} as {}", config_.lines.size(), config_.mqtt.server, config_.mqtt.client_id);
  client_.connect();
  while (!stopping_) {
    loop_.run_once(-1);
    if (auto deadline = bridge_.next_deadline()) bridge_timer_.arm_at(*deadline);
    else bridge_timer_.disarm();
  }
  stop();
  return 0;
}

void Service::on_signal() {
  signalfd_siginfo info{};
  while (read(signal_fd_.get(), &info, sizeof info) == sizeof info) {
    if (info.ssi_signo == SIGHUP) {
      spdlog::warn("SIGHUP: reloading the configuration is not supported yet; restart the service to apply changes");
      continue;
    }
    spdlog::info("{}: stopping", strsignal(static_cast<int>(info.ssi_signo)));
    stopping_ = true;
  }
}

void Service::on_gpio(int fd) {
  edges_.clear();
  lines_.read_events(fd, edges_);
  MonoTime now = monotonic_now();
  for (const auto& [line, event] : edges_) bridge_.on_edge(line, event, now);
}

void Service::on_mqtt_events() {
  for (auto& event : client_.take_events()) {
    MonoTime now = monotonic_now();
    switch (event.kind) {
      case mqtt::Event::Kind::kConnected:
        spdlog::info("connected to {} ({})", config_.mqtt.server, event.text);
        backoff_.reset();
        reconnect_timer_.disarm();
        // Subscribed on every connect: with a clean session the broker forgot them.
        client_.subscribe(bridge_.subscriptions(), config_.mqtt.qos);
        bridge_.on_connected(now);
        break;
      case mqtt::Event::Kind::kConnectFailed:
      case mqtt::Event::Kind::kConnectionLost:
        on_connection_down(event.text);
        break;
      case mqtt::Event::Kind::kMessage:
        bridge_.on_message(event.topic, event.payload, event.retained, now);
        break;
    }
  }
}

void Service::on_connection_down(const std::string& why) {
  if (bridge_.connected()) bridge_.on_disconnected(monotonic_now());
  auto delay = backoff_.next();
  spdlog::warn("broker {} unreachable, retrying in {} s: {}", config_.mqtt.server, delay.count(), why);
  reconnect_timer_.arm_at(monotonic_now() + delay);
}

void Service::stop() {
  bridge_.on_stop(monotonic_now());
  const auto& status = config_.mqtt.status;
  client_.shutdown(bridge::Message{status.topic, status.offline, 1, true}, kStopBudget);
  const auto& counters = bridge_.counters();
  spdlog::info("stopped: {} edges published, {} commands applied, {} rejected", counters.edges_published,
               counters.commands_applied, counters.commands_rejected);
}

}  // namespace gpio2mqtt::service

#include "service/service.h"

#include <signal.h>
#include <spdlog/spdlog.h>
#include <sys/signalfd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <system_error>

#include "gpio2mqtt/exit_codes.h"
#include "util/host.h"
#include "util/text.h"

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
constexpr std::chrono::seconds kCounterReportPeriod{1};

std::uint64_t realtime_us() {
  timespec ts{};
  clock_gettime(CLOCK_REALTIME, &ts);
  return static_cast<std::uint64_t>(ts.tv_sec) * 1'000'000 + static_cast<std::uint64_t>(ts.tv_nsec) / 1000;
}

}  // namespace

void block_service_signals() {
  // A shell starts background jobs with SIGINT ignored; an ignored signal never reaches signalfd.
  for (int signo : {SIGTERM, SIGINT, SIGHUP}) ::signal(signo, SIG_DFL);
  sigset_t set = service_signals();
  pthread_sigmask(SIG_BLOCK, &set, nullptr);
}

Service::Service(config::Config config, LineSet& lines, ServiceParts parts)
    : config_(std::make_unique<config::Config>(std::move(config))),
      lines_(lines),
      parts_(std::move(parts)),
      loop_(*parts_.clock),
      outbox_file_(config_->mqtt.persistence.empty() ? nullptr
                                                     : std::make_unique<OutboxFile>(config_->mqtt.persistence)),
      counter_file_(config_->state_directory.empty() ? nullptr
                                                     : std::make_unique<CounterFile>(config_->state_directory)),
      binding_file_(config_->state_directory.empty() ? nullptr
                                                     : std::make_unique<BindingFile>(config_->state_directory)),
      device_file_(config_->state_directory.empty() ? nullptr : std::make_unique<DeviceFile>(config_->state_directory)),
      pwm_(*config_, parts_.pwm, publisher_),
      bridge_(*config_, publisher_, port_, outbox_file_.get(), counter_file_.get(), binding_file_.get(),
              device_file_.get(), &pwm_),
      random_(parts_.random_seed),
      connection_(loop_, config_->mqtt, random_, [this](const std::string& server) { client_->connect(server); }),
      gpio_(loop_, lines, parts_.device_dir,
            {.edge = [this](std::size_t line,
                            const gpio::EdgeEvent& event) { bridge_.on_edge(line, event, loop_.now()); },
             // A software PWM line (after the configured ones) comes back at its level in the switchboard.
             .level =
                 [this](std::size_t line) {
                   return line < config_->lines.size() ? bridge_.level(line) : bridge_.running_lines().at(line).level;
                 },
             .lines_back = [this] { bridge_.resync_inputs(); },
             .problem_changed = [this] { report_status(); }}),
      started_at_us_(realtime_us()) {
  sigset_t set = service_signals();
  signal_fd_.reset(signalfd(-1, &set, SFD_NONBLOCK | SFD_CLOEXEC));
  if (!signal_fd_.valid()) throw std::system_error(errno, std::generic_category(), "signalfd");
  signal_watch_ = loop_.watch(signal_fd_.get(), "signals", [this] { on_signal(); });
  bridge_timer_ = loop_.timer("timers", [this] { bridge_.on_time(loop_.now()); });
  status_timer_ = loop_.timer("status", [this] { report_status(); });
  watchdog_timer_ = loop_.timer("watchdog", [this] { systemd_.notify("WATCHDOG=1"); });
  if (parts_.sensor_source) sensors_ = std::make_unique<SensorSet>(loop_, *parts_.sensor_source, publisher_);
  else if (!config_->sensors.empty()) spdlog::warn("sensors are configured but not read here");
  republish_timer_ = loop_.timer("republish", [this] { bridge_.republish(loop_.now()); });
  gpio_.watch(*config_);
  use_client(parts_.make_client(config_->mqtt));
}

Service::~Service() = default;

std::string Service::broker() const {
  std::string out;
  for (const auto& server : config_->mqtt.servers) out += (out.empty() ? "" : ", ") + server;
  return out;
}

void Service::use_client(std::unique_ptr<mqtt::Client> client) {
  if (client_owner_) {  // a reload replaced the connection: what the old client still held is queued again
    bridge_.on_stopped(client_owner_->take_unacknowledged());
    dropped_by_replaced_clients_ += client_owner_->messages_dropped();
  }
  client_owner_ = std::move(client);
  client_ = client_owner_.get();
  client_watch_ = loop_.watch(client_->event_fd(), "mqtt", [this] { on_mqtt_events(); });
}

void Service::open_dbus() {
  dbus_.reset();
  dbus_ = dbus::open_endpoint(config_->dbus, *this);
  dbus_watch_ = dbus_ ? loop_.watch(dbus_->fd(), "D-Bus", [this] { dbus_->process(); }) : FdWatch();
}

int Service::run() {
  start();
  int code = kExitOk;
  try {
    while (!stopping_) run_once(-1);
  } catch (const std::exception& e) {  // epoll itself failed: nothing will wake us any more
    spdlog::critical("event loop: {}; stopping", e.what());
    code = kExitFailure;
  }
  stop();
  return code;
}

void Service::start() {
  bridge_.start(loop_.now(), lines_.plan());
  if (sensors_) sensors_->configure(*config_, loop_.now());
  open_dbus();
  // Ready once the lines are ours: a board that boots without network must still come up.
  systemd_.notify("READY=1");
  // From the loop itself: a stuck loop stops the pings.
  if (auto interval = systemd_.watchdog_interval()) watchdog_timer_.repeat_every(*interval);
  spdlog::info("serving {} lines; connecting to {} as {}", config_->lines.size(), broker(), config_->mqtt.client_id);
  report_status();
  connection_.start(config_->mqtt);
  // The timers for what the bridge has to do at once (the PWM outputs are driven at their first
  // turn), before the first wait: not after whatever event comes first.
  after_each_wakeup();
}

std::size_t Service::run_once(int timeout_ms) {
  if (dbus_) {
    dbus_->process();  // also sends what handlers queued, before we sleep
    // A method call handled just now may have given the bridge something to do later (an
    // interlocked output waiting out its dead time): its timer must be armed before the wait.
    after_each_wakeup();
    dbus_watch_.set_events(dbus_->prepare_wait());
    int dbus_timeout = dbus_->timeout_ms();
    if (timeout_ms < 0 || (dbus_timeout >= 0 && dbus_timeout < timeout_ms)) timeout_ms = dbus_timeout;
  }
  std::size_t ran = loop_.run_once(timeout_ms);
  after_each_wakeup();
  return ran;
}

void Service::after_each_wakeup() {
  if (auto deadline = bridge_.next_deadline()) bridge_timer_.arm_at(*deadline);
  else bridge_timer_.disarm();
  // Counters change with every edge: report them at most once a second, and only when they did.
  if (!(counters() == reported_) && !status_timer_.armed()) status_timer_.arm_after(kCounterReportPeriod);
  // Bindings change rarely (a switch, the broker, Home Assistant's status): said at once.
  if (auto changes = bridge_.bindings().changes(); changes != reported_binding_changes_) {
    reported_binding_changes_ = changes;
    if (dbus_) dbus_->properties_changed({"Bindings", "HomeAssistantStatus"});
  }
}

void Service::on_signal() {
  signalfd_siginfo info{};
  while (read(signal_fd_.get(), &info, sizeof info) == sizeof info) {
    if (info.ssi_signo == SIGHUP) {
      spdlog::info("SIGHUP: reloading {}", config_->file);
      reload();
      continue;
    }
    spdlog::info("{}: stopping", strsignal(static_cast<int>(info.ssi_signo)));
    stopping_ = true;
  }
}

void Service::on_mqtt_events() {
  for (auto& event : client_->take_events()) {
    MonoTime now = loop_.now();
    switch (event.kind) {
      case mqtt::Event::Kind::kConnected: {
        bool had_problem = connection_.on_connected(event.server);  // first: it adopts the node that answered
        spdlog::info("connected to {} ({})", connection_.server(), event.text);
        warn_about_the_connection();
        if (had_problem && dbus_) dbus_->properties_changed({"LastError"});
        // Subscribed on every connect: with a clean session the broker forgot them.
        client_->subscribe(bridge_.subscriptions(), config_->mqtt.subscribe_qos);
        client_->subscribe_retained(bridge_.retained_subscriptions(), config_->mqtt.subscribe_qos,
                                    bridge::kMaxReadBackPayload);
        bridge_.on_connected(now);
        if (sensors_) sensors_->on_connected();
        // For brokers whose retained messages stay on the node they were published to.
        if (config_->mqtt.republish.count()) republish_timer_.repeat_every(config_->mqtt.republish);
        report_status();
        if (dbus_) dbus_->properties_changed({"Connected", "Server"});
        break;
      }
      case mqtt::Event::Kind::kConnectFailed:
      case mqtt::Event::Kind::kConnectionLost:
        on_connection_down(event);
        break;
      case mqtt::Event::Kind::kMessage:
        bridge_.on_message(event.topic, event.payload, event.retained, now);
        break;
      case mqtt::Event::Kind::kPublishRefused:
        bridge_.on_publish_refused(event.topic, event.text);
        break;
    }
  }
}

void Service::warn_about_the_connection() {
  const auto& mqtt = config_->mqtt;
  if (mqtt.tls.enabled && mqtt.tls.insecure)
    spdlog::warn(
        "TLS certificate verification is off (mqtt.tls.insecure): anyone between here and {} can "
        "read and forge every message",
        connection_.server());
  bool has_outputs = std::any_of(config_->lines.begin(), config_->lines.end(),
                                 [](const auto& line) { return line.direction == gpio::Direction::kOutput; });
  if (!warned_plain_remote_ && has_outputs && !mqtt.tls.enabled && mqtt.username.empty() &&
      !mqtt.broker_is_local(host_name())) {
    warned_plain_remote_ = true;
    spdlog::warn(
        "accepting commands over an unencrypted, unauthenticated connection to {}, which is not on this "
        "host: anyone on the way can switch the outputs (use mqtts:// and a username)",
        connection_.server());
  }
}

void Service::on_connection_down(const mqtt::Event& event) {
  bool was_connected = bridge_.connected();
  republish_timer_.disarm();
  if (was_connected) {
    bridge_.on_disconnected(loop_.now(), client_->take_unacknowledged());
  }
  if (sensors_) sensors_->on_disconnected();
  connection_.on_down(event, config_->mqtt);
  report_status();
  if (dbus_)
    dbus_->properties_changed(was_connected ? std::vector<std::string>{"Connected", "Server", "LastError"}
                                            : std::vector<std::string>{"LastError"});
}

void Service::stop() {
  systemd_.notify("STOPPING=1");
  bridge_.on_stop(loop_.now());
  const auto& status = config_->mqtt.status;
  client_->shutdown(Message{status.topic, status.offline, 1, true}, kStopBudget);
  bridge_.on_stopped(client_->take_unacknowledged());  // with mqtt.persistence, for the next run
  const auto counters = this->counters();
  std::string dropped = describe_drops(counters);
  // Without mqtt.persistence what is still queued ends with the process.
  if (std::size_t left = outbox_file_ ? 0 : bridge_.queued())
    dropped += ", " + std::to_string(left) + " queued events lost with the process (mqtt.persistence is off)";
  spdlog::info("stopped: {} edges published, {} commands applied, {} rejected{}, {} internal errors",
               counters.edges_published, counters.commands_applied, counters.commands_rejected, dropped,
               loop_.handler_errors());
  if (sensors_ && sensors_->size() > 0) {
    auto totals = sensors_->totals();
    spdlog::info("sensors: {} values read, {} reads failed ({} timed out), {} readings dropped", totals.reads,
                 totals.failures, totals.timeouts, totals.dropped);
  }
}

}  // namespace gpio2mqtt::service

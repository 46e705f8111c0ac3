// PWM outputs end to end: the daemon with software PWM on the simulated chip, a real mosquitto,
// Home Assistant's JSON light payloads, the duty measured on a wired input, and the level kept
// across a restart.
#include <algorithm>
#include <iostream>

#include "daemon_fixture.h"
#include "gpio2mqtt/exit_codes.h"
#include "util/json.h"

namespace gpio2mqtt::testing {
namespace {

using namespace std::chrono_literals;

class ADaemonWithPwm : public ADaemon {
 protected:
  // The heater's line GPIO27 is wired to the input GPIO22, whose events time its switchings.
  std::string config(const std::string& heater_extra = "") const {
    return "mqtt:\n  server: " + broker_->url() + "\n  client_id: gpio2mqtt-test\n  base_topic: raspberry\n" +
           "dbus: off\nstate_directory: " + dir_ + "/state\n" +
           "chips:\n  main:\n    simulated:\n      lines: [GPIO17, GPIO22, GPIO27]\n      wires: {GPIO27: GPIO22}\n"
           "lines:\n  wire: {line: GPIO22, edge: both}\n  relay: {line: GPIO17, direction: output}\n"
           "pwm:\n  heater: {line: GPIO27, period: 1s" +
           heater_extra + "}\n";
  }
  void start_pwm(const std::string& heater_extra = "") {
    std::size_t from = observer_->size();
    start_daemon(config(heater_extra));
    ASSERT_TRUE(came_online(from));
    ASSERT_TRUE(observer_->wait_for([](const Received& m) { return m.topic == "raspberry/heater/state"; }, from))
        << daemon_->log();
  }
  std::string heater_state() const { return observer_->payloads_on("raspberry/heater/state").back(); }
  void command(const std::string& payload, const std::string& state) {
    std::size_t from = observer_->size();
    observer_->publish("raspberry/heater/set", payload);
    ASSERT_TRUE(observer_->wait_for("raspberry/heater/state", state, from)) << payload << " gave " << heater_state();
  }
  void restart(const std::string& heater_extra = "") {
    daemon_->process().signal(SIGTERM);
    daemon_->process().wait(10s);
    ASSERT_NO_FATAL_FAILURE(start_pwm(heater_extra));
  }
};

TEST_F(ADaemonWithPwm, TakesHomeAssistantsLightPayloadsAndAnswersInKind) {
  ASSERT_NO_FATAL_FAILURE(start_pwm());
  EXPECT_EQ(heater_state(), R"({"state":"OFF","brightness":0,"percentage":0})");
  ASSERT_NO_FATAL_FAILURE(command(R"({"state":"ON","brightness":128,"transition":0})",
                                  R"({"state":"ON","brightness":128,"percentage":50})"));
  ASSERT_NO_FATAL_FAILURE(
      command(R"({"state":"OFF","transition":0})", R"({"state":"OFF","brightness":0,"percentage":0})"));
  ASSERT_NO_FATAL_FAILURE(command("ON", R"({"state":"ON","brightness":128,"percentage":50})"));
  ASSERT_NO_FATAL_FAILURE(command(R"({"percentage":25})", R"({"state":"ON","brightness":64,"percentage":25})"));
  std::size_t from = observer_->size();
  observer_->publish("raspberry/heater/set", R"({"state":"ON","brightness":300})");
  observer_->publish("raspberry/heater/get", "");
  ASSERT_TRUE(observer_->wait_for("raspberry/heater/state", R"({"state":"ON","brightness":64,"percentage":25})", from));
  EXPECT_NE(daemon_->log().find("\"brightness\" must be a whole number from 0 to 255"), std::string::npos);
  for (const auto& m : observer_->messages())
    if (m.topic == "raspberry/heater/state") {
      EXPECT_TRUE(parse_json(m.payload)) << m.payload;
    }
}

TEST_F(ADaemonWithPwm, SwitchesItsLineForTheCommandedDutyAtA1sPeriod) {
  ASSERT_NO_FATAL_FAILURE(start_pwm());
  std::size_t from = observer_->size();
  observer_->publish("raspberry/heater/set", "30");
  // Five periods' edges of the wired input, timestamped by the chip.
  ASSERT_TRUE(observer_->wait_for(
      [&](const Received& m) {
        return m.topic == "raspberry/wire/event" && m.payload.find("rising") != m.payload.npos;
      },
      from, 3s));
  std::vector<std::pair<bool, double>> edges;  // rising, seconds
  ASSERT_TRUE(eventually(
      [&] {
        edges.clear();
        for (const auto& payload : observer_->payloads_on("raspberry/wire/event", from)) {
          auto json = parse_json(payload);
          if (json) edges.emplace_back((*json)["edge"].string == "rising", (*json)["timestamp_ns"].number / 1e9);
        }
        return std::count_if(edges.begin(), edges.end(), [](auto& e) { return e.first; }) >= 6;
      },
      10s));
  std::vector<double> duties;
  double total = 0;
  std::string cycles;
  for (std::size_t i = 0; i + 2 < edges.size(); ++i) {
    if (!edges[i].first || edges[i + 1].first || !edges[i + 2].first) continue;
    double on = edges[i + 1].second - edges[i].second, period = edges[i + 2].second - edges[i].second;
    duties.push_back(on / period);
    total += period;
    cycles += " " + std::to_string(on / period);
  }
  ASSERT_GE(duties.size(), 4u) << "fewer than four whole periods";
  // The median: on a busy machine one late timer makes one period's pulse longer or shorter (the
  // documented jitter); the periods after it are not shifted, which the others show.
  std::sort(duties.begin(), duties.end());
  double duty = duties[duties.size() / 2];
  EXPECT_NEAR(duty, 0.30, 0.30 * 0.02) << "per period:" << cycles;
  std::cout << "software PWM at 1 s, 30 %: median " << duty * 100 << " % of " << duties.size() << " periods over "
            << total << " s; per period:" << cycles << "\n";
}

TEST_F(ADaemonWithPwm, BringsBackItsLastLevelAfterARestart) {
  ASSERT_NO_FATAL_FAILURE(start_pwm());
  ASSERT_NO_FATAL_FAILURE(command("40", R"({"state":"ON","brightness":102,"percentage":40})"));
  ASSERT_NO_FATAL_FAILURE(command("OFF", R"({"state":"OFF","brightness":0,"percentage":0})"));
  ASSERT_NO_FATAL_FAILURE(restart());
  EXPECT_EQ(heater_state(), R"({"state":"OFF","brightness":0,"percentage":0})");
  ASSERT_NO_FATAL_FAILURE(command("ON", R"({"state":"ON","brightness":102,"percentage":40})"));
  ASSERT_NO_FATAL_FAILURE(restart(", initial: restore"));
  EXPECT_EQ(heater_state(), R"({"state":"ON","brightness":102,"percentage":40})");
}

TEST_F(ADaemonWithPwm, KeepsSwitchingThroughAReloadThatChangesItsSection) {
  ASSERT_NO_FATAL_FAILURE(start_pwm());
  ASSERT_NO_FATAL_FAILURE(command("30", R"({"state":"ON","brightness":77,"percentage":30})"));
  write_file(daemon_->config_path(), config(", max: 50"));
  daemon_->process().signal(SIGHUP);
  ASSERT_TRUE(eventually([&] { return daemon_->log().find("reloaded ") != std::string::npos; }, 10s)) << daemon_->log();
  // Applied, no longer put off to the next start (issue 25): the output goes on switching, at its
  // level, now with a maximum duty of 50 %.
  EXPECT_EQ(daemon_->log().find("take effect at the next start"), std::string::npos) << daemon_->log();
  std::size_t from = observer_->size();
  auto rises = [&] {
    std::size_t n = 0;
    for (const auto& payload : observer_->payloads_on("raspberry/wire/event", from))
      n += payload.find("rising") != std::string::npos;
    return n;
  };
  ASSERT_TRUE(eventually([&] { return rises() >= 2; }, 4s)) << daemon_->log();
  ASSERT_NO_FATAL_FAILURE(command("ON", R"({"state":"ON","brightness":77,"percentage":30})"));
}

TEST_F(ADaemonWithPwm, StopsWithExit78NamingAHardwareChipThatIsNotThere) {
  std::string yaml = config() + "  lamp: {pwm_chip: no-such.pwm, channel: 0}\n";
  start_daemon(yaml);
  EXPECT_EQ(daemon_->process().wait(10s), kExitConfig);
  EXPECT_NE(daemon_->log().find("config.yaml:17:20: pwm 'lamp': no PWM chip 'no-such.pwm'"), std::string::npos)
      << daemon_->log();
}

}  // namespace
}  // namespace gpio2mqtt::testing

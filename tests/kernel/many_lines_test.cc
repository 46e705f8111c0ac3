// More lines on one chip than one kernel line request holds (64): gpio-sim chips of 100 lines,
// requested through the backend and through the daemon, with edges and outputs in the first and
// in a later group of 64, and a reload that changes lines of both.
#include <signal.h>

#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include "broker_and_daemon.h"
#include "kernel_test.h"

namespace gpio2mqtt::kernel_test {
namespace {

using namespace std::chrono_literals;

constexpr unsigned kChipLines = 100;
constexpr unsigned kInputs = 72;  // offsets 0..71: a full group of 64 and 8 more
constexpr unsigned kOutput = 90;  // in the second group of 64

// Waits on every event fd of `request` until an event of `offset` came; returns the events of
// `offset`, empty when none came within `timeout`.
std::vector<gpio::EdgeEvent> events_of(gpio::LineRequest& request, unsigned offset,
                                       std::chrono::milliseconds timeout = 2s) {
  std::vector<pollfd> fds;
  for (int fd : request.event_fds()) fds.push_back({fd, POLLIN, 0});
  std::vector<gpio::EdgeEvent> all, mine;
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (mine.empty() && std::chrono::steady_clock::now() < deadline) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
    if (::poll(fds.data(), fds.size(), static_cast<int>(left.count()) + 1) <= 0) continue;
    for (const auto& p : fds)
      if (p.revents & POLLIN) request.read_events(p.fd, all);
    for (const auto& event : all)
      if (event.offset == offset) mine.push_back(event);
    all.clear();
  }
  return mine;
}

class ALibgpiodChipOfManyLines : public KernelChipTest {
 protected:
  void SetUp() override {
    KernelTest::SetUp();
    if (IsSkipped()) return;
    open_sim(make_sim().label(unique_label("many")).lines(kChipLines));
  }
};

TEST_F(ALibgpiodChipOfManyLines, RequestsMoreLinesThanOneKernelRequestHoldsAndServesThemAll) {
  std::vector<gpio::LineSettings> lines;
  for (unsigned offset = 0; offset < kInputs; ++offset) lines.push_back(input(offset));
  lines.push_back(output(kOutput, true));
  auto request = chip_->request("g2m-test", lines);
  // One fd per kernel request of at most 64 lines on uAPI v2; on v1 each input's and each group's
  // reader thread's.
  EXPECT_EQ(request->event_fds().size(), gpio::hardware_uapi_version() == 2 ? 2u : kInputs + 2u);

  for (unsigned offset : {3u, 70u}) {
    sim_->set_pull(offset, true);
    auto rising = events_of(*request, offset);
    ASSERT_EQ(rising.size(), 1u) << "offset " << offset;
    EXPECT_TRUE(rising[0].rising);
    EXPECT_TRUE(request->get_value(offset));
    sim_->set_pull(offset, false);
    auto falling = events_of(*request, offset);
    ASSERT_EQ(falling.size(), 1u) << "offset " << offset;
    EXPECT_FALSE(falling[0].rising);
    if (gpio::hardware_uapi_version() == 2) {  // each line's numbers count on in its own group
      EXPECT_EQ(rising[0].line_seqno, 1u);
      EXPECT_EQ(falling[0].line_seqno, 2u);
    }
  }

  EXPECT_TRUE(sim_->value(kOutput));  // the initial level of the second group
  request->set_value(kOutput, false);
  EXPECT_FALSE(sim_->value(kOutput));
}

TEST_F(ALibgpiodChipOfManyLines, LetsGoOfEveryGroupWhenALaterOneIsBusy) {
  auto holder = chip_->request("g2m-holder", {input(80)});
  std::vector<gpio::LineSettings> lines;
  for (unsigned offset = 0; offset < 81; ++offset) lines.push_back(input(offset));
  EXPECT_TRUE(Contains(error_of<gpio::GpioError>([&] { chip_->request("g2m-test", lines); }), "is busy"));
  // Nothing of the failed request is held: its first group can be requested again.
  lines.pop_back();
  EXPECT_NO_THROW(chip_->request("g2m-test", lines));
}

class ADaemonOnAChipOfManyLines : public testing::BrokerAndDaemon {
 protected:
  ADaemonOnAChipOfManyLines() : BrokerAndDaemon("g2m-many", "kernel") {}
  // The daemon lets go of the chip's lines before the chip goes.
  ~ADaemonOnAChipOfManyLines() override { daemon_.reset(); }

  void SetUp() override {
    if (auto why = why_no_gpiosim(); !why.empty()) GTEST_SKIP() << why;
    BrokerAndDaemon::SetUp();
    if (IsSkipped()) return;
    sim_ = make_sim().label(unique_label("many-d")).lines(kChipLines).build();
    start_broker();
    observe("kernel/#");
  }

  // Inputs in0.. on the offsets in [first, end), and the output `out` on kOutput.
  std::string config(unsigned first, unsigned end) const {
    std::string yaml =
        "mqtt:\n  server: " + broker_->url() +
        "\n  client_id: g2m-many-test\n  base_topic: kernel\ndbus: off\nchips:\n  sim: {label: " + sim_->label() +
        "}\nlines:\n  out: {line: " + std::to_string(kOutput) + ", direction: output}\n";
    for (unsigned offset = first; offset < end; ++offset)
      yaml += "  in" + std::to_string(offset) + ": {line: " + std::to_string(offset) + ", edge: both}\n";
    return yaml;
  }

  // Pulls `offset` up and waits for the rising event of its input, published after message `from`.
  ::testing::AssertionResult rises(unsigned offset, std::size_t from) {
    sim_->set_pull(offset, true);
    std::string topic = "kernel/in" + std::to_string(offset) + "/event";
    if (observer_->wait_for(
            [&](const testing::Received& r) {
              return r.topic == topic && r.payload.find("\"edge\":\"rising\"") != std::string::npos;
            },
            from))
      return ::testing::AssertionSuccess();
    return ::testing::AssertionFailure() << "no rising event on " << topic;
  }

  std::unique_ptr<SimChip> sim_;
};

TEST_F(ADaemonOnAChipOfManyLines, PublishesEdgesAndDrivesTheOutputInEveryGroup) {
  start_daemon(config(0, kInputs));
  ASSERT_TRUE(observer_->wait_for("kernel/in71/state", "OFF", 0, 20s)) << "not online";
  std::size_t from = observer_->size();
  EXPECT_TRUE(rises(2, from));
  EXPECT_TRUE(rises(70, from));
  observer_->publish("kernel/out/set", "ON");
  ASSERT_TRUE(observer_->wait_for("kernel/out/state", "ON", from));
  EXPECT_TRUE(sim_->value(kOutput));
}

TEST_F(ADaemonOnAChipOfManyLines, KeepsServingEveryGroupAfterAReloadChangedItsLines) {
  start_daemon(config(0, kInputs));
  ASSERT_TRUE(observer_->wait_for("kernel/in71/state", "OFF", 0, 20s)) << "not online";
  // Offset 0 goes, 72 and 73 come: the groups of 64 now hold other lines than before.
  std::size_t from = observer_->size();
  testing::write_file(daemon_->config_path(), config(1, kInputs + 2));
  daemon_->process().signal(SIGHUP);
  ASSERT_TRUE(observer_->wait_for("kernel/in73/state", "OFF", from, 20s)) << "not reloaded";
  from = observer_->size();
  EXPECT_TRUE(rises(1, from));
  EXPECT_TRUE(rises(65, from));
  EXPECT_TRUE(rises(73, from));
  // Offset 0 was let go: another program can have it.
  auto provider = gpio::make_hardware_provider();
  auto chip = provider->open(sim_->dev_path());
  EXPECT_NO_THROW(chip->request("g2m-other", {input(0)}));
}

}  // namespace
}  // namespace gpio2mqtt::kernel_test

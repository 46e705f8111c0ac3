// The libgpiod backend against a real kernel chip (gpio-sim): inputs, edges, bias, active-low and
// outputs, each checked on the kernel's side through gpio-sim's sysfs files.
#include <functional>
#include <memory>

#include "gpio/hardware.h"
#include "gpio2mqtt/util/clock.h"
#include "kernel_test.h"

namespace gpio2mqtt::kernel_test {
namespace {

using gpio::Bias;
using gpio::GpioError;

class ALibgpiodChip : public KernelChipTest {
 protected:
  void SetUp() override {
    KernelTest::SetUp();
    if (IsSkipped()) return;
    open_sim(make_sim().label(unique_label("line")).lines(8).name(0, "button").name(1, "door").name(2, "relay"));
  }
};

TEST_F(ALibgpiodChip, ReportsItsNameLabelAndLineNames) {
  EXPECT_EQ(chip_->name(), sim_->chip_name());
  EXPECT_EQ(chip_->label(), sim_->label());
  auto names = chip_->line_names();
  ASSERT_EQ(names.size(), 8u);
  EXPECT_EQ(names[0], "button");
  EXPECT_EQ(names[2], "relay");
  EXPECT_EQ(names[5], "");
  EXPECT_EQ(chip_->find_line("door"), 1u);
  EXPECT_FALSE(chip_->find_line("Door"));
  EXPECT_FALSE(chip_->find_line(""));
}

TEST_F(ALibgpiodChip, ReadsAnInputThatFollowsThePull) {
  sim_->set_pull(0, true);
  auto request = chip_->request("g2m-test", {input(0)});
  EXPECT_TRUE(request->get_value(0));
  sim_->set_pull(0, false);
  ASSERT_EQ(next_events(*request).size(), 1u);
  EXPECT_FALSE(request->get_value(0));
}

TEST_F(ALibgpiodChip, ReportsRisingAndFallingEdgesWithMonotonicTimestamps) {
  auto request = chip_->request("g2m-test", {input(0), input(1)});
  const bool v2 = gpio::hardware_uapi_version() == 2;
  // One per request on uAPI v2; on v1 each input line's, which the loop reads while it waits, and
  // the reader thread's, which says it took events over while the loop was busy.
  ASSERT_EQ(request->event_fds().size(), v2 ? 1u : 3u);

  auto before = static_cast<std::uint64_t>(monotonic_now().time_since_epoch().count());
  sim_->set_pull(0, true);
  auto rising = next_events(*request);
  auto after = static_cast<std::uint64_t>(monotonic_now().time_since_epoch().count());
  ASSERT_EQ(rising.size(), 1u);
  EXPECT_EQ(rising[0].offset, 0u);
  EXPECT_TRUE(rising[0].rising);
  EXPECT_GE(rising[0].timestamp_ns, before);
  EXPECT_LE(rising[0].timestamp_ns, after);
  EXPECT_EQ(rising[0].line_seqno, v2 ? 1u : 0u);  // v1 has none
  EXPECT_EQ(rising[0].global_seqno, v2 ? 1u : 0u);

  sim_->set_pull(0, false);
  auto falling = next_events(*request);
  ASSERT_EQ(falling.size(), 1u);
  EXPECT_FALSE(falling[0].rising);
  EXPECT_GT(falling[0].timestamp_ns, rising[0].timestamp_ns);
  EXPECT_EQ(falling[0].line_seqno, v2 ? 2u : 0u);

  std::vector<gpio::EdgeEvent> nothing;
  for (int fd : request->event_fds()) request->read_events(fd, nothing);  // nothing more, and no blocking
  EXPECT_TRUE(nothing.empty());
}

TEST_F(ALibgpiodChip, ReportsOnlyTheEdgesAnInputAskedFor) {
  gpio::LineSettings falls = input(0);
  falls.edges = gpio::Edges::kFalling;  // a counter's request
  auto request = chip_->request("g2m-test", {falls});
  for (int i = 0; i < 3; ++i) {
    sim_->set_pull(0, true);
    sim_->set_pull(0, false);
    // The rise before it would come first: only the fall is there, and it is no sign of a loss
    // although the last edge was a fall too.
    auto events = next_events(*request);
    ASSERT_EQ(events.size(), 1u) << "pulse " << i;
    EXPECT_FALSE(events[0].rising);
    EXPECT_EQ(events[0].lost_before, 0u);
  }
}

TEST_F(ALibgpiodChip, NumbersEachLinesEventsAndAllOfTheRequestsOnUapiV2) {
  if (gpio::hardware_uapi_version() < 2) GTEST_SKIP() << "uAPI v1 has no sequence numbers";
  auto request = chip_->request("g2m-test", {input(0), input(1)});
  std::vector<gpio::EdgeEvent> events;
  for (auto [offset, up] : {std::pair{0u, true}, {1u, true}, {0u, false}}) {
    sim_->set_pull(offset, up);
    auto more = next_events(*request);
    events.insert(events.end(), more.begin(), more.end());
  }
  ASSERT_EQ(events.size(), 3u);
  EXPECT_EQ(events[1].offset, 1u);
  EXPECT_EQ(events[1].line_seqno, 1u);
  EXPECT_EQ(events[1].global_seqno, 2u);
  EXPECT_EQ(events[2].line_seqno, 2u);
  EXPECT_EQ(events[2].global_seqno, 3u);
}

TEST_F(ALibgpiodChip, LetsTheKernelDebounceOnUapiV2) {
  if (!chip_->kernel_debounce()) GTEST_SKIP() << "uAPI v1 has no kernel debounce: the bridge debounces";
  auto s = input(0);
  s.debounce = std::chrono::milliseconds(300);
  auto request = chip_->request("g2m-test", {s});
  auto before = static_cast<std::uint64_t>(monotonic_now().time_since_epoch().count());
  for (bool up : {true, false, true}) sim_->set_pull(0, up);  // a bouncing contact, well within 300 ms
  auto events = next_events(*request);
  ASSERT_EQ(events.size(), 1u);  // reported once the line has been stable for the period
  EXPECT_TRUE(events[0].rising);
  EXPECT_GE(events[0].timestamp_ns, before + 300'000'000u);
  EXPECT_TRUE(next_events(*request, std::chrono::milliseconds(600)).empty());
  sim_->set_pull(0, false);
  ASSERT_EQ(next_events(*request).size(), 1u);
}

TEST_F(ALibgpiodChip, InvertsLevelsAndEdgesOfAnActiveLowInput) {
  sim_->set_pull(1, false);
  auto request = chip_->request("g2m-test", {input(1, Bias::kAsIs, /*active_low=*/true)});
  EXPECT_TRUE(request->get_value(1));
  sim_->set_pull(1, true);
  auto events = next_events(*request);
  ASSERT_EQ(events.size(), 1u);
  EXPECT_FALSE(events[0].rising);  // physically rising: the line became inactive
  EXPECT_FALSE(request->get_value(1));
}

TEST_F(ALibgpiodChip, MakesAFloatingLineReadActiveWithAPullUpBias) {
  ASSERT_FALSE(sim_->pulled_up(3));  // gpio-sim's lines start pulled down
  auto up = chip_->request("g2m-test", {input(3, Bias::kPullUp), input(4, Bias::kPullDown)});
  EXPECT_TRUE(up->get_value(3));
  EXPECT_TRUE(sim_->pulled_up(3));  // gpio-sim applies the bias as its pull
  EXPECT_FALSE(up->get_value(4));
}

TEST_F(ALibgpiodChip, DrivesAnOutputsInitialLevelInTheRequestItself) {
  auto request = chip_->request("g2m-test", {output(2, true), output(5, false), output(6, true, /*active_low=*/true)});
  EXPECT_TRUE(sim_->value(2));
  EXPECT_FALSE(sim_->value(5));
  EXPECT_FALSE(sim_->value(6));  // active and active-low: driven low
  EXPECT_TRUE(request->get_value(2));
  EXPECT_TRUE(request->get_value(6));  // logical
  EXPECT_TRUE(request->event_fds().empty());
}

TEST_F(ALibgpiodChip, SetsAnOutputsLevelWithoutDisturbingTheOthers) {
  auto request = chip_->request("g2m-test", {output(2, false), output(5, true), output(6, false, true)});
  request->set_value(2, true);
  EXPECT_TRUE(sim_->value(2));
  EXPECT_TRUE(sim_->value(5));  // libgpiod 1.6's bulk pitfall would have cleared it
  request->set_value(6, true);
  EXPECT_FALSE(sim_->value(6));
  request->set_value(2, false);
  EXPECT_FALSE(sim_->value(2));
  EXPECT_FALSE(request->get_value(2));
  EXPECT_TRUE(request->get_value(5));
}

// gpio-sim emulates open drain/source through gpiolib, and a released line keeps its last `value`
// there, so only the driven level can be checked: the kernel took the flags and drives the line.
TEST_F(ALibgpiodChip, DrivesOpenDrainLowAndOpenSourceHigh) {
  auto request = chip_->request(
      "g2m-test", {output(4, false, false, gpio::Drive::kOpenDrain), output(5, true, false, gpio::Drive::kOpenSource)});
  EXPECT_FALSE(sim_->value(4));
  EXPECT_TRUE(sim_->value(5));
  EXPECT_NO_THROW(request->set_value(4, true));
  EXPECT_NO_THROW(request->set_value(5, false));
}

// The kernel wakes the event fd when the chip goes (Debian's 6.1 does), so the loop learns at once.
TEST_F(ALibgpiodChip, SaysTheChipIsGoneWhenItVanishesUnderARequest) {
  auto request = chip_->request("g2m-test", {input(0), output(2, true)});
  const int fd = request->event_fds().at(0);
  sim_->go_offline();
  ASSERT_TRUE(wait_readable(fd, std::chrono::seconds(2)));
  std::vector<gpio::EdgeEvent> events;
  auto expect_gone = [](const std::function<void()>& call, const std::string& line) {
    auto message = error_of<GpioError>(call);
    EXPECT_TRUE(Contains(message, "line '" + line + "'"));
    EXPECT_TRUE(Contains(message, "the chip is gone"));
  };
  expect_gone([&] { request->read_events(fd, events); }, "button");
  expect_gone([&] { request->get_value(0); }, "button");
  expect_gone([&] { request->set_value(2, false); }, "relay");
  EXPECT_THROW(provider_->open(sim_->dev_path()), GpioError);
  request.reset();  // releasing what is left of a vanished chip must not crash
}

TEST_F(ALibgpiodChip, RefusesToSetAnInputOrALineItDoesNotHold) {
  auto request = chip_->request("g2m-test", {input(0)});
  EXPECT_THROW(request->set_value(0, true), GpioError);
  EXPECT_THROW(request->get_value(7), GpioError);
  std::vector<gpio::EdgeEvent> events;
  EXPECT_THROW(request->read_events(12345, events), GpioError);
}

TEST_F(ALibgpiodChip, NamesTheChipWhenAnOffsetDoesNotExist) {
  EXPECT_TRUE(Contains(error_of<GpioError>([&] { chip_->request("g2m-test", {input(8)}); }),
                       sim_->chip_name() + " [" + sim_->label() + "] has no offset 8"));
}

TEST_F(ALibgpiodChip, FreesItsLinesWhenTheRequestGoes) {
  auto request = chip_->request("g2m-test", {input(0), output(2, true)});
  request.reset();
  auto other = provider_->open(sim_->dev_path());
  EXPECT_NO_THROW(other->request("g2m-second", {input(0), output(2, false)}));
}

TEST_F(ALibgpiodChip, ReleasesTheLinesItGotWhenALaterOneIsBusy) {
  auto holder = provider_->open(sim_->dev_path())->request("g2m-holder", {input(1)});
  EXPECT_THROW(chip_->request("g2m-test", {input(0), output(2, true), input(1)}), GpioError);
  auto other = provider_->open(sim_->dev_path());
  EXPECT_NO_THROW(other->request("g2m-second", {input(0), output(2, false)}));
}

}  // namespace
}  // namespace gpio2mqtt::kernel_test

// Many edges on one line: none lost while the reader keeps up, and what is kept when the caller
// does not read (uAPI v1: the kernel queues 16 events, and our reader thread takes them off as they
// come; v2: the kernel queues the 1024 our request asks for; the numbers are printed for the
// record).
#include <chrono>
#include <fstream>
#include <iostream>
#include <memory>
#include <sstream>
#include <string>
#include <thread>

#include "gpio/hardware.h"
#include "kernel_test.h"

namespace gpio2mqtt::kernel_test {
namespace {

using Clock = std::chrono::steady_clock;

class ABurstOfEdges : public KernelChipTest {
 protected:
  static constexpr int kEdges = 1000;

  void SetUp() override {
    KernelTest::SetUp();
    if (IsSkipped()) return;
    open_sim(make_sim().label(unique_label("burst")).lines(2).name(0, "meter"));
    if (HasFatalFailure()) return;
    request_ = chip_->request("g2m-test", {input(0)});
  }

  // Everything still queued, once the kernel has settled.
  std::vector<gpio::EdgeEvent> drain() {
    std::vector<gpio::EdgeEvent> events;
    while (read_when_ready(*request_, events, std::chrono::milliseconds(200))) {
    }
    return events;
  }

  std::unique_ptr<gpio::LineRequest> request_;
};

TEST_F(ABurstOfEdges, LosesNothingWhenEachEdgeIsReadBeforeTheNext) {
  std::vector<gpio::EdgeEvent> events;
  auto start = Clock::now();
  for (int i = 1; i <= kEdges; ++i) {
    sim_->set_pull(0, i % 2 == 1);
    while (events.size() < static_cast<std::size_t>(i) && read_when_ready(*request_, events, std::chrono::seconds(2))) {
    }
    ASSERT_EQ(events.size(), static_cast<std::size_t>(i)) << "edge " << i << " never arrived";
  }
  auto elapsed = std::chrono::duration<double>(Clock::now() - start).count();
  for (std::size_t i = 0; i < events.size(); ++i) {
    EXPECT_EQ(events[i].rising, i % 2 == 0) << "event " << i;
    if (i > 0) {
      EXPECT_GT(events[i].timestamp_ns, events[i - 1].timestamp_ns) << "event " << i;
    }
  }
  EXPECT_TRUE(drain().empty());
  std::cout << "[ burst    ] paced: " << events.size() << " of " << kEdges << " edges received in " << elapsed << " s ("
            << static_cast<int>(kEdges / elapsed) << " edges/s)\n";
  RecordProperty("paced_received", static_cast<int>(events.size()));
}

TEST_F(ABurstOfEdges, KeepsWhatItsQueueHoldsWhenNothingReadsUntilTheEnd) {
  auto start = Clock::now();
  for (int i = 1; i <= kEdges; ++i) sim_->set_pull(0, i % 2 == 1);
  auto elapsed = std::chrono::duration<double>(Clock::now() - start).count();
  ASSERT_TRUE(wait_until_gpiosim_irqs_handled(std::chrono::seconds(10)));  // the IRQ threads queue the events
  auto events = drain();
  const char* queue = gpio::hardware_uapi_version() >= 2
                          ? "uAPI v2: our request asks for a queue of 1024; beyond it the kernel drops the oldest, and "
                            "the event numbers show the gap"
                          : "uAPI v1 queues 16 per line; our reader thread empties it as the edges come";
  std::cout << "[ burst    ] unpaced: " << events.size() << " of " << kEdges << " edges received (" << elapsed
            << " s to make them, read afterwards); " << queue << "\n";
  RecordProperty("unpaced_received", static_cast<int>(events.size()));
  EXPECT_GE(events.size(), 1u);
  EXPECT_FALSE(request_->get_value(0));  // 1000 edges end low: the level itself is never lost
  if (gpio::hardware_uapi_version() >= 2) {
    // uAPI v2 numbers every event, and the request asks for a queue of 1024 (the kernel's default
    // is 16 per line): the whole burst is kept, no number is missing.
    ASSERT_FALSE(events.empty());
    std::cout << "[ burst    ] uAPI v2: the last event kept is number " << events.back().line_seqno << "\n";
    EXPECT_EQ(events.back().line_seqno, events.size());
  }
}

TEST_F(ABurstOfEdges, KeepsFarMoreEventsThanTheKernelQueuesWhileTheCallerReadsNothing) {
  // 200 edges, 2 ms apart: 0.4 s in which nothing calls read_events(), where uAPI v1's queue
  // holds 16 (32 ms' worth) and keeps at most those without our reader thread. Not all 200: under
  // qemu, gpio-sim and the line's interrupt thread merge some writes into one event.
  constexpr int kPaced = 200;
  constexpr std::size_t kKernelQueue = 16;
  std::uint64_t before = sim_interrupts("g2m-test");
  auto next = Clock::now();
  for (int i = 1; i <= kPaced; ++i) {
    sim_->set_pull(0, i % 2 == 1);
    std::this_thread::sleep_until(next += std::chrono::milliseconds(2));
  }
  ASSERT_TRUE(wait_until_gpiosim_irqs_handled(std::chrono::seconds(10)));  // the IRQ threads queue the events
  std::uint64_t interrupts = sim_interrupts("g2m-test") - before;
  auto events = drain();
  std::uint64_t lost = 0;
  for (const auto& event : events) lost += event.lost_before;
  std::cout << "[ burst    ] paced, read afterwards: " << events.size() << " events (" << lost
            << " drops inferred) for " << kPaced << " writes and " << interrupts << " interrupts\n";
  EXPECT_GT(events.size(), 4 * kKernelQueue);
  EXPECT_LE(events.size(), interrupts);
  ASSERT_FALSE(events.empty());
  EXPECT_FALSE(events.back().rising);  // 200 edges end low
}

TEST_F(ABurstOfEdges, EndsOnTheTrueLevelAfterAnUnpacedBurstOnUapiV1) {
  if (gpio::hardware_uapi_version() >= 2) GTEST_SKIP() << "uAPI v2 drops the oldest and numbers the events";
  for (int i = 1; i <= kEdges + 1; ++i) sim_->set_pull(0, i % 2 == 1);     // ends high
  ASSERT_TRUE(wait_until_gpiosim_irqs_handled(std::chrono::seconds(10)));  // the IRQ threads queue the events
  auto events = drain();
  ASSERT_FALSE(events.empty());
  std::uint64_t lost = 0;
  for (const auto& event : events) lost += event.lost_before;
  std::cout << "[ burst    ] uAPI v1: " << events.size() << " events read of " << kEdges + 1 << ", " << lost
            << " drops seen\n";
  // Unpaced writes come faster than the kernel's interrupt thread, which then sees two writes as
  // one edge in the direction of the level it reads, or faster than our reader: whatever was
  // dropped, the last event is the line's level.
  EXPECT_TRUE(events.back().rising);
}

}  // namespace
}  // namespace gpio2mqtt::kernel_test

// SPDX-License-Identifier: Apache-2.0
// The lazy-unmap flush queue (driver/flush_queue.h) on the host: entries wait for a
// flush that started after them; a full ring, the timeout and drain() flush.
#include <stdexcept>
#include <vector>

#include <gtest/gtest.h>

#include "driver/flush_queue.h"
#include "support/host_os.h"

namespace smmu::driver {
namespace {

struct CpuOs : test::HostOs {
  unsigned cpu = 0;
  unsigned cpu_id() override { return cpu; }
};

struct Fixture {
  CpuOs os;
  unsigned flushes = 0;
  std::vector<uint64_t> released;
  std::function<void()> during_flush;
  std::unique_ptr<FlushQueue> fq;

  explicit Fixture(unsigned entries = 4, unsigned cpus = 2, uint64_t timeout = 10'000'000) {
    FlushQueueConfig c;
    c.entries = entries;
    c.cpus = cpus;
    c.timeout_ns = timeout;
    fq = std::make_unique<FlushQueue>(
        os, c,
        [this] {
          ++flushes;
          if (during_flush) during_flush();
          return SmmuStatus::kOk;
        },
        [this](FlushEntry& e) { released.push_back(e.iova); });
  }
  void queue(uint64_t iova) { fq->queue(iova, 0x1000, Gather{}); }
};

TEST(FlushQueue, NothingIsReleasedBeforeAFlush) {
  Fixture f;
  f.queue(0x1000);
  f.queue(0x2000);
  f.fq->poll();  // before the timeout
  EXPECT_EQ(f.flushes, 0u);
  EXPECT_TRUE(f.released.empty());
  EXPECT_EQ(f.fq->pending(), 2u);
}

TEST(FlushQueue, AFullRingFlushesAndReleasesItsEntries) {
  Fixture f(4);
  for (uint64_t i = 1; i <= 4; ++i) f.queue(i << 12);
  EXPECT_EQ(f.flushes, 0u);
  f.queue(5 << 12);  // the ring is full: flush, release the four, then queue
  EXPECT_EQ(f.flushes, 1u);
  EXPECT_EQ(f.released, (std::vector<uint64_t>{0x1000, 0x2000, 0x3000, 0x4000}));
  EXPECT_EQ(f.fq->pending(), 1u);
  EXPECT_EQ(f.fq->stats().full_flushes.load(), 1u);
}

TEST(FlushQueue, TheTimeoutFlushesEveryRing) {
  Fixture f(8, 2, 1000);
  f.queue(0x1000);
  f.os.cpu = 1;
  f.os.delay_ns(400);
  f.queue(0x2000);
  EXPECT_EQ(f.fq->deadline_ns(), 1000u);  // the first entry armed the timer
  f.os.delay_ns(599);
  f.fq->poll();
  EXPECT_EQ(f.flushes, 0u);
  f.os.delay_ns(1);
  f.fq->poll();
  EXPECT_EQ(f.flushes, 1u);
  EXPECT_EQ(f.released.size(), 2u);
  EXPECT_FALSE(f.fq->timer_armed());
  EXPECT_EQ(f.fq->stats().timeout_flushes.load(), 1u);
}

TEST(FlushQueue, AnEntryQueuedDuringAFlushWaitsForTheNext) {
  Fixture f(8, 2, 1000);
  f.queue(0x1000);
  // While CPU 0's flush runs, CPU 1 unmaps: that flush may have invalidated before the
  // page table changed, so it must not release CPU 1's entry.
  f.during_flush = [&f] {
    f.during_flush = nullptr;
    f.os.cpu = 1;
    f.queue(0x2000);
    f.os.cpu = 0;
  };
  f.fq->drain();
  EXPECT_EQ(f.released, (std::vector<uint64_t>{0x1000}));
  EXPECT_EQ(f.fq->pending(), 1u);
  EXPECT_TRUE(f.fq->timer_armed());
  f.fq->drain();
  EXPECT_EQ(f.released, (std::vector<uint64_t>{0x1000, 0x2000}));
  EXPECT_EQ(f.flushes, 2u);
}

TEST(FlushQueue, RejectsBadConfiguration) {
  CpuOs os;
  FlushQueueConfig c;
  auto flush = [] { return SmmuStatus::kOk; };
  auto release = [](FlushEntry&) {};
  c.entries = 0;
  EXPECT_THROW(FlushQueue(os, c, flush, release), std::invalid_argument);
  c = {};
  c.timeout_ns = 0;
  EXPECT_THROW(FlushQueue(os, c, flush, release), std::invalid_argument);
  c = {};
  EXPECT_THROW(FlushQueue(os, c, nullptr, release), std::invalid_argument);
}

}  // namespace
}  // namespace smmu::driver

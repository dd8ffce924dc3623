// SPDX-License-Identifier: Apache-2.0
// The IOVA allocator (driver/iova_allocator.h) on the host: placement, the per-CPU
// caches and the depot, exhaustion, the time charged, and a randomized run that checks
// no IOVA is handed out twice.
#include <map>
#include <random>
#include <stdexcept>

#include <gtest/gtest.h>

#include "driver/iova_allocator.h"
#include "support/host_os.h"

namespace smmu::driver {
namespace {

constexpr uint64_t kPage = 0x1000;

struct CpuOs : test::HostOs {
  unsigned cpu = 0;
  unsigned cpu_id() override { return cpu; }
};

IovaConfig small_space(unsigned cpus = 1) {
  IovaConfig c;
  c.base = 0x10'0000;
  c.limit = 0x20'0000;  // 256 pages
  c.cpus = cpus;
  return c;
}

TEST(IovaAllocator, AllocatesTopDownAlignedToItsSize) {
  CpuOs os;
  IovaAllocator a(os, small_space());
  EXPECT_EQ(a.alloc(kPage), 0x20'0000 - kPage);
  // 3 pages round up to 4 (a cacheable size), aligned to 16 KiB, below the first.
  EXPECT_EQ(a.alloc(3 * kPage), 0x20'0000 - 8 * kPage);
  EXPECT_EQ(a.pages_for(3 * kPage), 4u);
  EXPECT_EQ(a.pages_for(1), 1u);
  // 40 pages: above the cached sizes, not rounded, aligned to 64 pages.
  EXPECT_EQ(a.pages_for(40 * kPage), 40u);
  EXPECT_EQ(a.alloc(40 * kPage), 0x20'0000 - 64 * kPage);
  EXPECT_EQ(a.tree_pages(), 1u + 4 + 40);
}

TEST(IovaAllocator, FreedRangeIsReusedFromTheCpuCacheWithoutTheTree) {
  CpuOs os;
  IovaAllocator a(os, small_space(2));
  const uint64_t x = a.alloc(kPage);
  a.free(x, kPage);
  EXPECT_EQ(a.cached(), 1u);
  const uint64_t ranges = a.stats().range_allocs.load();
  EXPECT_EQ(a.alloc(kPage), x);
  EXPECT_EQ(a.stats().cache_hits.load(), 1u);
  EXPECT_EQ(a.stats().range_allocs.load(), ranges);
  // Another CPU does not see CPU 0's cache.
  a.free(x, kPage);
  os.cpu = 1;
  EXPECT_NE(a.alloc(kPage), x);
  EXPECT_EQ(a.stats().cache_hits.load(), 1u);
}

TEST(IovaAllocator, FullMagazinesGoThroughTheDepotToOtherCpus) {
  CpuOs os;
  IovaConfig c = small_space(2);
  c.mag_size = 2;
  IovaAllocator a(os, c);
  std::vector<uint64_t> v;
  for (int i = 0; i < 5; ++i) v.push_back(a.alloc(kPage));
  // loaded fills (2), swaps with the empty previous, fills again (2), goes to the depot.
  for (uint64_t x : v) a.free(x, kPage);
  os.cpu = 1;
  const uint64_t got = a.alloc(kPage);
  EXPECT_EQ(a.stats().depot_hits.load(), 1u);
  EXPECT_TRUE(got == v[0] || got == v[1] || got == v[2] || got == v[3]);
}

TEST(IovaAllocator, ExhaustionFlushesTheCachesOnceThenFails) {
  CpuOs os;
  IovaConfig c = small_space();
  c.limit = c.base + 4 * kPage;
  IovaAllocator a(os, c);
  uint64_t p[4];
  for (uint64_t& x : p) x = a.alloc(kPage);
  EXPECT_EQ(a.alloc(kPage), 0u);
  EXPECT_EQ(a.stats().failures.load(), 1u);
  for (uint64_t x : p) a.free(x, kPage);
  // Four single pages sit in the cache: a 4-page range needs them back in the tree.
  EXPECT_EQ(a.alloc(4 * kPage), c.base);
  EXPECT_EQ(a.stats().cache_flushes.load(), 2u);
  EXPECT_EQ(a.cached(), 0u);
}

TEST(IovaAllocator, ChargesTreeAndCacheOperations) {
  CpuOs os;
  IovaConfig c = small_space();
  c.range_op_ns = 150;
  c.cache_op_ns = 10;
  IovaAllocator a(os, c);
  uint64_t t = os.now_ns();
  const uint64_t x = a.alloc(kPage);  // an empty cache (10), then the tree (150)
  EXPECT_EQ(os.now_ns() - t, 160u);
  t = os.now_ns();
  a.free(x, kPage);  // into the cache
  EXPECT_EQ(os.now_ns() - t, 10u);
  t = os.now_ns();
  a.alloc(kPage);  // from the cache
  EXPECT_EQ(os.now_ns() - t, 10u);
  t = os.now_ns();
  const uint64_t big = a.alloc(64 * kPage);  // not cacheable: the tree only
  EXPECT_EQ(os.now_ns() - t, 150u);
  a.free(big, 64 * kPage);
  EXPECT_EQ(os.now_ns() - t, 300u);
}

TEST(IovaAllocator, RejectsBadConfiguration) {
  CpuOs os;
  IovaConfig c = small_space();
  c.limit = c.base;
  EXPECT_THROW(IovaAllocator(os, c), std::invalid_argument);
  c = small_space();
  c.base = 0;
  EXPECT_THROW(IovaAllocator(os, c), std::invalid_argument);
  c = small_space();
  c.cpus = 0;
  EXPECT_THROW(IovaAllocator(os, c), std::invalid_argument);
}

// Random sizes on 4 CPUs; every range handed out lies in the space, is aligned and
// overlaps nothing still outstanding; at the end everything returns to the tree.
TEST(IovaAllocator, RandomizedNeverHandsOutAnOutstandingIova) {
  for (unsigned seed = 1; seed <= 5; ++seed) {
    CpuOs os;
    IovaConfig c = small_space(4);
    c.mag_size = 4;
    c.depot_max = 2;
    IovaAllocator a(os, c);
    std::mt19937 rng(seed);
    std::map<uint64_t, uint64_t> out;  // iova -> size
    std::vector<std::pair<uint64_t, uint64_t>> held;
    for (int step = 0; step < 4000; ++step) {
      os.cpu = rng() % 4;
      if (held.empty() || rng() % 2) {
        const uint64_t size = (1 + rng() % (rng() % 4 ? 8 : 48)) * kPage;
        const uint64_t x = a.alloc(size);
        if (x == 0) continue;  // the space may be full
        const uint64_t span = a.pages_for(size) * kPage;
        ASSERT_GE(x, c.base);
        ASSERT_LE(x + span, c.limit);
        uint64_t align = kPage;
        while (align < span) align <<= 1;
        ASSERT_EQ(x % align, 0u) << "seed " << seed << " step " << step;
        auto next = out.lower_bound(x);
        ASSERT_TRUE(next == out.end() || next->first >= x + span) << "seed " << seed;
        if (next != out.begin()) {
          auto prev = std::prev(next);
          ASSERT_LE(prev->first + a.pages_for(prev->second) * kPage, x) << "seed " << seed;
        }
        out[x] = size;
        held.emplace_back(x, size);
      } else {
        const size_t i = rng() % held.size();
        a.free(held[i].first, held[i].second);
        out.erase(held[i].first);
        held[i] = held.back();
        held.pop_back();
      }
    }
    for (auto& [x, size] : held) a.free(x, size);
    a.flush_caches();
    EXPECT_EQ(a.tree_pages(), 0u) << "seed " << seed;
  }
}

}  // namespace
}  // namespace smmu::driver

// SPDX-License-Identifier: Apache-2.0
// The walker with its walk cache: later walks start below the cached table descriptors,
// with exact read counts and delays; entries are tagged by stage, ASID and VMID; leaves
// are never cached; invalidation makes walks start from the top again.
#include <gtest/gtest.h>

#include <set>
#include <systemc>
#include <vector>

#include "platform/software/table_builder.h"
#include "rtl_model/smmu/regime.h"
#include "rtl_model/smmu/table_walker.h"
#include "support/walk_test_memory.h"

namespace {

using namespace smmu::test;

using namespace smmu;
using model::StageConfig;
using model::WalkCacheEntry;
using model::WalkRequest;
using model::WalkResult;
using sc_core::SC_NS;
using sc_core::sc_time;

model::Stage1Regime s1_regime(uint64_t ttb, uint16_t asid, uint8_t t0sz = 16, uint8_t tg0 = 0) {
  arch::Cd cd;
  cd.valid = cd.aa64 = true;
  cd.t0sz = t0sz;
  cd.tg0 = tg0;
  cd.epd1 = true;
  cd.ips = 5;
  cd.asid = asid;
  cd.ttb0 = ttb;
  model::Stage1Regime r;
  EXPECT_TRUE(model::decode_cd_regime(cd, {}, r, nullptr));
  return r;
}

StageConfig s2_config(uint64_t ttb, uint16_t vmid) {
  arch::Ste ste;
  ste.valid = true;
  ste.config = 6;
  ste.s2aa64 = true;
  ste.s2t0sz = 25;  // 39 bits, level 1
  ste.s2sl0 = 1;
  ste.s2ps = 5;
  ste.s2vmid = vmid;
  ste.s2ttb = ttb;
  StageConfig c;
  EXPECT_TRUE(model::decode_ste_stage2(ste, {}, c, nullptr));
  return c;
}

struct Timed {
  WalkResult r;
  sc_time delay;
};

Timed walk(model::TableWalker& w, uint64_t iova, const model::Stage1Regime* s1,
           const StageConfig* s2, uint16_t vmid = 0) {
  WalkRequest req;
  req.iova = iova;
  req.s1 = s1;
  req.s2 = s2;
  req.vmid = vmid;
  Timed t{{}, sc_core::SC_ZERO_TIME};
  t.r = w.walk(req, t.delay);
  return t;
}

TEST(WalkerCache, Stage1NeighbourPageReadsOnlyTheLeaf) {
  FakeMemory mem;
  platform::PageAllocator alloc(0x10000000, 0x1000000);
  platform::PageTableBuilder b(mem, alloc, arch::Granule{12}, 0, 1, platform::Stage::kS1);
  const uint64_t va = 0x123456789000;
  b.map(va, 0x40000000, 0x400000, s1_rw(), false);  // 1024 pages over two L3 tables
  b.map(va + 0x40000000, 0x80000000, 0x1000, s1_rw(), false);
  model::Stage1Regime s1 = s1_regime(b.root(), 5);
  model::WalkCache cache({});
  model::TableWalker w(mem, &cache, {kLookup});

  Timed t = walk(w, va, &s1, nullptr);
  ASSERT_TRUE(t.r.ok());
  EXPECT_EQ(t.r.memory_reads, 4u);
  EXPECT_EQ(t.r.walk_cache_misses, 1u);
  EXPECT_EQ(t.delay, kReadLatency * 4 + kLookup);
  EXPECT_EQ(cache.occupancy(), 3u);  // level 0, 1 and 2 table descriptors, no leaf
  std::set<int> levels;
  cache.for_each([&](const WalkCacheEntry& e) {
    levels.insert(e.level);
    EXPECT_EQ(e.stage, 1);
    EXPECT_EQ(e.asid, 5);
    EXPECT_EQ(e.vmid, 0);
    EXPECT_TRUE(e.covers(va));
    EXPECT_TRUE(e.next_table_pa_valid);
    EXPECT_EQ(e.next_table, e.next_table_pa);
  });
  EXPECT_EQ(levels, (std::set<int>{0, 1, 2}));

  // The neighbouring page: level-2 entry hit, one read.
  mem.reads.clear();
  t = walk(w, va + 0x1000 + 0x234, &s1, nullptr);
  ASSERT_TRUE(t.r.ok());
  EXPECT_EQ(t.r.out_addr, 0x40001234u);
  EXPECT_EQ(t.r.memory_reads, 1u);
  EXPECT_EQ(t.r.walk_cache_hits, 1u);
  EXPECT_EQ(t.r.walk_cache_misses, 0u);
  EXPECT_EQ(t.delay, kReadLatency + kLookup);
  EXPECT_EQ(mem.reads.front(), b.entry_pa(va + 0x1000, 3, false));

  // Next 2 MiB: the level-1 entry hits, two reads (and a new level-2 entry).
  const uint64_t next2m = (va & ~0x1fffffull) + 0x200000;
  t = walk(w, next2m, &s1, nullptr);
  ASSERT_TRUE(t.r.ok());
  EXPECT_EQ(t.r.memory_reads, 2u);
  EXPECT_EQ(t.delay, kReadLatency * 2 + kLookup);
  EXPECT_EQ(cache.occupancy(), 4u);
  // Next 1 GiB: the level-0 entry hits, three reads.
  t = walk(w, va + 0x40000000, &s1, nullptr);
  ASSERT_TRUE(t.r.ok());
  EXPECT_EQ(t.r.memory_reads, 3u);
  EXPECT_EQ(t.delay, kReadLatency * 3 + kLookup);
  EXPECT_EQ(cache.hits(), 3u);
  EXPECT_EQ(cache.misses(), 1u);
}

TEST(WalkerCache, Stage1EntriesAreTaggedByAsidAndVmid) {
  FakeMemory mem;
  platform::PageAllocator alloc(0x10000000, 0x1000000);
  platform::PageTableBuilder b(mem, alloc, arch::Granule{12}, 0, 1, platform::Stage::kS1);
  b.map(0x200000, 0x40000000, 0x2000, s1_rw(), false);
  model::Stage1Regime asid1 = s1_regime(b.root(), 1);
  model::Stage1Regime asid2 = s1_regime(b.root(), 2);
  model::WalkCache cache({});
  model::TableWalker w(mem, &cache, {kLookup});
  EXPECT_EQ(walk(w, 0x200000, &asid1, nullptr).r.memory_reads, 4u);
  EXPECT_EQ(walk(w, 0x201000, &asid1, nullptr).r.memory_reads, 1u);
  EXPECT_EQ(walk(w, 0x201000, &asid2, nullptr).r.memory_reads, 4u);  // other ASID
  // The request's VMID tags stage-1 entries too.
  Timed t = walk(w, 0x201000, &asid1, nullptr, 7);
  EXPECT_EQ(t.r.memory_reads, 4u);
  EXPECT_EQ(t.r.walk_cache_misses, 1u);
  EXPECT_EQ(walk(w, 0x200000, &asid1, nullptr, 7).r.memory_reads, 1u);
  unsigned n = 0;
  cache.for_each([&](const WalkCacheEntry& e) { n += e.asid == 1 && e.vmid == 7; });
  EXPECT_EQ(n, 3u);

  // Invalidating ASID 1 (any VMID) removes exactly its 6 entries.
  EXPECT_EQ(cache.invalidate_if([](const WalkCacheEntry& e) { return e.stage == 1 && e.asid == 1; }),
            6u);
  EXPECT_EQ(cache.occupancy(), 3u);
  EXPECT_EQ(walk(w, 0x200000, &asid1, nullptr).r.memory_reads, 4u);
  EXPECT_EQ(walk(w, 0x200000, &asid2, nullptr).r.memory_reads, 1u);
}

TEST(WalkerCache, Stage2EntriesAreTaggedByVmid) {
  FakeMemory mem;
  platform::PageAllocator alloc(0x10000000, 0x1000000);
  platform::PageTableBuilder b(mem, alloc, arch::Granule{12}, 1, 1, platform::Stage::kS2);
  b.map(0x40000000, 0x80000000, 0x2000, s2_rw(), false);
  StageConfig vm1 = s2_config(b.root(), 1);
  StageConfig vm2 = s2_config(b.root(), 2);
  model::WalkCache cache({});
  model::TableWalker w(mem, &cache, {kLookup});
  Timed t = walk(w, 0x40000000, nullptr, &vm1);
  EXPECT_EQ(t.r.memory_reads, 3u);
  EXPECT_EQ(t.delay, kReadLatency * 3 + kLookup);
  cache.for_each([](const WalkCacheEntry& e) {
    EXPECT_EQ(e.stage, 2);
    EXPECT_EQ(e.vmid, 1);
    EXPECT_EQ(e.asid, 0);
  });
  EXPECT_EQ(cache.occupancy(), 2u);
  t = walk(w, 0x40001000, nullptr, &vm1);
  EXPECT_EQ(t.r.memory_reads, 1u);
  EXPECT_EQ(t.delay, kReadLatency + kLookup);
  EXPECT_EQ(walk(w, 0x40001000, nullptr, &vm2).r.memory_reads, 3u);
  // An IPA-range invalidation of VMID 1 (TLBI_S2_IPA-like, non-leaf) keeps VMID 2's.
  EXPECT_EQ(cache.invalidate_if([](const WalkCacheEntry& e) {
              return e.stage == 2 && e.vmid == 1 && e.overlaps(0x40000000, 0x40000fff);
            }),
            2u);
  EXPECT_EQ(walk(w, 0x40001000, nullptr, &vm1).r.memory_reads, 3u);
  EXPECT_EQ(walk(w, 0x40000000, nullptr, &vm2).r.memory_reads, 1u);
}

// A nested walk with a warm cache: the stage-1 level-2 entry gives the leaf table's PA
// (stage 2 already applied) and the stage-2 entries shorten the output's translation.
TEST(WalkerCache, NestedWarmWalk) {
  constexpr uint64_t kGuestIpa = 0x20000000, kGuestPa = 0x30000000, kGuestSize = 0x400000;
  FakeMemory mem;
  platform::PageAllocator host(0x10000000, 0x1000000);
  platform::PageAllocator guest(kGuestIpa, kGuestSize);
  platform::PageTableBuilder s2b(mem, host, arch::Granule{12}, 1, 1, platform::Stage::kS2);
  platform::PageTableBuilder s1b(mem, guest, arch::Granule{12}, 0, 1, platform::Stage::kS1,
                                 [&](uint64_t ipa) { return ipa - kGuestIpa + kGuestPa; });
  s2b.map(kGuestIpa, kGuestPa, kGuestSize, s2_rw(), false);
  const uint64_t va = 0x7654321000;
  s1b.map(va, 0x50000000, 0x2000, s1_rw(), false);
  s2b.map(0x50000000, 0x70000000, 0x2000, s2_rw(), false);
  model::Stage1Regime s1 = s1_regime(s1b.root(), 3);
  StageConfig s2 = s2_config(s2b.root(), 4);
  model::WalkCache cache({});
  model::TableWalker w(mem, &cache, {kLookup});

  Timed t = walk(w, va, &s1, &s2, 4);
  ASSERT_TRUE(t.r.ok());
  EXPECT_EQ(t.r.memory_reads, 13u);  // see walker_nested_test: 4 + 3 + 1 + 1 + 1 + 3
  EXPECT_EQ(t.delay, kReadLatency * 13 + kLookup * 6);
  unsigned s1_entries = 0;
  cache.for_each([&](const WalkCacheEntry& e) {
    if (e.stage != 1) return;
    ++s1_entries;
    EXPECT_EQ(e.vmid, 4);
    EXPECT_EQ(e.asid, 3);
    // Table addresses are IPAs in guest RAM; their PAs are stage-2 translated.
    EXPECT_GE(e.next_table, kGuestIpa);
    EXPECT_TRUE(e.next_table_pa_valid);
    EXPECT_EQ(e.next_table_pa, e.next_table - kGuestIpa + kGuestPa);
  });
  EXPECT_EQ(s1_entries, 3u);

  mem.reads.clear();
  t = walk(w, va + 0x1010, &s1, &s2, 4);
  ASSERT_TRUE(t.r.ok());
  EXPECT_EQ(t.r.out_addr, 0x70001010u);
  EXPECT_EQ(t.r.memory_reads, 2u);
  EXPECT_EQ(t.r.walk_cache_hits, 2u);
  EXPECT_EQ(t.delay, kReadLatency * 2 + kLookup * 2);
  EXPECT_EQ(mem.reads[0], s1b.entry_pa(va + 0x1000, 3, false));
  EXPECT_EQ(mem.reads[1], s2b.entry_pa(0x50001000, 3, false));
}

// Stage-1 64K tables over stage-2 4K pages: one PA does not cover a whole stage-1
// table, so a cached stage-1 entry still needs the stage-2 translation of the
// descriptor's IPA.
TEST(WalkerCache, NestedTableLargerThanStage2Page) {
  constexpr uint64_t kGuestIpa = 0x20000000, kGuestPa = 0x30000000, kGuestSize = 0x400000;
  FakeMemory mem;
  platform::PageAllocator host(0x10000000, 0x1000000);
  platform::PageAllocator guest(kGuestIpa, kGuestSize);
  platform::PageTableBuilder s2b(mem, host, arch::Granule{12}, 1, 1, platform::Stage::kS2);
  // Stage-2 pages of guest RAM are scattered (reversed), so a 64K table is not
  // contiguous in PA.
  auto ipa_to_pa = [&](uint64_t ipa) {
    uint64_t page = (ipa - kGuestIpa) >> 12;
    return kGuestPa + ((kGuestSize >> 12) - 1 - page) * 0x1000 + (ipa & 0xfff);
  };
  for (uint64_t off = 0; off < kGuestSize; off += 0x1000)
    s2b.map(kGuestIpa + off, ipa_to_pa(kGuestIpa + off), 0x1000, s2_rw(), false);
  platform::PageTableBuilder s1b(mem, guest, arch::Granule{16}, 1, 1, platform::Stage::kS1,
                                 ipa_to_pa);
  const uint64_t va = 0x123450000;
  s1b.map(va, 0x50000000, 0x20000, s1_rw(), false);
  s2b.map(0x50000000, 0x70000000, 0x20000, s2_rw(), false);
  model::Stage1Regime s1 = s1_regime(s1b.root(), 3, 16, 1);  // 64K, 48-bit: level 1
  ASSERT_EQ(s1.half[0].start_level, 1);
  StageConfig s2 = s2_config(s2b.root(), 4);
  model::WalkCache cache({});
  model::TableWalker w(mem, &cache, {kLookup});

  Timed t = walk(w, va, &s1, &s2, 4);
  ASSERT_TRUE(t.r.ok()) << model::to_string(t.r.fault);
  EXPECT_EQ(t.r.out_addr, 0x70000000u);
  bool found = false;
  cache.for_each([&](const WalkCacheEntry& e) {
    if (e.stage == 1 && e.level == 2) {
      found = true;
      EXPECT_FALSE(e.next_table_pa_valid);
    }
    if (e.stage == 1 && e.level == 1) {
      EXPECT_FALSE(e.next_table_pa_valid);
    }
  });
  EXPECT_TRUE(found);

  // Neighbouring 64K page: stage-1 level-2 hit; the level-3 descriptor's IPA is
  // translated by stage 2 (level-2 hit: one read), then the stage-1 read, then the
  // output (level-2 hit: one read).
  mem.reads.clear();
  t = walk(w, va + 0x10008, &s1, &s2, 4);
  ASSERT_TRUE(t.r.ok());
  EXPECT_EQ(t.r.out_addr, 0x70010008u);
  EXPECT_EQ(t.r.memory_reads, 3u);
  EXPECT_EQ(t.r.walk_cache_hits, 3u);
  EXPECT_EQ(t.delay, kReadLatency * 3 + kLookup * 3);
  EXPECT_EQ(mem.reads[1], s1b.entry_pa(va + 0x10000, 3, false));
  EXPECT_EQ(t.r.leaf_shift, 12u);  // 64K stage-1 page, 4K stage-2 page
}

// Walks that start at level 3 have no table descriptor to find: no lookup, no cost.
TEST(WalkerCache, NoLookupWhenStartingAtLevel3) {
  FakeMemory mem;
  platform::PageAllocator alloc(0x10000000, 0x1000000);
  platform::PageTableBuilder b(mem, alloc, arch::Granule{16}, 3, 1, platform::Stage::kS1);
  b.map(0x10000, 0x40000000, 0x10000, s1_rw(), false);
  model::Stage1Regime s1 = s1_regime(b.root(), 1, 39, 1);  // 64K, 25-bit: level 3
  ASSERT_EQ(s1.half[0].start_level, 3);
  model::WalkCache cache({});
  model::TableWalker w(mem, &cache, {kLookup});
  Timed t = walk(w, 0x10000, &s1, nullptr);
  ASSERT_TRUE(t.r.ok());
  EXPECT_EQ(t.delay, kReadLatency);
  EXPECT_EQ(cache.hits() + cache.misses(), 0u);
}

// Faults do not leave entries for the tables that were not read successfully.
TEST(WalkerCache, FaultingWalkCachesOnlyValidTables) {
  FakeMemory mem;
  platform::PageAllocator alloc(0x10000000, 0x1000000);
  platform::PageTableBuilder b(mem, alloc, arch::Granule{12}, 0, 1, platform::Stage::kS1);
  b.map(0x40000000, 0x40000000, 0x1000, s1_rw(), false);
  b.write_entry(0x40000000, 2, 0);  // level-2 descriptor invalid
  model::Stage1Regime s1 = s1_regime(b.root(), 1);
  model::WalkCache cache({});
  model::TableWalker w(mem, &cache, {kLookup});
  Timed t = walk(w, 0x40000000, &s1, nullptr);
  EXPECT_EQ(t.r.fault, model::FaultType::kTranslation);
  EXPECT_EQ(t.r.level, 2);
  EXPECT_EQ(cache.occupancy(), 2u);  // levels 0 and 1
  // The next walk starts at level 2 and faults there again, one read.
  t = walk(w, 0x40000000, &s1, nullptr);
  EXPECT_EQ(t.r.fault, model::FaultType::kTranslation);
  EXPECT_EQ(t.r.memory_reads, 1u);
  EXPECT_EQ(t.delay, kReadLatency + kLookup);
}

}  // namespace

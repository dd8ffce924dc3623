// SPDX-License-Identifier: Apache-2.0
// The walk cache on its own: deepest-entry lookup, tag matching, hit/miss counting,
// replacement within a set, exact invalidation, parameter checks.
#include <gtest/gtest.h>

#include <set>
#include <stdexcept>
#include <vector>

#include "rtl_model/smmu/walk_cache.h"

namespace {

using smmu::model::ReplacementPolicy;
using smmu::model::WalkCache;
using smmu::model::WalkCacheEntry;
using smmu::model::WalkCacheKey;
using smmu::model::WalkCacheParams;

WalkCacheEntry entry(uint8_t stage, uint16_t vmid, uint16_t asid, int level, uint64_t input,
                     uint64_t next, unsigned gshift = 12) {
  WalkCacheEntry e;
  e.stage = stage;
  e.vmid = vmid;
  e.asid = asid;
  e.level = level;
  e.granule_shift = gshift;
  e.input_base = input;
  e.next_table = e.next_table_pa = next;
  return e;
}

WalkCacheKey key(uint8_t stage, uint16_t vmid, uint16_t asid, uint64_t input, int min_level = 0,
                 unsigned gshift = 12) {
  WalkCacheKey k;
  k.stage = stage;
  k.vmid = vmid;
  k.asid = asid;
  k.input = input;
  k.min_level = min_level;
  k.granule_shift = gshift;
  return k;
}

TEST(WalkCache, DefaultsAre512EntriesFourWayLru) {
  WalkCacheParams p;
  EXPECT_EQ(p.sets, 128u);
  EXPECT_EQ(p.ways, 4u);
  EXPECT_EQ(p.policy, ReplacementPolicy::kLru);
  WalkCache c(p);
  EXPECT_EQ(c.capacity(), 512u);
}

TEST(WalkCache, BadParametersThrowNamingTheKey) {
  try {
    WalkCache c({100, 4, ReplacementPolicy::kLru});
    FAIL();
  } catch (const std::invalid_argument& e) {
    EXPECT_NE(std::string(e.what()).find("walk_cache.sets"), std::string::npos);
  }
  try {
    WalkCache c({128, 0, ReplacementPolicy::kLru});
    FAIL();
  } catch (const std::invalid_argument& e) {
    EXPECT_NE(std::string(e.what()).find("walk_cache.ways"), std::string::npos);
  }
}

TEST(WalkCache, EntryRanges) {
  WalkCacheEntry e = entry(1, 0, 1, 1, 0x40000000, 0);
  EXPECT_EQ(e.input_shift(), 30u);
  EXPECT_EQ(e.input_last(), 0x7fffffffu);
  EXPECT_TRUE(e.covers(0x7fffffff));
  EXPECT_FALSE(e.covers(0x80000000));
  EXPECT_TRUE(e.overlaps(0x3ffff000, 0x40000000));
  EXPECT_FALSE(e.overlaps(0x0, 0x3fffffff));
  EXPECT_EQ(entry(2, 0, 0, 2, 0, 0, 16).input_shift(), 29u);
  EXPECT_EQ(entry(2, 0, 0, 1, 0, 0, 14).input_shift(), 36u);
}

TEST(WalkCache, LookupReturnsTheDeepestEntry) {
  WalkCache c({});
  const uint64_t va = 0x123456789000;
  c.insert(entry(1, 0, 5, 0, va, 0x1000));
  c.insert(entry(1, 0, 5, 1, va, 0x2000));
  auto hit = c.lookup(key(1, 0, 5, va + 0x1000));
  ASSERT_TRUE(hit);
  EXPECT_EQ(hit->level, 1);
  EXPECT_EQ(hit->next_table, 0x2000u);
  // The stored base is aligned down to the entry's span.
  EXPECT_EQ(hit->input_base, va & ~((uint64_t{1} << 30) - 1));
  c.insert(entry(1, 0, 5, 2, va, 0x3000));
  EXPECT_EQ(c.lookup(key(1, 0, 5, va))->level, 2);
  // Outside the level-2 entry's 2 MiB but inside level 1's 1 GiB.
  EXPECT_EQ(c.lookup(key(1, 0, 5, va + 0x200000))->level, 1);
  // Outside level 1's, inside level 0's.
  EXPECT_EQ(c.lookup(key(1, 0, 5, va + 0x40000000))->level, 0);
  // Entries above the walk's start level are not used.
  c.insert(entry(1, 0, 5, 0, 0x8000000000, 0x4000));
  EXPECT_FALSE(c.lookup(key(1, 0, 5, 0x8000000000, 1)));
  EXPECT_TRUE(c.lookup(key(1, 0, 5, 0x8000000000, 0)));
  EXPECT_EQ(c.hits(), 5u);
  EXPECT_EQ(c.misses(), 1u);
}

TEST(WalkCache, TagsMustAllMatch) {
  WalkCache c({});
  c.insert(entry(1, 3, 5, 2, 0x200000, 0x1000));
  c.insert(entry(2, 3, 0, 2, 0x200000, 0x2000));
  EXPECT_EQ(c.lookup(key(1, 3, 5, 0x200000))->next_table, 0x1000u);
  EXPECT_FALSE(c.lookup(key(1, 3, 6, 0x200000)));           // ASID
  EXPECT_FALSE(c.lookup(key(1, 4, 5, 0x200000)));           // VMID
  EXPECT_FALSE(c.lookup(key(1, 3, 5, 0x200000, 0, 14)));    // granule
  EXPECT_FALSE(c.lookup(key(1, 3, 5, 0x400000)));           // address
  // Stage 2 ignores the ASID of the key.
  EXPECT_EQ(c.lookup(key(2, 3, 77, 0x200000))->next_table, 0x2000u);
  EXPECT_FALSE(c.lookup(key(2, 4, 0, 0x200000)));
  EXPECT_EQ(c.hits(), 2u);
  EXPECT_EQ(c.misses(), 5u);
}

TEST(WalkCache, ReinsertReplacesTheSameTag) {
  WalkCache c({});
  c.insert(entry(1, 0, 1, 2, 0x200000, 0x1000));
  c.insert(entry(1, 0, 1, 2, 0x3fffff, 0x2000));  // same 2 MiB, same tag
  EXPECT_EQ(c.occupancy(), 1u);
  EXPECT_EQ(c.lookup(key(1, 0, 1, 0x200000))->next_table, 0x2000u);
}

// Five level-2 entries that hash to one set of a 4-way LRU cache: the least recently
// used one goes.
TEST(WalkCache, LruReplacementWithinASet) {
  WalkCache c({});
  const unsigned target = c.set_index(0, 2, 12);
  std::vector<uint64_t> inputs{0};
  for (uint64_t a = 0x200000; inputs.size() < 5; a += 0x200000)
    if (c.set_index(a, 2, 12) == target) inputs.push_back(a);
  for (int i = 0; i < 4; ++i) c.insert(entry(1, 0, 1, 2, inputs[i], 0x1000 * (i + 1)));
  EXPECT_EQ(c.occupancy(), 4u);
  ASSERT_TRUE(c.lookup(key(1, 0, 1, inputs[0], 2)));  // 0 becomes most recent; 1 is LRU
  c.insert(entry(1, 0, 1, 2, inputs[4], 0x5000));
  EXPECT_EQ(c.occupancy(), 4u);
  EXPECT_EQ(c.evictions(), 1u);
  EXPECT_TRUE(c.lookup(key(1, 0, 1, inputs[0], 2)));
  EXPECT_FALSE(c.lookup(key(1, 0, 1, inputs[1], 2)));
  EXPECT_TRUE(c.lookup(key(1, 0, 1, inputs[2], 2)));
  EXPECT_TRUE(c.lookup(key(1, 0, 1, inputs[3], 2)));
  EXPECT_TRUE(c.lookup(key(1, 0, 1, inputs[4], 2)));
}

TEST(WalkCache, FifoReplacementIgnoresUse) {
  WalkCache c({128, 4, ReplacementPolicy::kFifo});
  const unsigned target = c.set_index(0, 2, 12);
  std::vector<uint64_t> inputs{0};
  for (uint64_t a = 0x200000; inputs.size() < 5; a += 0x200000)
    if (c.set_index(a, 2, 12) == target) inputs.push_back(a);
  for (int i = 0; i < 4; ++i) c.insert(entry(1, 0, 1, 2, inputs[i], 0x1000));
  ASSERT_TRUE(c.lookup(key(1, 0, 1, inputs[0], 2)));
  c.insert(entry(1, 0, 1, 2, inputs[4], 0x5000));
  EXPECT_FALSE(c.lookup(key(1, 0, 1, inputs[0], 2)));  // oldest goes, used or not
  EXPECT_TRUE(c.lookup(key(1, 0, 1, inputs[1], 2)));
}

// The levels and addresses of entries spread over the sets.
TEST(WalkCache, SetsAreSpreadByAddressAndLevel) {
  WalkCache c({});
  std::set<unsigned> used;
  for (uint64_t i = 0; i < 512; ++i) used.insert(c.set_index(i << 21, 2, 12));
  EXPECT_GT(used.size(), 110u);
  // One address: its level-0, -1 and -2 entries are not forced into one set.
  unsigned differing = 0;
  for (uint64_t i = 0; i < 64; ++i) {
    uint64_t a = i << 39;
    differing += c.set_index(a, 0, 12) != c.set_index(a, 1, 12) ||
                 c.set_index(a, 1, 12) != c.set_index(a, 2, 12);
  }
  EXPECT_GT(differing, 60u);
}

TEST(WalkCache, InvalidateIfRemovesExactlyTheSelection) {
  WalkCache c({});
  // ASID 1 and 2 under VMID 0 and VMID 9 (stage 1), and stage-2 entries of VMIDs 9, 10.
  for (uint16_t asid : {1, 2})
    for (uint16_t vmid : {0, 9})
      for (int level = 0; level <= 2; ++level)
        c.insert(entry(1, vmid, asid, level, 0x40000000, 0x1000));
  for (uint16_t vmid : {9, 10})
    for (int level = 1; level <= 2; ++level) c.insert(entry(2, vmid, 0, level, 0x80000000, 0x1000));
  EXPECT_EQ(c.occupancy(), 16u);
  // TLBI_NH_ASID-like: ASID 1 of VMID 9.
  EXPECT_EQ(c.invalidate_if([](const WalkCacheEntry& e) {
              return e.stage == 1 && e.vmid == 9 && e.asid == 1;
            }),
            3u);
  EXPECT_FALSE(c.lookup(key(1, 9, 1, 0x40000000)));
  EXPECT_TRUE(c.lookup(key(1, 0, 1, 0x40000000)));
  EXPECT_TRUE(c.lookup(key(1, 9, 2, 0x40000000)));
  // VA range: only the entries whose span overlaps [0x40200000, 0x40200fff]: levels 0
  // and 1 cover it, level 2's 2 MiB at 0x40000000 does not.
  EXPECT_EQ(c.invalidate_if([](const WalkCacheEntry& e) {
              return e.stage == 1 && e.overlaps(0x40200000, 0x40200fff);
            }),
            6u);
  EXPECT_EQ(c.lookup(key(1, 0, 1, 0x40000000))->level, 2);
  // TLBI_S12_VMALL-like: everything of VMID 9, both stages.
  EXPECT_EQ(c.invalidate_if([](const WalkCacheEntry& e) { return e.vmid == 9; }), 3u);
  EXPECT_TRUE(c.lookup(key(2, 10, 0, 0x80000000)));
  EXPECT_FALSE(c.lookup(key(2, 9, 0, 0x80000000)));
  unsigned left = 0;
  c.for_each([&](const WalkCacheEntry&) { ++left; });
  EXPECT_EQ(left, c.occupancy());
  EXPECT_EQ(left, 4u);
  c.clear();
  EXPECT_EQ(c.occupancy(), 0u);
}

}  // namespace

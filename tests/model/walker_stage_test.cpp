// SPDX-License-Identifier: Apache-2.0
// Single-stage walks: every granule, stage 1 and stage 2, every legal start level, pages
// and blocks, stage-2 concatenated start tables, the TTB1 half and top-byte ignore.
// Every case checks the output, the read count and the exact annotated delay.
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
using model::Access;
using model::FaultType;
using model::StageConfig;
using model::WalkRequest;
using model::WalkResult;
using sc_core::SC_NS;
using sc_core::sc_time;

// Descriptor memory: the builder writes into it, the walker reads it with a fixed
// latency per read; reads of addresses in `aborts` fail (external abort).
uint8_t tg_of(unsigned shift) { return shift == 12 ? 0 : shift == 16 ? 1 : 2; }

arch::S1LeafAttrs s1_rw() {
  arch::S1LeafAttrs a;
  a.af = true;
  a.ap = 1;  // RW at EL0 and EL1
  return a;
}

// A geometry to test: the regime's granule and input size; stage 2 also the SL0 field.
struct Geometry {
  unsigned gshift;
  int stage;
  unsigned input_bits;
  uint8_t sl0;          // stage 2 only
  int expect_start;     // start level the regime must decode to
  unsigned expect_concat;
};

std::string name_of(const testing::TestParamInfo<Geometry>& info) {
  const Geometry& g = info.param;
  return "S" + std::to_string(g.stage) + "_" + std::to_string((1u << g.gshift) / 1024) + "K_" +
         std::to_string(g.input_bits) + "bit_L" + std::to_string(g.expect_start);
}

// The walk regime of one stage, decoded from a CD or an STE as the SMMU would.
struct Regime {
  model::Stage1Regime s1;
  StageConfig s2;
};

Regime decode(const Geometry& g, uint64_t ttb) {
  Regime r;
  std::string why;
  if (g.stage == 1) {
    arch::Cd cd;
    cd.valid = cd.aa64 = true;
    cd.t0sz = static_cast<uint8_t>(64 - g.input_bits);
    cd.tg0 = tg_of(g.gshift);
    cd.epd1 = true;
    cd.ips = 5;
    cd.asid = 7;
    cd.ttb0 = ttb;
    EXPECT_TRUE(model::decode_cd_regime(cd, {}, r.s1, &why)) << why;
  } else {
    arch::Ste ste;
    ste.valid = true;
    ste.config = 6;
    ste.s2aa64 = true;
    ste.s2t0sz = static_cast<uint8_t>(64 - g.input_bits);
    ste.s2sl0 = g.sl0;
    ste.s2tg = tg_of(g.gshift);
    ste.s2ps = 5;
    ste.s2vmid = 3;
    ste.s2ttb = ttb;
    EXPECT_TRUE(model::decode_ste_stage2(ste, {}, r.s2, &why)) << why;
  }
  return r;
}

class WalkerGeometry : public testing::TestWithParam<Geometry> {
 protected:
  FakeMemory mem;
  platform::PageAllocator alloc{0x10000000, 0x10000000};
};

// An input address with a distinct, non-zero index at every level it passes through.
uint64_t spread_address(const arch::Granule& g, int start, unsigned input_bits) {
  uint64_t a = 0;
  for (int l = start; l <= 3; ++l) {
    unsigned bits = l == start ? input_bits - g.level_shift(l) : g.bits_per_level();
    uint64_t entries = uint64_t{1} << bits;
    uint64_t idx = entries > uint64_t(l) + 1 ? entries - 1 - l : entries - 1;
    a |= idx << g.level_shift(l);
  }
  return a;
}

void run_geometry(const Geometry& p, FakeMemory& mem, platform::PageAllocator& alloc,
                  bool with_cache) {
  const arch::Granule g{p.gshift};
  const platform::Stage stage = p.stage == 1 ? platform::Stage::kS1 : platform::Stage::kS2;
  platform::PageTableBuilder b(mem, alloc, g, p.expect_start, p.expect_concat, stage);
  b.set_input_bits(p.input_bits);
  Regime regime = decode(p, b.root());
  const StageConfig& cfg = p.stage == 1 ? regime.s1.half[0] : regime.s2;
  ASSERT_EQ(cfg.start_level, p.expect_start);
  ASSERT_EQ(cfg.concat_tables, p.expect_concat);
  ASSERT_EQ(cfg.ttb, b.root());

  model::WalkCache cache({});
  model::TableWalker walker(mem, with_cache ? &cache : nullptr, {kLookup});
  const unsigned lookups = with_cache && p.expect_start < 3 ? 1 : 0;
  auto walk = [&](uint64_t iova, sc_time& delay) {
    WalkRequest req;
    req.iova = iova;
    if (p.stage == 1)
      req.s1 = &regime.s1;
    else
      req.s2 = &regime.s2;
    return walker.walk(req, delay);
  };

  // A page, reached through every level.
  const uint64_t page_iova = spread_address(g, p.expect_start, p.input_bits);
  const uint64_t page_pa = 0x400000000ull + 5 * g.size();
  if (p.stage == 1)
    b.map(page_iova, page_pa, g.size(), s1_rw(), false);
  else
    b.map(page_iova, page_pa, g.size(), s2_rw(), false);
  {
    sc_time delay = sc_core::SC_ZERO_TIME;
    WalkResult r = walk(page_iova | 0x567, delay);
    ASSERT_TRUE(r.ok()) << model::to_string(r.fault) << " at level " << r.level;
    const unsigned reads = 4 - p.expect_start;
    EXPECT_EQ(r.out_addr, page_pa | 0x567);
    EXPECT_EQ(r.memory_reads, reads);
    EXPECT_EQ(r.level, 3);
    EXPECT_EQ(r.leaf_shift, p.gshift);
    EXPECT_EQ(p.stage == 1 ? r.s1_level : r.s2_level, 3);
    EXPECT_EQ(p.stage == 1 ? r.s1_granule_shift : r.s2_granule_shift, p.gshift);
    EXPECT_EQ(delay, kReadLatency * reads + kLookup * lookups);
    EXPECT_EQ(r.walk_cache_misses, lookups);
    EXPECT_EQ(r.walk_cache_hits, 0u);
  }

  // A block at every level that allows one (from the start level down).
  for (int bl = p.expect_start; bl <= 2; ++bl) {
    if (!g.block_allowed(bl)) continue;
    if (with_cache) cache.clear();  // cold walks only: the page walk filled the cache
    const unsigned shift = g.level_shift(bl);
    const uint64_t span = uint64_t{1} << shift;
    // Same path down to level bl, another entry at level bl.
    const uint64_t blk_iova = (page_iova & ~(span - 1)) ^ span;
    const uint64_t blk_pa = 3 * span;
    if (p.stage == 1)
      b.map(blk_iova, blk_pa, span, s1_rw(), true);
    else
      b.map(blk_iova, blk_pa, span, s2_rw(), true);
    const uint64_t off = (span - 1) & 0x123456789abull & ~uint64_t{7};
    sc_time delay = sc_core::SC_ZERO_TIME;
    WalkResult r = walk(blk_iova | off, delay);
    ASSERT_TRUE(r.ok()) << "block at level " << bl << ": " << model::to_string(r.fault);
    const unsigned reads = bl - p.expect_start + 1;
    EXPECT_EQ(r.out_addr, blk_pa | off) << "block at level " << bl;
    EXPECT_EQ(r.memory_reads, reads) << "block at level " << bl;
    EXPECT_EQ(r.level, bl);
    EXPECT_EQ(r.leaf_shift, shift);
    EXPECT_EQ(delay, kReadLatency * reads + kLookup * lookups);
  }
}

TEST_P(WalkerGeometry, PagesAndBlocksTranslate) { run_geometry(GetParam(), mem, alloc, false); }

TEST_P(WalkerGeometry, ColdWalkCacheAddsOneLookup) { run_geometry(GetParam(), mem, alloc, true); }

INSTANTIATE_TEST_SUITE_P(
    Stage1, WalkerGeometry,
    testing::Values(Geometry{12, 1, 48, 0, 0, 1}, Geometry{12, 1, 40, 0, 0, 1},
                    Geometry{12, 1, 39, 0, 1, 1}, Geometry{12, 1, 31, 0, 1, 1},
                    Geometry{12, 1, 30, 0, 2, 1}, Geometry{12, 1, 25, 0, 2, 1},
                    Geometry{14, 1, 48, 0, 0, 1}, Geometry{14, 1, 47, 0, 1, 1},
                    Geometry{14, 1, 37, 0, 1, 1}, Geometry{14, 1, 36, 0, 2, 1},
                    Geometry{14, 1, 26, 0, 2, 1}, Geometry{14, 1, 25, 0, 3, 1},
                    Geometry{16, 1, 48, 0, 1, 1}, Geometry{16, 1, 43, 0, 1, 1},
                    Geometry{16, 1, 42, 0, 2, 1}, Geometry{16, 1, 30, 0, 2, 1},
                    Geometry{16, 1, 29, 0, 3, 1}, Geometry{16, 1, 25, 0, 3, 1}),
    name_of);

INSTANTIATE_TEST_SUITE_P(
    Stage2, WalkerGeometry,
    testing::Values(Geometry{12, 2, 48, 2, 0, 1}, Geometry{12, 2, 44, 2, 0, 1},
                    Geometry{12, 2, 39, 1, 1, 1}, Geometry{12, 2, 32, 1, 1, 1},
                    Geometry{12, 2, 30, 0, 2, 1}, Geometry{12, 2, 25, 0, 2, 1},
                    Geometry{14, 2, 47, 2, 1, 1}, Geometry{14, 2, 48, 2, 1, 2},
                    Geometry{14, 2, 36, 1, 2, 1}, Geometry{14, 2, 26, 1, 2, 1},
                    Geometry{14, 2, 25, 0, 3, 1}, Geometry{16, 2, 48, 2, 1, 1},
                    Geometry{16, 2, 44, 2, 1, 1}, Geometry{16, 2, 42, 1, 2, 1},
                    Geometry{16, 2, 30, 1, 2, 1}, Geometry{16, 2, 29, 0, 3, 1},
                    Geometry{16, 2, 25, 0, 3, 1}),
    name_of);

// Concatenated stage-2 start tables: the start level resolves up to 4 extra bits.
INSTANTIATE_TEST_SUITE_P(
    Stage2Concatenated, WalkerGeometry,
    testing::Values(Geometry{12, 2, 31, 0, 2, 2}, Geometry{12, 2, 32, 0, 2, 4},
                    Geometry{12, 2, 33, 0, 2, 8}, Geometry{12, 2, 34, 0, 2, 16},
                    Geometry{12, 2, 40, 1, 1, 2}, Geometry{12, 2, 43, 1, 1, 16},
                    Geometry{14, 2, 27, 0, 3, 4}, Geometry{14, 2, 40, 1, 2, 16},
                    Geometry{16, 2, 46, 1, 2, 16}, Geometry{16, 2, 33, 0, 3, 16}),
    name_of);

// The start-level index of a concatenated table continues into the following tables:
// the top IPA of a 40-bit space (4K, SL0 = 1: level 1, 2 tables) is in the second one.
TEST(WalkerConcatenation, TopOfInputSpaceUsesTheLastTable) {
  FakeMemory mem;
  platform::PageAllocator alloc(0x10000000, 0x1000000);
  const arch::Granule g{12};
  for (unsigned input_bits : {31u, 34u, 40u}) {
    const uint8_t sl0 = input_bits == 40 ? 1 : 0;
    const int start = input_bits == 40 ? 1 : 2;
    const unsigned concat = 1u << (input_bits - g.level_shift(start) - 9);
    platform::PageTableBuilder b(mem, alloc, g, start, concat, platform::Stage::kS2);
    Regime reg = decode(Geometry{12, 2, input_bits, sl0, start, concat}, b.root());
    const uint64_t top = (uint64_t{1} << input_bits) - g.size();
    b.map(top, 0x7000000, g.size(), s2_rw(), false);
    b.map(0, 0x7001000, g.size(), s2_rw(), false);
    EXPECT_EQ(b.entry_address(top, start, false), b.root() + concat * g.size() - 8);
    model::TableWalker walker(mem, nullptr, {kLookup});
    for (auto [ipa, pa] : {std::pair<uint64_t, uint64_t>{top + 0x10, 0x7000010}, {0x18, 0x7001018}}) {
      mem.reads.clear();
      sc_time delay = sc_core::SC_ZERO_TIME;
      WalkResult r = walker.translate_stage2(ipa, reg.s2, Access{}, model::FaultClass::kCdFetch, delay);
      ASSERT_TRUE(r.ok()) << input_bits;
      EXPECT_EQ(r.out_addr, pa);
      EXPECT_EQ(r.memory_reads, unsigned(4 - start));
      EXPECT_EQ(delay, kReadLatency * (4 - start));
      // The first read is in the start tables, at the index the IPA's top bits select.
      const uint64_t idx = ipa >> g.level_shift(start);
      EXPECT_EQ(mem.reads.front(), b.root() + idx * 8);
    }
  }
}

// Stage 1 TTB1: VAs with the top bits set walk the TTB1 tree, with its own granule.
TEST(WalkerStage1, Ttb1HalfWithItsOwnGranule) {
  FakeMemory mem;
  platform::PageAllocator alloc(0x10000000, 0x1000000);
  platform::PageTableBuilder lo(mem, alloc, arch::Granule{12}, 1, 1, platform::Stage::kS1);
  platform::PageTableBuilder hi(mem, alloc, arch::Granule{16}, 2, 1, platform::Stage::kS1);
  hi.set_input_bits(39);
  arch::Cd cd;
  cd.valid = cd.aa64 = true;
  cd.t0sz = 25;   // 39-bit, 4K: level 1
  cd.tg0 = 0;
  cd.t1sz = 25;   // 39-bit, 64K: level 2
  cd.tg1 = 3;
  cd.ips = 5;
  cd.ttb0 = lo.root();
  cd.ttb1 = hi.root();
  model::Stage1Regime s1;
  std::string why;
  ASSERT_TRUE(model::decode_cd_regime(cd, {}, s1, &why)) << why;
  const uint64_t hi_va = 0xffffffc000120000ull;  // bits [63:39] ones
  hi.map(hi_va, 0x50000000, 0x10000, s1_rw(), false);
  lo.map(0x120000, 0x60000000, 0x1000, s1_rw(), false);
  model::TableWalker walker(mem, nullptr, {kLookup});
  WalkRequest req;
  req.s1 = &s1;
  sc_time delay = sc_core::SC_ZERO_TIME;
  req.iova = hi_va + 0xabc8;
  WalkResult r = walker.walk(req, delay);
  ASSERT_TRUE(r.ok()) << model::to_string(r.fault);
  EXPECT_EQ(r.out_addr, 0x5000abc8u);
  EXPECT_EQ(r.leaf_shift, 16u);
  EXPECT_EQ(r.s1_granule_shift, 16u);
  EXPECT_EQ(r.memory_reads, 2u);
  req.iova = 0x120ab8;
  r = walker.walk(req, delay);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r.out_addr, 0x60000ab8u);
  EXPECT_EQ(r.memory_reads, 3u);
  EXPECT_EQ(delay, kReadLatency * 5);
}

// Top-byte ignore: per half, the top byte takes no part in the range check.
TEST(WalkerStage1, TopByteIgnorePerHalf) {
  FakeMemory mem;
  platform::PageAllocator alloc(0x10000000, 0x1000000);
  platform::PageTableBuilder lo(mem, alloc, arch::Granule{12}, 0, 1, platform::Stage::kS1);
  platform::PageTableBuilder hi(mem, alloc, arch::Granule{12}, 0, 1, platform::Stage::kS1);
  hi.set_input_bits(48);
  arch::Cd cd;
  cd.valid = cd.aa64 = true;
  cd.t0sz = cd.t1sz = 16;
  cd.tg1 = 2;  // 4K in TG1's encoding
  cd.ips = 5;
  cd.ttb0 = lo.root();
  cd.ttb1 = hi.root();
  lo.map(0x123456789000, 0x40000000, 0x1000, s1_rw(), false);
  hi.map(0xffff123456789000, 0x50000000, 0x1000, s1_rw(), false);
  model::TableWalker walker(mem, nullptr, {kLookup});
  auto walk_with_tbi = [&](uint8_t tbi, uint64_t va) {
    cd.tbi = tbi;
    model::Stage1Regime s1;
    EXPECT_TRUE(model::decode_cd_regime(cd, {}, s1, nullptr));
    WalkRequest req;
    req.s1 = &s1;
    req.iova = va;
    sc_time delay = sc_core::SC_ZERO_TIME;
    return walker.walk(req, delay);
  };
  // Tagged pointers need TBI of their half.
  EXPECT_EQ(walk_with_tbi(0, 0x5a00123456789010).fault, FaultType::kTranslation);
  EXPECT_EQ(walk_with_tbi(2, 0x5a00123456789010).fault, FaultType::kTranslation);
  WalkResult r = walk_with_tbi(1, 0x5a00123456789010);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r.out_addr, 0x40000010u);
  EXPECT_EQ(walk_with_tbi(0, 0x5aff123456789010).fault, FaultType::kTranslation);
  EXPECT_EQ(walk_with_tbi(1, 0x5aff123456789010).fault, FaultType::kTranslation);
  r = walk_with_tbi(2, 0x5aff123456789010);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r.out_addr, 0x50000010u);
  // Untagged addresses work either way.
  EXPECT_TRUE(walk_with_tbi(3, 0xffff123456789010).ok());
  EXPECT_TRUE(walk_with_tbi(0, 0x0000123456789010).ok());
}

// Stage-1-only results: nG and the permissions of the leaf are reported.
TEST(WalkerStage1, ReportsGlobalAndPermissions) {
  FakeMemory mem;
  platform::PageAllocator alloc(0x10000000, 0x1000000);
  platform::PageTableBuilder b(mem, alloc, arch::Granule{12}, 1, 1, platform::Stage::kS1);
  Regime reg = decode(Geometry{12, 1, 39, 0, 1, 1}, b.root());
  arch::S1LeafAttrs a = s1_rw();
  a.ng = true;
  a.ap = 2;  // read-only, EL1 only
  a.uxn = true;
  b.map(0x1000, 0x2000, 0x1000, a, false);
  model::TableWalker walker(mem, nullptr, {kLookup});
  WalkRequest req;
  req.s1 = &reg.s1;
  req.iova = 0x1000;
  req.access.priv = true;
  sc_time delay = sc_core::SC_ZERO_TIME;
  WalkResult r = walker.walk(req, delay);
  ASSERT_TRUE(r.ok());
  EXPECT_FALSE(r.global);
  EXPECT_TRUE(r.perms.s1.read);
  EXPECT_FALSE(r.perms.s1.write);
  EXPECT_FALSE(r.perms.s1.user);
  EXPECT_FALSE(r.perms.s1.uexec);
  EXPECT_TRUE(r.perms.s1.pexec);
  EXPECT_EQ(r.s2_level, -1);
  EXPECT_EQ(r.ipa, 0x2000u);
}

}  // namespace

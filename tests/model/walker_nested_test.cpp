// SPDX-License-Identifier: Apache-2.0
// Nested walks (stage 2 applied to the TTB, to every stage-1 descriptor address and to
// the output) and the public QEMU vector: IOVA 0x8080604567 -> PA 0x4ECBA567 with a 4K
// 4-level walk (indexes 1, 2, 3, 4), stage 1 only, stage 2 only and nested.
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
using model::FaultType;
using model::StageConfig;
using model::WalkRequest;
using model::WalkResult;
using sc_core::SC_NS;
using sc_core::sc_time;

constexpr uint64_t kIova = 0x8080604567ull;
constexpr uint64_t kPa = 0x4ECBA567ull;

arch::Cd vector_cd(uint64_t ttb0) {
  arch::Cd cd;
  cd.valid = cd.aa64 = true;
  cd.t0sz = 16;
  cd.tg0 = 0;
  cd.epd1 = true;
  cd.ips = 4;  // 44 bits
  cd.asid = 0x1e20;
  cd.ttb0 = ttb0;
  return cd;
}

arch::Ste vector_ste(uint8_t config, uint64_t s2ttb) {
  arch::Ste ste;
  ste.valid = true;
  ste.config = config;
  ste.s2aa64 = true;
  ste.s2t0sz = 0x14;  // 44-bit IPA
  ste.s2sl0 = 2;      // level 0
  ste.s2tg = 0;
  ste.s2ps = 5;
  ste.s2vmid = 9;
  ste.s2ttb = s2ttb;
  return ste;
}

TEST(PublicVector, IndexesAreOneTwoThreeFour) {
  const arch::Granule g{12};
  for (int l = 0; l <= 3; ++l) EXPECT_EQ((kIova >> g.level_shift(l)) & 0x1ff, uint64_t(l + 1));
  EXPECT_EQ(kIova & 0xfff, 0x567u);
}

TEST(PublicVector, Stage1Only) {
  FakeMemory mem;
  platform::PageAllocator alloc(0x10000000, 0x100000);
  platform::PageTableBuilder b(mem, alloc, arch::Granule{12}, 0, 1, platform::Stage::kS1);
  b.map(kIova & ~0xfffull, kPa & ~0xfffull, 0x1000, s1_rw(), false);
  model::Stage1Regime s1;
  std::string why;
  ASSERT_TRUE(model::decode_cd_regime(vector_cd(b.root()), {}, s1, &why)) << why;
  EXPECT_EQ(s1.half[0].output_bits, 44u);
  EXPECT_EQ(s1.asid, 0x1e20);
  // The tables hold the expected indexes: each read is at index level + 1.
  model::TableWalker walker(mem, nullptr, {kLookup});
  WalkRequest req;
  req.iova = kIova;
  req.s1 = &s1;
  sc_time delay = sc_core::SC_ZERO_TIME;
  WalkResult r = walker.walk(req, delay);
  ASSERT_TRUE(r.ok()) << model::to_string(r.fault);
  EXPECT_EQ(r.out_addr, kPa);
  EXPECT_EQ(r.memory_reads, 4u);
  EXPECT_EQ(delay, kReadLatency * 4);
  ASSERT_EQ(mem.reads.size(), 4u);
  EXPECT_EQ(mem.reads[0], b.root() + 1 * 8);
  for (int l = 1; l <= 3; ++l) EXPECT_EQ(mem.reads[l] & 0xfff, uint64_t(l + 1) * 8);
}

TEST(PublicVector, Stage2Only) {
  FakeMemory mem;
  platform::PageAllocator alloc(0x10000000, 0x100000);
  platform::PageTableBuilder b(mem, alloc, arch::Granule{12}, 0, 1, platform::Stage::kS2);
  b.set_input_bits(44);
  b.map(kIova & ~0xfffull, kPa & ~0xfffull, 0x1000, s2_rw(), false);
  StageConfig s2;
  std::string why;
  ASSERT_TRUE(model::decode_ste_stage2(vector_ste(6, b.root()), {}, s2, &why)) << why;
  EXPECT_EQ(s2.start_level, 0);
  EXPECT_EQ(s2.input_bits, 44u);
  EXPECT_EQ(s2.concat_tables, 1u);
  model::TableWalker walker(mem, nullptr, {kLookup});
  WalkRequest req;
  req.iova = kIova;
  req.s2 = &s2;
  sc_time delay = sc_core::SC_ZERO_TIME;
  WalkResult r = walker.walk(req, delay);
  ASSERT_TRUE(r.ok()) << model::to_string(r.fault);
  EXPECT_EQ(r.out_addr, kPa);
  EXPECT_EQ(r.ipa, kIova);
  EXPECT_EQ(r.s2_level, 3);
  EXPECT_EQ(r.memory_reads, 4u);
  EXPECT_EQ(delay, kReadLatency * 4);
  ASSERT_EQ(mem.reads.size(), 4u);
  EXPECT_EQ(mem.reads[0], b.root() + 1 * 8);
}

// A nested setup: stage 2 maps guest RAM (IPA kGuestIpa..) to kGuestPa with pages or
// blocks; stage-1 tables are allocated in guest RAM and written through that mapping.
struct NestedSetup {
  static constexpr uint64_t kGuestIpa = 0x20000000, kGuestPa = 0x30000000, kGuestSize = 0x400000;
  FakeMemory mem;
  platform::PageAllocator host{0x10000000, 0x1000000};                 // stage-2 tables (PA)
  platform::PageAllocator guest{kGuestIpa, kGuestSize};                 // stage-1 tables (IPA)
  platform::PageTableBuilder s2b;
  platform::PageTableBuilder s1b;
  model::Stage1Regime s1;
  StageConfig s2;

  NestedSetup(int s2_start, uint8_t s2t0sz, uint8_t sl0, bool s2_blocks)
      : s2b(mem, host, arch::Granule{12}, s2_start, 1, platform::Stage::kS2),
        s1b(mem, guest, arch::Granule{12}, 0, 1, platform::Stage::kS1,
            [](uint64_t ipa) { return ipa - kGuestIpa + kGuestPa; }) {
    s2b.set_input_bits(64 - s2t0sz);
    s2b.map(kGuestIpa, kGuestPa, kGuestSize, s2_rw(), s2_blocks);
    arch::Cd cd = vector_cd(s1b.root());
    cd.ips = 5;
    std::string why;
    EXPECT_TRUE(model::decode_cd_regime(cd, {}, s1, &why)) << why;
    arch::Ste ste = vector_ste(7, s2b.root());
    ste.s2t0sz = s2t0sz;
    ste.s2sl0 = sl0;
    EXPECT_TRUE(model::decode_ste_stage2(ste, {}, s2, &why)) << why;
    EXPECT_EQ(s2.start_level, s2_start);
  }

  WalkResult walk(model::TableWalker& w, uint64_t iova, sc_time& delay) {
    WalkRequest req;
    req.iova = iova;
    req.s1 = &s1;
    req.s2 = &s2;
    req.vmid = s2.tag;
    return w.walk(req, delay);
  }
};

TEST(PublicVector, Nested) {
  // Stage 2: 44-bit IPA from level 0 as in the vector; guest RAM at IPA 0x20000000.
  NestedSetup n(0, 0x14, 2, false);
  const uint64_t out_ipa = 0x6ECBA000;  // the stage-1 output, an IPA
  n.s1b.map(kIova & ~0xfffull, out_ipa, 0x1000, s1_rw(), false);
  n.s2b.map(out_ipa, kPa & ~0xfffull, 0x1000, s2_rw(), false);
  model::TableWalker walker(n.mem, nullptr, {kLookup});
  sc_time delay = sc_core::SC_ZERO_TIME;
  WalkResult r = n.walk(walker, kIova, delay);
  ASSERT_TRUE(r.ok()) << model::to_string(r.fault) << " s2=" << r.fault_stage2;
  EXPECT_EQ(r.out_addr, kPa);
  EXPECT_EQ(r.ipa, out_ipa | 0x567);
  // 4 stage-1 reads, each behind a 4-read stage-2 walk, then 4 for the output.
  EXPECT_EQ(r.memory_reads, 24u);
  EXPECT_EQ(delay, kReadLatency * 24);
  EXPECT_EQ(r.s1_level, 3);
  EXPECT_EQ(r.s2_level, 3);
  EXPECT_EQ(r.leaf_shift, 12u);
}

// 4-level stage 1 over a 3-level stage 2 (39-bit IPA from level 1): (4 + 1) * 3 + 4 = 19
// reads; the read sequence is: 3 stage-2 reads then the stage-1 read (at the translated
// address), four times, then 3 stage-2 reads for the output.
TEST(WalkerNested, FullWalkReadsAndOrder) {
  NestedSetup n(1, 25, 1, false);
  const uint64_t iova = 0x0000123456789abcull;
  const uint64_t out_ipa = 0x4000000000ull - 0x5000;  // top of the 39-bit IPA space
  n.s1b.map(iova & ~0xfffull, out_ipa, 0x1000, s1_rw(), false);
  n.s2b.map(out_ipa, 0x7000000, 0x1000, s2_rw(), false);
  for (bool cached : {false, true}) {
    model::WalkCache cache({});
    model::TableWalker walker(n.mem, cached ? &cache : nullptr, {kLookup});
    n.mem.reads.clear();
    sc_time delay = sc_core::SC_ZERO_TIME;
    WalkResult r = n.walk(walker, iova, delay);
    ASSERT_TRUE(r.ok()) << model::to_string(r.fault);
    EXPECT_EQ(r.out_addr, 0x7000abcu);
    EXPECT_EQ(r.ipa, out_ipa | 0xabc);
    if (!cached) {
      EXPECT_EQ(r.memory_reads, 19u);
      EXPECT_EQ(delay, kReadLatency * 19);
      ASSERT_EQ(n.mem.reads.size(), 19u);
      for (int l = 0; l < 4; ++l) {
        // Stage-1 descriptor of level l: translated into guest RAM's PA range, at the
        // stage-1 index of the IOVA.
        uint64_t s1_read = n.mem.reads[l * 4 + 3];
        EXPECT_GE(s1_read, NestedSetup::kGuestPa);
        EXPECT_LT(s1_read, NestedSetup::kGuestPa + NestedSetup::kGuestSize);
        EXPECT_EQ(s1_read, n.s1b.entry_pa(iova, l, false)) << "level " << l;
        // Stage-2 reads are in the stage-2 tables (host allocator range).
        for (int k = 0; k < 3; ++k) EXPECT_LT(n.mem.reads[l * 4 + k], 0x11000000u);
      }
      EXPECT_EQ(n.mem.reads[18], n.s2b.entry_pa(out_ipa, 3, false));
    } else {
      // Cold cache: the stage-2 walk of the first table IPA fills stage-2 level-1/2
      // entries covering guest RAM, so the next three table IPAs take one read each;
      // the output IPA is in another 1 GiB and walks fully. 6 lookups, 3 of them hits.
      EXPECT_EQ(r.memory_reads, 4u + 3 + 1 + 1 + 1 + 3);
      EXPECT_EQ(r.walk_cache_hits, 3u);
      EXPECT_EQ(r.walk_cache_misses, 3u);
      EXPECT_EQ(delay, kReadLatency * 13 + kLookup * 6);
    }
  }
}

// Stage-2 blocks shorten each stage-2 walk (2M blocks: 2 reads from level 1).
TEST(WalkerNested, Stage2BlocksAndLeafSize) {
  NestedSetup n(1, 25, 1, true);
  // Stage 1: a 2M block; stage 2 maps its output with a 2M block too -> 2M leaf.
  n.s1b.map(0x40000000, 0x80000000, 0x200000, s1_rw(), true);
  n.s2b.map(0x80000000, 0x1c0000000ull, 0x200000, s2_rw(), true);
  // Stage 1: a page; stage 2 maps its output with a 1G block -> 4K leaf.
  n.s1b.map(0x50000000, 0xc0000000, 0x1000, s1_rw(), false);
  n.s2b.map(0xc0000000, 0x100000000ull, 0x40000000, s2_rw(), true);
  model::TableWalker walker(n.mem, nullptr, {kLookup});
  sc_time delay = sc_core::SC_ZERO_TIME;
  WalkResult r = n.walk(walker, 0x40123458, delay);
  ASSERT_TRUE(r.ok()) << model::to_string(r.fault);
  EXPECT_EQ(r.out_addr, 0x1c0123458ull);
  EXPECT_EQ(r.leaf_shift, 21u);
  EXPECT_EQ(r.s1_level, 2);
  EXPECT_EQ(r.s2_level, 2);
  // 3 stage-1 reads, each after a 2-read stage-2 walk, then 2 for the output.
  EXPECT_EQ(r.memory_reads, 3u + 3 * 2 + 2);
  EXPECT_EQ(delay, kReadLatency * 11);

  delay = sc_core::SC_ZERO_TIME;
  r = n.walk(walker, 0x50000010, delay);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r.out_addr, 0x100000010ull);
  EXPECT_EQ(r.leaf_shift, 12u);
  EXPECT_EQ(r.s1_level, 3);
  EXPECT_EQ(r.s2_level, 1);
  EXPECT_EQ(r.memory_reads, 4u + 4 * 2 + 1);
  EXPECT_EQ(delay, kReadLatency * 13);

  // Stage 1 with a 1G block, stage 2 with 2M blocks: the smaller (2M) wins.
  n.s1b.map(0x80000000, 0x80000000, 0x40000000, s1_rw(), true);
  delay = sc_core::SC_ZERO_TIME;
  r = n.walk(walker, 0x80000008, delay);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r.s1_level, 1);
  EXPECT_EQ(r.leaf_shift, 21u);
  EXPECT_EQ(r.out_addr, 0x1c0000008ull);
}

// Permissions of both stages are combined; stage 2 is reported as such.
TEST(WalkerNested, PermissionsOfBothStages) {
  NestedSetup n(1, 25, 1, true);
  arch::S1LeafAttrs s1a = s1_rw();
  n.s1b.map(0x1000, 0x80000000, 0x1000, s1a, false);
  arch::S2LeafAttrs ro = s2_rw();
  ro.s2ap = 1;  // read only
  ro.xn = 2;
  n.s2b.map(0x80000000, 0x90000000, 0x1000, ro, false);
  model::TableWalker walker(n.mem, nullptr, {kLookup});
  WalkRequest req;
  req.iova = 0x1000;
  req.s1 = &n.s1;
  req.s2 = &n.s2;
  sc_time delay = sc_core::SC_ZERO_TIME;
  WalkResult r = walker.walk(req, delay);
  ASSERT_TRUE(r.ok());
  EXPECT_TRUE(r.perms.s1.write);
  EXPECT_FALSE(r.perms.s2.write);
  EXPECT_FALSE(r.perms.s2.uexec);
  EXPECT_FALSE(r.perms.s2.pexec);
  req.access.write = true;
  r = walker.walk(req, delay);
  EXPECT_EQ(r.fault, FaultType::kPermission);
  EXPECT_TRUE(r.fault_stage2);
  EXPECT_EQ(r.fault_class, model::FaultClass::kInputAddress);
  EXPECT_EQ(r.fault_ipa, 0x80000000u);
  EXPECT_EQ(r.level, 3);
}

}  // namespace

// SPDX-License-Identifier: Apache-2.0
// The SMMU's translation path end to end: stream table, CD, walk, TLBs, timing.
#include <gtest/gtest.h>

#include "support/smmu_testbench.h"

using namespace smmu;
using namespace smmu::test;
using platform::CdTableBuilder;
using platform::PageTableBuilder;
using platform::StreamTableBuilder;
using sc_core::sc_time;
using sc_core::SC_NS;

namespace {

constexpr uint64_t kVa = 0x8080604567;  // level-0..3 indexes 1, 2, 3, 4
constexpr uint64_t kPa = 0x4ECBA567;

// A stage-1 stream: linear stream table, one CD, a 4K 4-level table.
struct S1Stream {
  StreamTableBuilder st;
  CdTableBuilder cds;
  PageTableBuilder pt;
  S1Stream(SmmuTestbench& tb, uint32_t sid = 0, uint16_t asid = 0x1e20)
      : st(StreamTableBuilder::linear(tb.writer, tb.alloc, 8)),
        cds(CdTableBuilder::linear(tb.writer, tb.alloc, 0)),
        pt(tb.writer, tb.alloc, arch::Granule{12}, 0) {
    cds.write_cd(0, make_cd_4k(pt.root(), asid, 16, 4));
    st.write_ste(sid, make_s1_ste(cds));
    tb.enable(st);
  }
};

}  // namespace

TEST(SmmuTranslation, PublicVectorStage1) {
  SmmuTestbench tb;
  S1Stream s(tb);
  s.pt.map(kVa & ~0xfffull, kPa & ~0xfffull, 0x1000, rw_s1(), false);
  tb.mem.write64(kPa, 0x1122334455667788ull);

  auto r = tb.dma(kVa);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r.data, 0x1122334455667788ull);
  // uTLB 1 + link 8 + config 2 + STE 50 + CD 50 + main TLB 3 + walk cache 2
  // + 4 descriptor reads 200 + link 8 + the access 50.
  EXPECT_EQ(r.latency, ns(374));
  EXPECT_EQ(tb.smmu.stats().walks, 1u);
  EXPECT_EQ(tb.smmu.stats().walk_reads, 4u);
  EXPECT_TRUE(tb.events().empty());
}

TEST(SmmuTranslation, MicroTlbHitCheaperThanMainTlbHitCheaperThanWalk) {
  SmmuTestbench tb(model::SmmuParams{}, 2);
  S1Stream s(tb);
  s.pt.map(0x8080604000, 0x4ECBA000, 0x2000, rw_s1(), false);

  const auto walk = tb.dma(kVa, {}, 0);
  const auto utlb = tb.dma(kVa, {}, 0);
  const auto main = tb.dma(kVa, {}, 1);            // another port: its uTLB misses
  const auto wc = tb.dma(0x8080605000, {}, 0);     // neighbour page: walk-cache hit
  ASSERT_TRUE(walk.ok() && utlb.ok() && main.ok() && wc.ok());
  EXPECT_EQ(walk.latency, ns(374));
  EXPECT_EQ(utlb.latency, ns(1 + 50));
  EXPECT_EQ(main.latency, ns(1 + 8 + 2 + 3 + 8 + 50));
  EXPECT_EQ(wc.latency, ns(1 + 8 + 2 + 3 + 2 + 50 + 8 + 50));
  EXPECT_LT(utlb.latency, main.latency);
  EXPECT_LT(main.latency, walk.latency);

  const auto& st = tb.smmu.stats();
  EXPECT_EQ(st.micro_tlb_hits, 1u);
  EXPECT_EQ(st.micro_tlb_misses, 3u);
  EXPECT_EQ(st.main_tlb_hits, 1u);
  EXPECT_EQ(st.main_tlb_misses, 2u);
  EXPECT_EQ(st.walk_reads, 5u);
  EXPECT_EQ(tb.smmu.walk_cache().hits(), 1u);
}

TEST(SmmuTranslation, LatencyIsTheSumOfConfiguredParts) {
  model::SmmuParams p;
  p.timing.clock_period = sc_time(2, SC_NS);
  p.timing.micro_tlb_cycles = 3;
  p.timing.link_cycles = 5;
  p.timing.config_cache_cycles = 7;
  p.timing.main_tlb_cycles = 11;
  p.timing.walk_cache_cycles = 13;
  model::MemoryParams m = SmmuTestbench::default_memory();
  m.read_latency = ns(17);
  SmmuTestbench tb(p, 1, m);
  S1Stream s(tb);
  s.pt.map(0x8080604000, 0x4ECBA000, 0x1000, rw_s1(), false);
  const auto r = tb.dma(kVa);
  ASSERT_TRUE(r.ok());
  // 2 ns cycles: uTLB 3, link 5, config 7, main TLB 11, walk cache 13, link 5;
  // 17 ns reads: STE, CD, 4 descriptors, the access.
  EXPECT_EQ(r.latency, ns(2 * (3 + 5 + 7 + 11 + 13 + 5) + 17 * 7));
  EXPECT_EQ(tb.dma(kVa).latency, ns(2 * 3 + 17));
}

TEST(SmmuTranslation, BlockMappingFillsOneTlbEntryForTheBlock) {
  SmmuTestbench tb;
  S1Stream s(tb);
  s.pt.map(0x40000000, 0x80000000, 0x200000, rw_s1(), true);  // one 2 MiB block
  ASSERT_TRUE(tb.dma(0x40000000).ok());
  EXPECT_EQ(tb.smmu.stats().walk_reads, 3u);  // L0, L1, L2 (block)
  ASSERT_TRUE(tb.dma(0x401ff000).ok());        // same block: uTLB hit
  EXPECT_EQ(tb.smmu.stats().walks, 1u);
  EXPECT_EQ(tb.smmu.stats().micro_tlb_hits, 1u);
  unsigned entries = 0;
  tb.smmu.main_tlb().for_each([&](const model::TlbEntry& e) {
    ++entries;
    EXPECT_EQ(e.size_shift, 21);
    EXPECT_EQ(e.level, 2);
    EXPECT_EQ(e.asid, 0x1e20);
    EXPECT_TRUE(e.s1);
    EXPECT_FALSE(e.s2);
  });
  EXPECT_EQ(entries, 1u);
}

TEST(SmmuTranslation, WritesReachTranslatedAddress) {
  SmmuTestbench tb;
  S1Stream s(tb);
  s.pt.map(0x10000, 0x20000000, 0x1000, rw_s1(), false);
  DmaAttrs w;
  w.write = true;
  ASSERT_TRUE(tb.dma(0x10010, w, 0, 8, 0xfeedfacecafebeefull).ok());
  EXPECT_EQ(tb.mem.read64(0x20000010), 0xfeedfacecafebeefull);
  EXPECT_EQ(tb.mem.read64(0x10010), 0u);
}

TEST(SmmuTranslation, MicroTlbReplacesLeastRecentlyUsed) {
  model::SmmuParams p;
  p.micro_tlb.entries = 4;
  SmmuTestbench tb(p);
  S1Stream s(tb);
  s.pt.map(0x0, 0x20000000, 0x10000, rw_s1(), false);
  for (uint64_t page = 0; page < 4; ++page) ASSERT_TRUE(tb.dma(page << 12).ok());
  ASSERT_TRUE(tb.dma(0x0).ok());     // page 0 becomes most recent: hit
  ASSERT_TRUE(tb.dma(0x4000).ok());  // fifth page evicts page 1, the least recent
  EXPECT_EQ(tb.smmu.stats().micro_tlb_hits, 1u);
  ASSERT_TRUE(tb.dma(0x0).ok());
  EXPECT_EQ(tb.smmu.stats().micro_tlb_hits, 2u);
  ASSERT_TRUE(tb.dma(0x1000).ok());  // evicted: a miss, served by the main TLB
  EXPECT_EQ(tb.smmu.stats().micro_tlb_hits, 2u);
  EXPECT_EQ(tb.smmu.stats().main_tlb_hits, 1u);
  EXPECT_EQ(tb.smmu.micro_tlb(0).occupancy(), 4u);
}

TEST(SmmuTranslation, MainTlbSetConflictsEvict) {
  model::SmmuParams p;
  p.main_tlb.sets = 1;
  p.main_tlb.ways = 2;
  p.micro_tlb.entries = 1;
  SmmuTestbench tb(p);
  S1Stream s(tb);
  s.pt.map(0x0, 0x20000000, 0x4000, rw_s1(), false);
  for (uint64_t page : {0, 1, 2}) ASSERT_TRUE(tb.dma(page << 12).ok());
  EXPECT_EQ(tb.smmu.main_tlb().occupancy(), 2u);
  EXPECT_EQ(tb.smmu.main_tlb().evictions(), 1u);
  ASSERT_TRUE(tb.dma(0x0).ok());  // evicted (LRU): walks again
  EXPECT_EQ(tb.smmu.stats().walks, 4u);
  ASSERT_TRUE(tb.dma(0x2000).ok());  // still there
  EXPECT_EQ(tb.smmu.stats().main_tlb_hits, 1u);
}

TEST(SmmuTranslation, Stage2OnlyPublicVector) {
  SmmuTestbench tb;
  auto st = StreamTableBuilder::linear(tb.writer, tb.alloc, 8);
  // S2T0SZ 0x14: 44-bit IPA; S2SL0 2: start at level 0 (4K).
  PageTableBuilder pt(tb.writer, tb.alloc, arch::Granule{12}, 0, 1, platform::Stage::kS2);
  pt.map(kVa & ~0xfffull, kPa & ~0xfffull, 0x1000, rw_s2(), false);
  st.write_ste(3, make_s2_ste(pt.root(), 7, 0x14, 2));
  tb.enable(st);
  tb.mem.write64(kPa, 42);
  DmaAttrs a;
  a.sid = 3;
  const auto r = tb.dma(kVa, a);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r.data, 42u);
  // No CD: uTLB 1 + link 8 + config 2 + STE 50 + TLB 3 + walk cache 2 + 4 reads + link 8 + access.
  EXPECT_EQ(r.latency, ns(1 + 8 + 2 + 50 + 3 + 2 + 200 + 8 + 50));
  bool found = false;
  tb.smmu.main_tlb().for_each([&](const model::TlbEntry& e) {
    found = true;
    EXPECT_EQ(e.vmid, 7);
    EXPECT_TRUE(e.s2);
    EXPECT_FALSE(e.s1);
  });
  EXPECT_TRUE(found);
}

TEST(SmmuTranslation, NestedPublicVector) {
  SmmuTestbench tb;
  auto st = StreamTableBuilder::linear(tb.writer, tb.alloc, 8);
  // Stage 2 maps IPA [0x80000000, +64 MiB) to PA [0x20000000, +64 MiB) and the
  // stage-1 output IPA page to the final PA.
  const uint64_t ipa_base = 0x80000000, pa_base = 0x20000000;
  PageTableBuilder s2(tb.writer, tb.alloc, arch::Granule{12}, 0, 1, platform::Stage::kS2);
  s2.map(ipa_base, pa_base, 0x4000000, rw_s2(), true);
  const uint64_t out_ipa = 0x90000000 | (kPa & 0xfff);
  s2.map(0x90000000, kPa & ~0xfffull, 0x1000, rw_s2(), false);
  auto to_pa = [&](uint64_t ipa) { return ipa - ipa_base + pa_base; };
  // Stage-1 structures live in IPA space.
  platform::PageAllocator ipa_alloc(ipa_base, 0x4000000);
  auto cds = CdTableBuilder::linear(tb.writer, ipa_alloc, 0, to_pa);
  PageTableBuilder s1(tb.writer, ipa_alloc, arch::Granule{12}, 0, 1, platform::Stage::kS1, to_pa);
  s1.map(kVa & ~0xfffull, out_ipa & ~0xfffull, 0x1000, rw_s1(), false);
  cds.write_cd(0, make_cd_4k(s1.root(), 0x1e20, 16, 4));
  arch::Ste ste = make_s2_ste(s2.root(), 9, 0x14, 2);
  ste.config = static_cast<uint8_t>(arch::SteConfig::kNested);
  cds.attach(ste);
  st.write_ste(5, ste);
  tb.enable(st);
  tb.mem.write64(kPa, 77);

  DmaAttrs a;
  a.sid = 5;
  const auto r = tb.dma(kVa, a);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r.data, 77u);
  EXPECT_TRUE(tb.events().empty());
  bool found = false;
  tb.smmu.main_tlb().for_each([&](const model::TlbEntry& e) {
    found = true;
    EXPECT_TRUE(e.s1 && e.s2);
    EXPECT_EQ(e.vmid, 9);
    EXPECT_EQ(e.asid, 0x1e20);
    EXPECT_EQ(e.ipa, out_ipa & ~0xfffull);
    EXPECT_EQ(e.pa, kPa & ~0xfffull);
  });
  EXPECT_TRUE(found);
}

TEST(SmmuTranslation, TwoLevelStreamAndCdTables) {
  SmmuTestbench tb;
  auto st = StreamTableBuilder::two_level(tb.writer, tb.alloc, 16, 8);
  auto cds = CdTableBuilder::two_level(tb.writer, tb.alloc, 12, 2);
  PageTableBuilder pt_a(tb.writer, tb.alloc, arch::Granule{12}, 0);
  PageTableBuilder pt_b(tb.writer, tb.alloc, arch::Granule{12}, 0);
  // Non-global leaves: each ASID has its own translation of VA 0x1000.
  auto ng = rw_s1();
  ng.ng = true;
  pt_a.map(0x1000, 0x20001000, 0x1000, ng, false);
  pt_b.map(0x1000, 0x20002000, 0x1000, ng, false);
  cds.write_cd(5, make_cd_4k(pt_a.root(), 1));
  cds.write_cd(3000, make_cd_4k(pt_b.root(), 2));
  arch::Ste ste = make_s1_ste(cds);
  st.write_ste(0x1234, ste);
  tb.enable(st);
  tb.mem.write64(0x20001000, 0xa);
  tb.mem.write64(0x20002000, 0xb);

  DmaAttrs a;
  a.sid = 0x1234;
  a.ssv = true;
  a.ssid = 5;
  auto ra = tb.dma(0x1000, a);
  a.ssid = 3000;
  auto rb = tb.dma(0x1000, a);
  ASSERT_TRUE(ra.ok());
  ASSERT_TRUE(rb.ok());
  EXPECT_EQ(ra.data, 0xau);
  EXPECT_EQ(rb.data, 0xbu);
  // L1 STE descriptor + STE, then L1 CD descriptor + CD: 4 config reads for the first.
  EXPECT_EQ(ra.latency, ns(1 + 8 + 2 + 4 * 50 + 3 + 2 + 4 * 50 + 8 + 50));
  EXPECT_EQ(tb.smmu.config_stats().ste_misses, 1u);
  EXPECT_EQ(tb.smmu.config_stats().cd_misses, 2u);
}

TEST(SmmuTranslation, Granules16kAnd64k) {
  SmmuTestbench tb;
  auto st = StreamTableBuilder::linear(tb.writer, tb.alloc, 8);
  auto cds = CdTableBuilder::linear(tb.writer, tb.alloc, 2);
  PageTableBuilder pt16(tb.writer, tb.alloc, arch::Granule{14}, 1);  // 47-bit VA
  PageTableBuilder pt64(tb.writer, tb.alloc, arch::Granule{16}, 1);  // 48-bit VA
  pt16.map(0x12344000, 0x30000000, 0x4000, rw_s1(), false);
  pt64.map(0x56780000, 0x31000000, 0x10000, rw_s1(), false);
  arch::Cd c16 = make_cd_4k(pt16.root(), 16, 17);  // 47-bit VA: 16K starts at level 1
  c16.tg0 = 2;
  arch::Cd c64 = make_cd_4k(pt64.root(), 64, 16);
  c64.tg0 = 1;
  cds.write_cd(1, c16);
  cds.write_cd(2, c64);
  st.write_ste(0, make_s1_ste(cds));
  tb.enable(st);
  tb.mem.write64(0x30000123 & ~7ull, 16);
  tb.mem.write64(0x3100abc8, 64);
  DmaAttrs a;
  a.ssv = true;
  a.ssid = 1;
  auto r16 = tb.dma(0x12344120, a);
  a.ssid = 2;
  auto r64 = tb.dma(0x5678abc8, a);
  ASSERT_TRUE(r16.ok());
  ASSERT_TRUE(r64.ok());
  EXPECT_EQ(r16.data, 16u);
  EXPECT_EQ(r64.data, 64u);
  EXPECT_EQ(tb.smmu.stats().walk_reads, 3u + 3u);  // both walk levels 1..3
}

TEST(SmmuTranslation, GlobalEntriesMatchEveryAsid) {
  SmmuTestbench tb;
  auto st = StreamTableBuilder::linear(tb.writer, tb.alloc, 8);
  auto cds = CdTableBuilder::linear(tb.writer, tb.alloc, 2);
  PageTableBuilder pt_a(tb.writer, tb.alloc, arch::Granule{12}, 0);
  PageTableBuilder pt_b(tb.writer, tb.alloc, arch::Granule{12}, 0);
  pt_a.map(0x1000, 0x20001000, 0x1000, rw_s1(), false);  // nG = 0
  pt_b.map(0x1000, 0x20002000, 0x1000, rw_s1(), false);
  cds.write_cd(1, make_cd_4k(pt_a.root(), 1));
  cds.write_cd(2, make_cd_4k(pt_b.root(), 2));
  st.write_ste(0, make_s1_ste(cds));
  tb.enable(st);
  DmaAttrs a;
  a.ssv = true;
  a.ssid = 1;
  ASSERT_TRUE(tb.dma(0x1000, a).ok());
  a.ssid = 2;
  ASSERT_TRUE(tb.dma(0x1000, a).ok());
  // The second stream's ASID hits the global entry the first one filled.
  EXPECT_EQ(tb.smmu.stats().main_tlb_hits, 1u);
  EXPECT_EQ(tb.smmu.stats().walks, 1u);
}

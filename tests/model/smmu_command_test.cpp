// SPDX-License-Identifier: Apache-2.0
// The command queue: every invalidation command removes exactly what it selects from
// every cache; CMD_SYNC completes after earlier work with the exact simulated time;
// illegal commands and aborts stop the queue until software recovers it.
#include <gtest/gtest.h>

#include <set>
#include <string>

#include "support/smmu_testbench.h"

using namespace smmu;
using namespace smmu::test;
using arch::Command;
using arch::Opcode;
using platform::CdTableBuilder;
using platform::PageTableBuilder;
using platform::StreamTableBuilder;
using sc_core::sc_time;
using sc_core::SC_NS;
namespace r = arch::reg;

namespace {

// Streams with every kind of TLB entry:
//   sid 1: S1, VMID 1, ASID 1: 4K pages 0x1000-0x3fff (non-global), a 2 MiB block at 1 GiB
//   sid 2: S1, VMID 1, ASID 2: page 0x1000 (non-global), page 0x200000 (global)
//   sid 3: S2 only, VMID 7: IPA pages 0x1000, 0x2000
//   sid 4: nested, VMID 9, ASID 1: page 0x1000
//   sid 5: S1, VMID 2, ASID 1: page 0x1000 (non-global)
// The walk cache is indexed by address only, so the rig's five streams (all at VA
// 0x1000) would thrash a 4-way set: tests use a 16-way walk cache to keep them all.
model::SmmuParams rig_params() {
  model::SmmuParams p;
  p.walk_cache.sets = 32;
  p.walk_cache.ways = 16;
  return p;
}

struct CacheRig {
  SmmuTestbench& tb;
  StreamTableBuilder st;
  explicit CacheRig(SmmuTestbench& t) : tb(t), st(StreamTableBuilder::linear(t.writer, t.alloc, 6)) {
    auto ng = rw_s1();
    ng.ng = true;
    s1_stream(1, 1, 1, [&](PageTableBuilder& pt) {
      pt.map(0x1000, 0x20001000, 0x3000, ng, false);
      pt.map(0x40000000, 0x20200000, 0x200000, ng, true);
    });
    s1_stream(2, 1, 2, [&](PageTableBuilder& pt) {
      pt.map(0x1000, 0x21001000, 0x1000, ng, false);
      pt.map(0x200000, 0x21200000, 0x1000, rw_s1(), false);
    });
    PageTableBuilder s2(tb.writer, tb.alloc, arch::Granule{12}, 0, 1, platform::Stage::kS2);
    s2.map(0x1000, 0x22001000, 0x2000, rw_s2(), false);
    st.write_ste(3, make_s2_ste(s2.root(), 7, 0x14, 2));
    // Nested: stage 2 is the identity on the first GiB (level-1 blocks).
    PageTableBuilder n2(tb.writer, tb.alloc, arch::Granule{12}, 0, 1, platform::Stage::kS2);
    n2.map(0, 0, uint64_t{1} << 30, rw_s2(), true);
    auto cds = CdTableBuilder::linear(tb.writer, tb.alloc, 0);
    PageTableBuilder n1(tb.writer, tb.alloc, arch::Granule{12}, 0);
    n1.map(0x1000, 0x23001000, 0x1000, ng, false);
    cds.write_cd(0, make_cd_4k(n1.root(), 1));
    arch::Ste nested = make_s2_ste(n2.root(), 9, 0x14, 2);
    nested.config = static_cast<uint8_t>(arch::SteConfig::kNested);
    cds.attach(nested);
    st.write_ste(4, nested);
    s1_stream(5, 2, 1, [&](PageTableBuilder& pt) { pt.map(0x1000, 0x24001000, 0x1000, ng, false); });
    tb.enable(st);
    tb.enable_cmdq(6);
  }

  template <typename Map>
  void s1_stream(uint32_t sid, uint16_t vmid, uint16_t asid, Map&& map) {
    auto cds = CdTableBuilder::linear(tb.writer, tb.alloc, 0);
    PageTableBuilder pt(tb.writer, tb.alloc, arch::Granule{12}, 0);
    map(pt);
    cds.write_cd(0, make_cd_4k(pt.root(), asid));
    st.write_ste(sid, make_s1_ste(cds, vmid));
  }

  void fill() {
    auto go = [&](uint32_t sid, uint64_t va) {
      DmaAttrs a;
      a.sid = sid;
      ASSERT_TRUE(tb.dma(va, a).ok()) << "sid " << sid << " va " << std::hex << va;
    };
    for (uint64_t va : {0x1000, 0x2000, 0x3000, 0x40000000}) go(1, va);
    go(2, 0x1000);
    go(2, 0x200000);
    go(3, 0x1000);
    go(3, 0x2000);
    go(4, 0x1000);
    go(5, 0x1000);
  }

  // The main TLB as strings "v<vmid>:a<asid|G|->:<va>" (a- for S2-only).
  std::set<std::string> tlb() {
    std::set<std::string> out;
    tb.smmu.main_tlb().for_each([&](const model::TlbEntry& e) {
      char buf[64];
      std::string a = !e.s1 ? "-" : e.global ? "G" : std::to_string(e.asid);
      std::snprintf(buf, sizeof buf, "v%u:a%s:%llx", e.vmid, a.c_str(), (unsigned long long)e.va);
      out.insert(buf);
    });
    return out;
  }
  // Walk-cache entries by stage and tags, counted.
  unsigned walk_entries(int stage, uint16_t vmid, int asid = -1) {
    unsigned n = 0;
    tb.smmu.walk_cache().for_each([&](const model::WalkCacheEntry& e) {
      n += e.stage == stage && e.vmid == vmid && (asid < 0 || e.asid == asid);
    });
    return n;
  }
  unsigned utlb_entries(uint32_t sid) {
    unsigned n = 0;
    tb.smmu.micro_tlb(0).for_each([&](const model::MicroTlbEntry& e) { n += e.sid == sid; });
    return n;
  }
  unsigned config_entries(uint32_t sid, bool cd) {
    unsigned n = 0;
    tb.smmu.config_cache().for_each([&](const model::ConfigCacheEntry& e) {
      n += e.sid == sid && (e.kind == model::ConfigCacheEntry::Kind::kCd) == cd;
    });
    return n;
  }

  // Runs cmd followed by a CMD_SYNC and returns the main TLB afterwards.
  std::set<std::string> after(const Command& cmd) {
    tb.submit({cmd, Command(Opcode::kSync)});
    tb.run(ns(10000));
    EXPECT_EQ(tb.cmdq_cons(), tb.cmdq_prod());
    return tlb();
  }
};

const std::set<std::string> kAll = {
    "v1:a1:1000", "v1:a1:2000", "v1:a1:3000", "v1:a1:40000000", "v1:a2:1000", "v1:aG:200000",
    "v7:a-:1000", "v7:a-:2000", "v9:a1:1000", "v2:a1:1000"};

std::set<std::string> without(std::set<std::string> s, std::initializer_list<const char*> gone) {
  for (const char* g : gone) EXPECT_EQ(s.erase(g), 1u) << g;
  return s;
}

Command nh_va(uint16_t vmid, uint16_t asid, uint64_t addr, bool leaf = false) {
  return Command(Opcode::kTlbiNhVa).set_vmid(vmid).set_asid(asid).set_addr(addr).set_leaf(leaf);
}

}  // namespace

TEST(SmmuCommand, RigFillsEveryKindOfEntry) {
  SmmuTestbench tb(rig_params());
  CacheRig rig(tb);
  rig.fill();
  EXPECT_EQ(rig.tlb(), kAll);
  EXPECT_GT(rig.walk_entries(1, 1, 1), 0u);
  EXPECT_GT(rig.walk_entries(2, 7), 0u);
  EXPECT_GT(rig.walk_entries(2, 9), 0u);
  EXPECT_GT(rig.walk_entries(1, 9, 1), 0u);
}

TEST(SmmuCommand, TlbiNhAllSelectsStage1OfTheVmid) {
  SmmuTestbench tb(rig_params());
  CacheRig rig(tb);
  rig.fill();
  auto left = rig.after(Command(Opcode::kTlbiNhAll).set_vmid(1));
  EXPECT_EQ(left, without(kAll, {"v1:a1:1000", "v1:a1:2000", "v1:a1:3000", "v1:a1:40000000",
                                 "v1:a2:1000", "v1:aG:200000"}));
  EXPECT_EQ(rig.walk_entries(1, 1), 0u);
  EXPECT_GT(rig.walk_entries(1, 2), 0u);
  EXPECT_GT(rig.walk_entries(2, 7), 0u);
  EXPECT_EQ(rig.utlb_entries(1), 0u);
  EXPECT_EQ(rig.utlb_entries(5), 1u);
}

TEST(SmmuCommand, TlbiNhAsidKeepsGlobalAndOtherVmids) {
  SmmuTestbench tb(rig_params());
  CacheRig rig(tb);
  rig.fill();
  auto left = rig.after(Command(Opcode::kTlbiNhAsid).set_vmid(1).set_asid(2));
  EXPECT_EQ(left, without(kAll, {"v1:a2:1000"}));
  EXPECT_EQ(rig.walk_entries(1, 1, 2), 0u);
  EXPECT_GT(rig.walk_entries(1, 1, 1), 0u);
}

TEST(SmmuCommand, TlbiNhVaSelectsTheAsidAndGlobalEntries) {
  SmmuTestbench tb(rig_params());
  CacheRig rig(tb);
  rig.fill();
  EXPECT_EQ(rig.after(nh_va(1, 2, 0x200000, true)), without(kAll, {"v1:aG:200000"}));
  EXPECT_EQ(rig.after(nh_va(1, 1, 0x2000, true)), without(kAll, {"v1:aG:200000", "v1:a1:2000"}));
}

TEST(SmmuCommand, TlbiNhVaLeafKeepsWalkCacheNonLeafDoesNot) {
  SmmuTestbench tb(rig_params());
  CacheRig rig(tb);
  rig.fill();
  const unsigned before = rig.walk_entries(1, 1, 1);
  rig.after(nh_va(1, 1, 0x1000, true));
  EXPECT_EQ(rig.walk_entries(1, 1, 1), before);
  rig.after(nh_va(1, 1, 0x1000, false));
  // The level 0..2 tables on the way to 0x1000 go; the path to 1 GiB keeps its level-1+
  // entries that do not cover 0x1000.
  EXPECT_LT(rig.walk_entries(1, 1, 1), before);
  unsigned covering = 0;
  tb.smmu.walk_cache().for_each([&](const model::WalkCacheEntry& e) {
    covering += e.stage == 1 && e.vmid == 1 && e.asid == 1 && e.covers(0x1000);
  });
  EXPECT_EQ(covering, 0u);
  EXPECT_GT(rig.walk_entries(1, 1, 2), 0u);  // another ASID: untouched
}

TEST(SmmuCommand, TlbiNhVaaSelectsEveryAsid) {
  SmmuTestbench tb(rig_params());
  CacheRig rig(tb);
  rig.fill();
  auto left = rig.after(Command(Opcode::kTlbiNhVaa).set_vmid(1).set_addr(0x1000));
  EXPECT_EQ(left, without(kAll, {"v1:a1:1000", "v1:a2:1000"}));
}

TEST(SmmuCommand, TlbiS12VmallSelectsBothStagesOfTheVmid) {
  SmmuTestbench tb(rig_params());
  CacheRig rig(tb);
  rig.fill();
  EXPECT_EQ(rig.after(Command(Opcode::kTlbiS12Vmall).set_vmid(9)), without(kAll, {"v9:a1:1000"}));
  EXPECT_EQ(rig.walk_entries(1, 9), 0u);
  EXPECT_EQ(rig.walk_entries(2, 9), 0u);
  EXPECT_GT(rig.walk_entries(2, 7), 0u);
}

TEST(SmmuCommand, TlbiS2IpaSelectsStage2OnlyEntries) {
  SmmuTestbench tb(rig_params());
  CacheRig rig(tb);
  rig.fill();
  auto left = rig.after(Command(Opcode::kTlbiS2Ipa).set_vmid(7).set_ipa(0x2000).set_leaf(true));
  EXPECT_EQ(left, without(kAll, {"v7:a-:2000"}));
  EXPECT_GT(rig.walk_entries(2, 7), 0u);
  // Combined stage 1+2 entries are left to NH_ALL / S12_VMALL.
  left = rig.after(Command(Opcode::kTlbiS2Ipa).set_vmid(9).set_ipa(0x1000));
  EXPECT_EQ(left, without(kAll, {"v7:a-:2000"}));
  EXPECT_EQ(rig.walk_entries(2, 9), 0u);  // without LEAF its stage-2 table entries go
}

TEST(SmmuCommand, TlbiNsnhAllEmptiesEveryTlb) {
  SmmuTestbench tb(rig_params());
  CacheRig rig(tb);
  rig.fill();
  EXPECT_TRUE(rig.after(Command(Opcode::kTlbiNsnhAll)).empty());
  EXPECT_EQ(tb.smmu.walk_cache().occupancy(), 0u);
  EXPECT_EQ(tb.smmu.micro_tlb(0).occupancy(), 0u);
}

TEST(SmmuCommand, TlbiEl2SelectsNothingHere) {
  SmmuTestbench tb(rig_params());
  CacheRig rig(tb);
  rig.fill();
  EXPECT_EQ(rig.after(Command(Opcode::kTlbiEl2All)), kAll);
  EXPECT_EQ(rig.after(Command(Opcode::kTlbiEl2Asid).set_asid(1)), kAll);
}

TEST(SmmuCommand, RangeTlbiPagesTtlAndGranule) {
  SmmuTestbench tb(rig_params());
  CacheRig rig(tb);
  rig.fill();
  // TG 4K, NUM 1, SCALE 0: two pages from 0x1000.
  EXPECT_EQ(rig.after(nh_va(1, 1, 0x1000, true).set_tg(1).set_num(1)),
            without(kAll, {"v1:a1:1000", "v1:a1:2000"}));
  // A 16K granule does not name 4K entries.
  EXPECT_EQ(rig.after(nh_va(1, 1, 0x0, true).set_tg(2).set_num(3)),
            without(kAll, {"v1:a1:1000", "v1:a1:2000"}));
  // TTL 2 (leaf at level 2) keeps the level-3 page, and names the 2 MiB block.
  EXPECT_EQ(rig.after(nh_va(1, 1, 0x3000, true).set_tg(1).set_ttl(2)),
            without(kAll, {"v1:a1:1000", "v1:a1:2000"}));
  EXPECT_EQ(rig.after(nh_va(1, 1, 0x40000000, true).set_tg(1).set_ttl(2)),
            without(kAll, {"v1:a1:1000", "v1:a1:2000", "v1:a1:40000000"}));
  // NUM and SCALE at their maxima: 32 * 2^31 pages of 4K cover the whole input space.
  // (the global entry goes too: NH_VA names the ASID's entries and global ones).
  EXPECT_EQ(rig.after(nh_va(1, 1, 0x0, true).set_tg(1).set_num(31).set_scale(31).set_ttl(3)),
            without(kAll, {"v1:a1:1000", "v1:a1:2000", "v1:a1:3000", "v1:a1:40000000",
                           "v1:aG:200000"}));
}

TEST(SmmuCommand, RangeFieldsWithoutRilAreIllegal) {
  model::SmmuParams p = rig_params();
  p.features.range_invalidation = false;
  SmmuTestbench tb(p);
  CacheRig rig(tb);
  rig.fill();
  tb.submit({nh_va(1, 1, 0x1000).set_tg(1), Command(Opcode::kSync)});
  tb.run(ns(5000));
  EXPECT_EQ(r::cmdq_cons_error(tb.cmdq_cons()), r::CmdqError::kIll);
  EXPECT_EQ(r::queue_index(tb.cmdq_cons(), 6), 0u);
  EXPECT_EQ(rig.tlb(), kAll);
}

// 16K granule (TG = 0b10) with TTL = 0b01 is reserved without LPA2: CERROR_ILL
// (IHI 0070 §4.4.1.1); TTL = 0b10 with 16K is a valid level-2 scope.
TEST(SmmuCommand, SixteenKTtlOneIsIllegalWithoutLpa2) {
  SmmuTestbench tb(rig_params());
  CacheRig rig(tb);
  rig.fill();
  tb.submit({nh_va(1, 1, 0x1000).set_tg(2).set_ttl(2), nh_va(1, 1, 0x1000).set_tg(2).set_ttl(1),
             Command(Opcode::kSync)});
  tb.run(ns(5000));
  EXPECT_EQ(r::cmdq_cons_error(tb.cmdq_cons()), r::CmdqError::kIll);
  EXPECT_EQ(r::queue_index(tb.cmdq_cons(), 6), 1u);
}

TEST(SmmuCommand, CfgiSteSelectsTheSteItsCdsAndMicroTlbEntries) {
  SmmuTestbench tb(rig_params());
  CacheRig rig(tb);
  rig.fill();
  ASSERT_EQ(rig.config_entries(1, false), 1u);
  ASSERT_EQ(rig.config_entries(1, true), 1u);
  auto left = rig.after(Command(Opcode::kCfgiSte).set_sid(1).set_leaf(true));
  EXPECT_EQ(left, kAll);  // TLB entries are not tagged by StreamID
  EXPECT_EQ(rig.config_entries(1, false), 0u);
  EXPECT_EQ(rig.config_entries(1, true), 0u);
  EXPECT_EQ(rig.utlb_entries(1), 0u);
  EXPECT_EQ(rig.config_entries(2, false), 1u);
  EXPECT_EQ(rig.utlb_entries(2), 2u);
}

TEST(SmmuCommand, CfgiSteRangeAndAll) {
  SmmuTestbench tb(rig_params());
  CacheRig rig(tb);
  rig.fill();
  rig.after(Command(Opcode::kCfgiSteRange).set_sid(2).set_range(0));  // sids 2..3
  EXPECT_EQ(rig.config_entries(1, false), 1u);
  EXPECT_EQ(rig.config_entries(2, false), 0u);
  EXPECT_EQ(rig.config_entries(3, false), 0u);
  EXPECT_EQ(rig.config_entries(4, false), 1u);
  rig.after(Command(Opcode::kCfgiSteRange).set_range(arch::kCfgiAllRange));
  EXPECT_EQ(tb.smmu.config_cache().occupancy(), 0u);
  EXPECT_EQ(tb.smmu.micro_tlb(0).occupancy(), 0u);
}

TEST(SmmuCommand, CfgiCdAndCdAll) {
  SmmuTestbench tb(rig_params());
  CacheRig rig(tb);
  rig.fill();
  rig.after(Command(Opcode::kCfgiCd).set_sid(1).set_ssid(0).set_leaf(true));
  EXPECT_EQ(rig.config_entries(1, true), 0u);
  EXPECT_EQ(rig.config_entries(1, false), 1u);  // the STE stays
  EXPECT_EQ(rig.utlb_entries(1), 0u);
  EXPECT_EQ(rig.utlb_entries(3), 2u);  // S2-only: no CD
  rig.after(Command(Opcode::kCfgiCdAll).set_sid(4));
  EXPECT_EQ(rig.config_entries(4, true), 0u);
  EXPECT_EQ(rig.config_entries(4, false), 1u);
  EXPECT_EQ(rig.config_entries(2, true), 1u);
}

TEST(SmmuCommand, SyncMsiAfterTlbisAtTheExactTime) {
  SmmuTestbench tb(rig_params());
  CacheRig rig(tb);
  rig.fill();
  const uint64_t msi = 0x3000000;
  tb.mem.write32(msi, 0xffffffff);
  // Three single-page TLBIs then a SYNC, published at t = 0.
  tb.submit({nh_va(1, 1, 0x1000), nh_va(1, 1, 0x2000), nh_va(1, 1, 0x3000),
             Command(Opcode::kSync).set_cs(arch::SyncCs::kIrq).set_msiaddr(msi).set_msidata(0)});
  // One fetch of 4 commands (50 ns); each TLBI: 2 cycles + 1 page probe; the SYNC: 2
  // cycles, then the DTI sync with the TBU (8 ns each way, 16 ns), then its MSI write is
  // issued at 77 ns and takes 50 ns.
  tb.run(ns(76));
  EXPECT_EQ(tb.mem.read32(msi), 0xffffffffu);
  EXPECT_EQ(r::queue_index(tb.cmdq_cons(), 6), 3u);
  tb.run(ns(2));  // 78 ns
  EXPECT_EQ(tb.mem.read32(msi), 0u);
  EXPECT_EQ(r::queue_index(tb.cmdq_cons(), 6), 3u);  // CONS passes the SYNC when done
  tb.run(ns(48));  // 126 ns
  EXPECT_EQ(r::queue_index(tb.cmdq_cons(), 6), 3u);
  tb.run(ns(2));  // past 127 ns (sc_start stops before the events of its end time)
  EXPECT_EQ(r::queue_index(tb.cmdq_cons(), 6), 4u);
  const auto& cs = tb.smmu.command_stats();
  EXPECT_EQ(cs.syncs, 1u);
  EXPECT_EQ(cs.sync_latency_max, ns(127));
  EXPECT_EQ(cs.by_opcode[0x12], 3u);
  EXPECT_EQ(cs.fetches, 1u);
}

TEST(SmmuCommand, SyncAfterWholeCacheScansCostsTheScans) {
  SmmuTestbench tb;
  tb.enable_cmdq(6);
  tb.set_reg(r::kCr0, tb.reg(r::kCr0) | r::cr0::kSmmuEn.mask());
  // Two TLBI_NH_ALL: each scans the largest cache (main TLB, 512 sets) at 1 cycle/set.
  tb.submit({Command(Opcode::kTlbiNhAll), Command(Opcode::kTlbiNhAll),
             Command(Opcode::kSync).set_cs(arch::SyncCs::kNone)});
  // The SYNC: 2 cycles and the DTI sync with the TBU they were sent to (8 ns each way).
  tb.run(ns(50 + 2 * (2 + 512) + 1 + 16));
  EXPECT_EQ(r::queue_index(tb.cmdq_cons(), 6), 2u);
  tb.run(ns(2));
  EXPECT_EQ(r::queue_index(tb.cmdq_cons(), 6), 3u);
  EXPECT_EQ(tb.smmu.command_stats().sync_latency_max, ns(50 + 2 * 514 + 2 + 16));
}

TEST(SmmuCommand, FetchesAreBatchedAndWrapTheRing) {
  model::SmmuParams p;
  p.timing.command_fetch_batch = 4;
  SmmuTestbench tb(p);
  tb.enable_cmdq(3);  // 8 entries
  std::vector<Command> six(6, Command(Opcode::kTlbiNhVaa).set_addr(0x1000));
  tb.submit(six);
  tb.run(ns(1000));
  EXPECT_EQ(tb.smmu.command_stats().fetches, 2u);  // 4 + 2
  tb.submit(six);  // indexes 6, 7 | 0..3: the ring end splits a fetch
  tb.run(ns(1000));
  EXPECT_EQ(tb.smmu.command_stats().fetches, 2u + 2u);  // indexes 6-7, then 0-3
  EXPECT_EQ(tb.cmdq_cons(), tb.cmdq_prod());
  EXPECT_EQ(tb.smmu.command_stats().executed, 12u);
}

TEST(SmmuCommand, IllegalCommandStopsQueueUntilAcknowledged) {
  SmmuTestbench tb;
  tb.enable_cmdq(4);
  tb.set_reg(r::kIrqCtrl, r::irq_ctrl::kGerrorIrqEn.mask());
  Command bad = Command::from_words(0x7f, 0);  // unknown opcode
  tb.submit({Command(Opcode::kTlbiNsnhAll), bad, Command(Opcode::kTlbiNsnhAll)});
  tb.run(ns(2000));
  uint32_t cons = tb.cmdq_cons();
  EXPECT_EQ(r::queue_index(cons, 4), 1u);
  EXPECT_EQ(r::cmdq_cons_error(cons), r::CmdqError::kIll);
  EXPECT_EQ(r::gerror_active(static_cast<uint32_t>(tb.reg(r::kGerror)),
                             static_cast<uint32_t>(tb.reg(r::kGerrorN))),
            r::gerror::kCmdqErr.mask());
  EXPECT_EQ(tb.smmu.stats().gerror_irqs, 1u);
  EXPECT_EQ(tb.smmu.command_stats().executed, 1u);
  // Software replaces the command with a CMD_SYNC and acknowledges the error.
  const uint64_t slot = tb.cmdq_base() + 16;
  tb.mem.write64(slot, Command(Opcode::kSync).dw[0]);
  tb.mem.write64(slot + 8, 0);
  tb.set_reg(r::kGerrorN, tb.reg(r::kGerror));
  tb.run(ns(2000));
  EXPECT_EQ(r::queue_index(tb.cmdq_cons(), 4), 3u);
  EXPECT_EQ(tb.smmu.command_stats().executed, 3u);
  EXPECT_EQ(tb.smmu.command_stats().errors_ill, 1u);
}

TEST(SmmuCommand, ReservedBitsAreIllegal) {
  SmmuTestbench tb;
  tb.enable_cmdq(4);
  Command c(Opcode::kTlbiNhAll);
  c.dw[1] = 1;  // NH_ALL has no dw1 fields
  tb.submit({c});
  tb.run(ns(1000));
  EXPECT_EQ(r::cmdq_cons_error(tb.cmdq_cons()), r::CmdqError::kIll);
}

TEST(SmmuCommand, FetchAbortStopsWithAbt) {
  SmmuTestbench tb;
  tb.enable_cmdq(4);
  tb.mem.add_error_range(tb.cmdq_base(), 0x100);
  tb.submit({Command(Opcode::kSync)});
  tb.run(ns(1000));
  EXPECT_EQ(r::cmdq_cons_error(tb.cmdq_cons()), r::CmdqError::kAbt);
  EXPECT_EQ(r::queue_index(tb.cmdq_cons(), 4), 0u);
  EXPECT_EQ(tb.smmu.command_stats().errors_abt, 1u);
}

TEST(SmmuCommand, CmdqDisabledStopsConsumption) {
  SmmuTestbench tb;
  tb.enable_cmdq(4);
  tb.set_reg(r::kCr0, 0);
  tb.submit({Command(Opcode::kSync), Command(Opcode::kSync)});
  tb.run(ns(1000));
  EXPECT_EQ(tb.cmdq_cons(), 0u);
  tb.set_reg(r::kCr0, r::cr0::kCmdqEn.mask());
  tb.run(ns(1000));
  EXPECT_EQ(r::queue_index(tb.cmdq_cons(), 4), 2u);
}

TEST(SmmuCommand, SyncSevAndWiredInterrupt) {
  SmmuTestbench tb;
  tb.enable_cmdq(4);
  auto* sev = watch(tb.smmu.sev_event());
  auto* irq = watch(tb.smmu.cmd_sync_irq.posedge_event());
  tb.submit({Command(Opcode::kSync).set_cs(arch::SyncCs::kSev),
             Command(Opcode::kSync).set_cs(arch::SyncCs::kIrq)});  // no MSI address: wired
  tb.run(ns(1000));
  // Fetch 50 ns, then 2 cycles per SYNC.
  ASSERT_EQ(sev->size(), 1u);
  EXPECT_EQ(sev->front(), ns(52));
  ASSERT_EQ(irq->size(), 1u);
  EXPECT_EQ(irq->front(), ns(54));
  EXPECT_FALSE(tb.smmu.cmd_sync_irq.read());  // a one-cycle pulse
  EXPECT_EQ(tb.smmu.command_stats().syncs, 2u);
}

// No PRI (IDR0.PRI = 0) and no stall model (STALL_MODEL = 0b01): CMD_PRI_RESP, CMD_RESUME
// and CMD_STALL_TERM are CERROR_ILL (IHI 0070 §4.5.2, §4.7.1, §4.7.2), as is a CMD_SYNC
// with the reserved CS = 0b11 (§4.7.3). Each stops the queue at itself.
class SmmuCommandIllegal : public ::testing::TestWithParam<Command> {};

TEST_P(SmmuCommandIllegal, PriStallAndReservedSyncCommandsStopTheQueue) {
  const Command bad = GetParam();
  SmmuTestbench tb;
  tb.enable_cmdq(4);
  tb.submit({Command(Opcode::kSync), bad, Command(Opcode::kSync)});
  tb.run(ns(1000));
  EXPECT_EQ(r::queue_index(tb.cmdq_cons(), 4), 1u);
  EXPECT_EQ(r::cmdq_cons_error(tb.cmdq_cons()), r::CmdqError::kIll);
  EXPECT_TRUE(tb.reg(r::kGerror) & r::gerror::kCmdqErr.mask());
  EXPECT_EQ(tb.smmu.command_stats().errors_ill, 1u);
}

INSTANTIATE_TEST_SUITE_P(Commands, SmmuCommandIllegal,
                         ::testing::Values(Command(Opcode::kPriResp).set_sid(1), Command(Opcode::kResume).set_sid(1),
                                           Command(Opcode::kStallTerm).set_sid(1), Command(Opcode::kSync).set_cs(3)));

TEST(SmmuCommand, PrefetchFillsConfigCacheAndTlbWithoutEvents) {
  SmmuTestbench tb(rig_params());
  CacheRig rig(tb);
  tb.submit({Command(Opcode::kPrefetchConfig).set_sid(2),
             Command(Opcode::kPrefetchAddr).set_sid(1).set_addr(0x3000),
             Command(Opcode::kPrefetchAddr).set_sid(1).set_addr(0x9000),  // unmapped
             Command(Opcode::kSync)});
  tb.run(ns(5000));
  EXPECT_EQ(rig.config_entries(2, false), 1u);
  EXPECT_EQ(rig.tlb(), (std::set<std::string>{"v1:a1:3000"}));
  EXPECT_TRUE(tb.events().empty());
  DmaAttrs a;
  a.sid = 1;
  ASSERT_TRUE(tb.dma(0x3000, a).ok());
  EXPECT_EQ(tb.smmu.stats().main_tlb_hits, 1u);
}

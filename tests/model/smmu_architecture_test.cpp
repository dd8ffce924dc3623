// SPDX-License-Identifier: Apache-2.0
// The SMMU against IHI 0070 where an independent checker found it wrong: fault records
// (CD.R, STE.S2R) and termination (CD.A, IDR0.TERM_MODEL) on every path (walk, main TLB
// hit, micro-TLB hit, CD fetch, nested table walk), default substreams (S1DSS), the
// input address size when stage 1 is bypassed, ILLEGAL table bases, instruction fetches
// and writes marked Instruction, and the ID registers of the new features.
#include <gtest/gtest.h>

#include "support/smmu_testbench.h"

using namespace smmu;
using namespace smmu::test;
using arch::Command;
using arch::EventClass;
using arch::EventId;
using arch::Opcode;
using platform::CdTableBuilder;
using platform::PageTableBuilder;
using platform::StreamTableBuilder;

namespace {

constexpr uint32_t kSid = 1;
constexpr uint64_t kPa = 0x40000000;

// A stage-1 stream (SID 1) with one 4K page table and a CD table of 2^s1cdmax CDs.
struct Rig : Stage1Tables {
  using Stage1Tables::Stage1Tables;
  arch::Cd cd(bool r = true, bool a = true) {
    arch::Cd c = make_cd_4k(pt.root(), 5);
    c.r = r;
    c.a = a;
    return c;
  }
  void stream(const arch::Cd& c, uint8_t s1dss = 0) {
    cds.write_cd(0, c);
    arch::Ste ste = make_s1_ste(cds);
    ste.s1dss = s1dss;
    st.write_ste(kSid, ste);
  }
  void cfgi_cd(uint32_t ssid = 0) {
    tb.submit({Command(Opcode::kCfgiCd).set_sid(kSid).set_ssid(ssid).set_leaf(true),
               Command(Opcode::kSync)});
    tb.run(ns(10000));
    ASSERT_EQ(tb.cmdq_cons(), tb.cmdq_prod());
  }
};

DmaAttrs attrs(bool write = false, bool priv = false, bool exec = false) {
  DmaAttrs a;
  a.sid = kSid;
  a.write = write;
  a.priv = priv;
  a.exec = exec;
  return a;
}

DmaAttrs with_ssid(uint32_t ssid) {
  DmaAttrs a = attrs();
  a.ssid = ssid;
  a.ssv = true;
  return a;
}

// A stage-1 leaf with the access flag and the given AP (0 EL1 RW, 1 RW at both, 2 EL1
// RO, 3 RO at both), PXN and UXN.
arch::S1LeafAttrs leaf(uint8_t ap, bool pxn = false, bool uxn = false) {
  arch::S1LeafAttrs a = rw_s1();
  a.ap = ap;
  a.pxn = pxn;
  a.uxn = uxn;
  return a;
}

arch::S1LeafAttrs read_only() { return leaf(3); }

arch::EventRecord single_event(SmmuTestbench& tb) {
  auto evs = tb.events();
  EXPECT_EQ(evs.size(), 1u);
  return evs.empty() ? arch::EventRecord{} : evs.front();
}

// A read of 0x1000 by stream sid is refused with the one event `id`.
void expect_refused(SmmuTestbench& tb, uint32_t sid, EventId id) {
  DmaAttrs a = attrs();
  a.sid = sid;
  EXPECT_FALSE(tb.dma(0x1000, a).ok()) << sid;
  auto evs = tb.events();
  ASSERT_EQ(evs.size(), 1u) << sid;
  EXPECT_EQ(evs[0].id, id) << sid;
}

// The one event recorded since the last call, which must be `id`.
arch::EventRecord single_event(SmmuTestbench& tb, EventId id) {
  const arch::EventRecord ev = single_event(tb);
  EXPECT_EQ(ev.id, id);
  return ev;
}

}  // namespace

// ---------------------------------------------------------------------------------------
// CD.R (IHI 0070 §5.5): R = 0 suppresses the record of stage-1 Translation-related
// faults; the transaction still aborts. Other faults are always recorded.

TEST(SmmuArchitecture, CdR0SuppressesStage1FaultRecordsOnTheWalk) {
  SmmuTestbench tb;
  Rig rig(tb);
  arch::Cd c = rig.cd(false);
  c.ips = 4;  // 44 bits
  rig.stream(c);
  rig.enable();
  EXPECT_EQ(tb.dma(0x5000, attrs()).status, tlm::TLM_ADDRESS_ERROR_RESPONSE);  // unmapped
  EXPECT_TRUE(tb.events().empty());
  EXPECT_EQ(tb.smmu.stats().faults, 0u);   // terminated without an event:
  EXPECT_EQ(tb.smmu.stats().aborted, 1u);  // counted as aborted
  EXPECT_EQ(tb.smmu.stats().faults_unrecorded, 1u);
  EXPECT_EQ(tb.smmu.stats().events, 0u);
  // An Address Size fault is Translation-related too.
  rig.pt.map(0x6000, uint64_t{1} << 46, 0x1000, rw_s1(), false);
  EXPECT_FALSE(tb.dma(0x6000, attrs()).ok());
  EXPECT_TRUE(tb.events().empty());
}

TEST(SmmuArchitecture, CdR0StillRecordsExternalAbortsOfTheWalk) {
  SmmuTestbench tb;
  Rig rig(tb);
  rig.pt.map(0x1000, kPa, 0x1000, rw_s1(), false);
  rig.stream(rig.cd(false));
  rig.enable();
  const uint64_t l3 = rig.pt.entry_pa(0x1000, 3, false);
  tb.mem.add_error_range(l3 & ~uint64_t{0xfff}, 0x1000);
  EXPECT_FALSE(tb.dma(0x1000, attrs()).ok());
  EXPECT_EQ(single_event(tb).id, EventId::kWalkEabt);
}

// Permission faults raised on TLB hits follow the R that was in force when the entry
// was filled: the micro TLB carries it, the main TLB hit uses the resolved config.
// CFGI_CD makes a new R exact.
TEST(SmmuArchitecture, CdRGovernsTlbHitFaultsAndCfgiCdMakesAChangeExact) {
  SmmuTestbench tb({}, 2);
  Rig rig(tb);
  rig.pt.map(0x1000, kPa, 0x1000, read_only(), false);
  rig.stream(rig.cd(false));
  rig.enable();
  tb.enable_cmdq();
  ASSERT_TRUE(tb.dma(0x1000, attrs(), 0).ok());  // fills the main TLB and port 0's uTLB
  EXPECT_EQ(tb.dma(0x1000, attrs(true), 0).status, tlm::TLM_ADDRESS_ERROR_RESPONSE);
  auto st = [&] { return tb.smmu.stats(); };  // a snapshot per call
  EXPECT_EQ(st().micro_tlb_hits, 1u);
  EXPECT_EQ(tb.dma(0x1000, attrs(true), 1).status, tlm::TLM_ADDRESS_ERROR_RESPONSE);
  EXPECT_EQ(st().main_tlb_hits, 1u);  // port 1: uTLB miss, main TLB hit
  EXPECT_EQ(st().walks, 1u);
  EXPECT_TRUE(tb.events().empty());
  EXPECT_EQ(st().faults_unrecorded, 2u);

  // R = 1 in memory, then CFGI_CD: both hit paths record from now on.
  rig.cds.write_cd(0, rig.cd(true));
  rig.cfgi_cd();
  EXPECT_FALSE(tb.dma(0x1000, attrs(true), 0).ok());  // uTLB entry gone: main TLB hit
  EXPECT_FALSE(tb.dma(0x1000, attrs(true), 0).ok());  // refilled uTLB: uTLB hit
  EXPECT_EQ(st().micro_tlb_hits, 2u);
  EXPECT_EQ(st().walks, 1u);  // the TLB entry survived CFGI_CD; only the config changed
  const auto evs = tb.events();
  ASSERT_EQ(evs.size(), 2u);
  for (const auto& ev : evs) {
    EXPECT_EQ(ev.id, EventId::kPermission);
    EXPECT_FALSE(ev.s2);
  }
}

// Configuration errors are always recorded, whatever R says (§5.5).
TEST(SmmuArchitecture, ConfigurationErrorsIgnoreCdR) {
  SmmuTestbench tb;
  Rig rig(tb);
  arch::Cd c = rig.cd(false);
  c.tg0 = 3;  // reserved: C_BAD_CD
  rig.stream(c);
  rig.enable();
  EXPECT_FALSE(tb.dma(0x1000, attrs()).ok());
  EXPECT_EQ(single_event(tb).id, EventId::kBadCd);
}

// ---------------------------------------------------------------------------------------
// STE.S2R (§3.12, §5.5): stage-2 faults, including those of a nested stage-1 table walk
// and of a CD fetch from IPA space, are recorded only with S2R = 1. Stage-1 faults of a
// nested stream follow CD.R.

namespace {

// A nested stream: stage 2 maps IPA [0x80000000, +64 MiB) to PA [0x20000000, +64 MiB),
// where the CD and the stage-1 tables live, and IPA 0x90000000 to kPa.
struct NestedRig {
  SmmuTestbench& tb;
  StreamTableBuilder st;
  PageTableBuilder s2;
  platform::PageAllocator ipa_alloc{0x80000000, 0x4000000};
  CdTableBuilder cds;
  PageTableBuilder s1;
  static uint64_t to_pa(uint64_t ipa) { return ipa - 0x80000000 + 0x20000000; }
  explicit NestedRig(SmmuTestbench& t)
      : tb(t),
        st(StreamTableBuilder::linear(t.writer, t.alloc, 6)),
        s2(t.writer, t.alloc, arch::Granule{12}, 0, 1, platform::Stage::kS2),
        cds(CdTableBuilder::linear(t.writer, ipa_alloc, 0, to_pa)),
        s1(t.writer, ipa_alloc, arch::Granule{12}, 0, 1, platform::Stage::kS1, to_pa) {
    s2.map(0x80000000, 0x20000000, 0x4000000, rw_s2(), false);
    s2.map(0x90000000, kPa, 0x1000, rw_s2(), false);
    s1.map(0x1000, 0x90000000, 0x1000, rw_s1(), false);
  }
  void stream(bool s2r, bool cd_r = true, bool cd_a = true, bool s2ptw = false) {
    arch::Cd cd = make_cd_4k(s1.root(), 7, 16, 4);
    cd.r = cd_r;
    cd.a = cd_a;
    cds.write_cd(0, cd);
    arch::Ste ste = make_s2_ste(s2.root(), 3, 0x14, 2);
    ste.config = static_cast<uint8_t>(arch::SteConfig::kNested);
    ste.s2r = s2r;
    ste.s2ptw = s2ptw;
    cds.attach(ste);
    st.write_ste(kSid, ste);
    tb.enable(st);
  }
};

}  // namespace

// One testbench per process: each case runs the body once.
void stage2_output_and_walk_faults(bool s2r) {
  {
    SmmuTestbench tb;
    NestedRig rig(tb);
    rig.s1.map(0x2000, 0x91000000, 0x1000, rw_s1(), false);  // IPA not mapped by stage 2
    // A stage-1 table the stage 2 does not map: a stage-2 fault on the stage-1 walk.
    rig.s1.write_entry(0x40000000, 1, arch::make_table_descriptor(0xa0000000));
    rig.stream(s2r);
    ASSERT_TRUE(tb.dma(0x1000, attrs()).ok());
    EXPECT_FALSE(tb.dma(0x2000, attrs()).ok());
    EXPECT_FALSE(tb.dma(0x40000000, attrs()).ok());
    const auto evs = tb.events();
    if (!s2r) {
      EXPECT_TRUE(evs.empty());
      EXPECT_EQ(tb.smmu.stats().faults_unrecorded, 2u);
      return;
    }
    ASSERT_EQ(evs.size(), 2u);
    EXPECT_EQ(evs[0].id, EventId::kTranslation);
    EXPECT_TRUE(evs[0].s2);
    EXPECT_EQ(evs[0].class_, EventClass::kInputAddress);
    EXPECT_EQ(evs[1].id, EventId::kTranslation);
    EXPECT_TRUE(evs[1].s2);
    EXPECT_EQ(evs[1].class_, EventClass::kTableWalk);
  }
}

TEST(SmmuArchitecture, S2R0SuppressesStage2FaultsOfTheOutputAndOfTheS1Walk) {
  stage2_output_and_walk_faults(false);
}
TEST(SmmuArchitecture, S2R1RecordsStage2FaultsOfTheOutputAndOfTheS1Walk) {
  stage2_output_and_walk_faults(true);
}

void cd_fetch_stage2_fault(bool s2r) {
  {
    SmmuTestbench tb;
    StreamTableBuilder st = StreamTableBuilder::linear(tb.writer, tb.alloc, 6);
    PageTableBuilder s2(tb.writer, tb.alloc, arch::Granule{12}, 0, 1, platform::Stage::kS2);
    s2.map(0x0, 0x0, 0x200000, rw_s2(), true);  // the CD's IPA is not mapped
    arch::Ste ste = make_s2_ste(s2.root(), 3, 0x14, 2);
    ste.config = static_cast<uint8_t>(arch::SteConfig::kNested);
    ste.s1_context_ptr = 0x7000000;
    ste.s2r = s2r;
    st.write_ste(kSid, ste);
    tb.enable(st);
    EXPECT_EQ(tb.dma(0x1000, attrs()).status, tlm::TLM_ADDRESS_ERROR_RESPONSE);
    const auto evs = tb.events();
    ASSERT_EQ(evs.size(), s2r ? 1u : 0u);
    if (s2r) {
      EXPECT_EQ(evs[0].class_, EventClass::kCdFetch);
    }
  }
}

TEST(SmmuArchitecture, S2R0SuppressesStage2FaultsOfTheCdFetch) { cd_fetch_stage2_fault(false); }
TEST(SmmuArchitecture, S2R1RecordsStage2FaultsOfTheCdFetch) { cd_fetch_stage2_fault(true); }

// STE.S2PTW = 1 (nested): a CD fetch or stage-1 walk to a stage-2 page of any Device
// type is a stage-2 Permission fault (IHI 0070 §5.2 S2PTW). The rig maps its table
// window with rw_s2(), MemAttr 0b0000 (Device-nGnRnE). Found by the differential test.
TEST(SmmuArchitecture, S2ptwFaultsCdFetchesToDevicePages) {
  SmmuTestbench tb;
  NestedRig rig(tb);
  rig.stream(/*s2r=*/true, true, true, /*s2ptw=*/true);
  EXPECT_FALSE(tb.dma(0x1000, attrs()).ok());
  const auto ev = single_event(tb, EventId::kPermission);
  EXPECT_TRUE(ev.s2);
  EXPECT_EQ(ev.class_, EventClass::kCdFetch);
  EXPECT_EQ(ev.ipa, rig.cds.base() & ~uint64_t{0xfff});
}

TEST(SmmuArchitecture, S2ptwFaultsStage1WalksToDevicePages) {
  SmmuTestbench tb;
  NestedRig rig(tb);
  // The CD's page becomes Normal memory: the fetch passes, the walk of the root does not.
  arch::S2LeafAttrs normal = rw_s2();
  normal.mem_attr = 0xf;
  const uint64_t cd_page = rig.cds.base() & ~uint64_t{0xfff};
  rig.s2.write_entry(cd_page, 3, arch::make_s2_leaf(NestedRig::to_pa(cd_page), 3, normal));
  rig.stream(/*s2r=*/true, true, true, /*s2ptw=*/true);
  EXPECT_FALSE(tb.dma(0x1000, attrs()).ok());
  const auto ev = single_event(tb, EventId::kPermission);
  EXPECT_TRUE(ev.s2);
  EXPECT_EQ(ev.class_, EventClass::kTableWalk);
  EXPECT_EQ(ev.ipa, rig.s1.root() & ~uint64_t{0xfff});
}

TEST(SmmuArchitecture, S2ptw0AllowsWalksToDevicePages) {
  SmmuTestbench tb;
  NestedRig rig(tb);
  rig.stream(/*s2r=*/true);
  EXPECT_TRUE(tb.dma(0x1000, attrs()).ok());
  EXPECT_TRUE(tb.events().empty());
}

TEST(SmmuArchitecture, NestedStage1FaultsFollowCdRNotS2R) {
  SmmuTestbench tb;
  NestedRig rig(tb);
  rig.stream(/*s2r=*/false, /*cd_r=*/true);
  EXPECT_FALSE(tb.dma(0x5000, attrs()).ok());  // stage-1 translation fault
  const auto ev = single_event(tb, EventId::kTranslation);
  EXPECT_FALSE(ev.s2);
}

// ---------------------------------------------------------------------------------------
// CD.A and IDR0.TERM_MODEL (§3.12.1, §5.5, §6.3.1).

TEST(SmmuArchitecture, CdA0TerminatesStage1FaultsRazWi) {
  SmmuTestbench tb;
  Rig rig(tb);
  rig.pt.map(0x1000, kPa, 0x1000, leaf(0), false);  // no EL0 data access
  rig.pt.map(0x2000, kPa + 0x1000, 0x1000, read_only(), false);
  rig.stream(rig.cd(true, false));
  rig.enable();
  tb.mem.write64(kPa, 0x1122334455667788);
  tb.mem.write64(kPa + 0x1000, 0x99);
  // An EL0 read the page refuses: success, zero, the memory not read.
  auto r = tb.dma(0x1000, attrs());
  EXPECT_EQ(r.status, tlm::TLM_OK_RESPONSE);
  EXPECT_EQ(r.data, 0u);
  EXPECT_EQ(tb.dma(0x1000, attrs(false, true)).data, 0x1122334455667788u);  // EL1 may
  // A write to a read-only page: success, ignored.
  r = tb.dma(0x2000, attrs(true), 0, 8, 0xdead);
  EXPECT_EQ(r.status, tlm::TLM_OK_RESPONSE);
  EXPECT_EQ(tb.mem.read64(kPa + 0x1000), 0x99u);
  // Unmapped: a translation fault, RAZ/WI as well.
  EXPECT_EQ(tb.dma(0x9000, attrs()).status, tlm::TLM_OK_RESPONSE);
  // R = 1: each is still recorded.
  const auto evs = tb.events();
  ASSERT_EQ(evs.size(), 3u);
  EXPECT_EQ(evs[0].id, EventId::kPermission);
  EXPECT_EQ(evs[1].id, EventId::kPermission);
  EXPECT_EQ(evs[2].id, EventId::kTranslation);
  EXPECT_EQ(tb.smmu.stats().raz_wi, 3u);
  EXPECT_EQ(tb.smmu.stats().faults, 3u);
}

TEST(SmmuArchitecture, CdA0WithR0IsSilentRazWi) {
  SmmuTestbench tb;
  Rig rig(tb);
  rig.stream(rig.cd(false, false));
  rig.enable();
  EXPECT_EQ(tb.dma(0x9000, attrs(true)).status, tlm::TLM_OK_RESPONSE);
  EXPECT_TRUE(tb.events().empty());
}

TEST(SmmuArchitecture, CdA0DoesNotChangeStage2Faults) {
  SmmuTestbench tb;
  NestedRig rig(tb);
  rig.s1.map(0x2000, 0x91000000, 0x1000, rw_s1(), false);  // stage 2 does not map it
  rig.stream(/*s2r=*/true, /*cd_r=*/true, /*cd_a=*/false);
  EXPECT_EQ(tb.dma(0x2000, attrs()).status, tlm::TLM_ADDRESS_ERROR_RESPONSE);
  EXPECT_TRUE(single_event(tb).s2);
  EXPECT_EQ(tb.dma(0x5000, attrs()).status, tlm::TLM_OK_RESPONSE);  // stage 1: RAZ/WI
}

TEST(SmmuArchitecture, TermModel1MakesCdA0Illegal) {
  model::SmmuParams p;
  p.features.raz_wi_termination = false;
  SmmuTestbench tb(p);
  EXPECT_TRUE(arch::reg::idr0::kTermModel.get(tb.reg(arch::reg::kIdr0)));
  Rig rig(tb);
  rig.pt.map(0x1000, kPa, 0x1000, rw_s1(), false);
  rig.stream(rig.cd(true, false));
  rig.enable();
  EXPECT_EQ(tb.dma(0x1000, attrs()).status, tlm::TLM_ADDRESS_ERROR_RESPONSE);
  EXPECT_EQ(single_event(tb).id, EventId::kBadCd);
}

TEST(SmmuArchitecture, DefaultTermModelIs0) {
  SmmuTestbench tb;
  EXPECT_FALSE(arch::reg::idr0::kTermModel.get(tb.reg(arch::reg::kIdr0)));
  EXPECT_EQ(arch::reg::idr0::kStallModel.get(tb.reg(arch::reg::kIdr0)), 1u);
}

// No stall model (STALL_MODEL = 0b01): CD.S = 1, STE.S2S = 1 and STE.S1STALLD = 1 are
// ILLEGAL (§5.5, §5.2 S1STALLD).
TEST(SmmuArchitecture, StallConfigurationIsIllegalWithoutAStallModel) {
  SmmuTestbench tb;
  Rig rig(tb);
  arch::Cd c = rig.cd();
  c.s = true;
  rig.stream(c);
  arch::Ste stalld = make_s1_ste(rig.cds);
  stalld.s1stalld = true;
  rig.st.write_ste(2, stalld);
  PageTableBuilder s2(tb.writer, tb.alloc, arch::Granule{12}, 0, 1, platform::Stage::kS2);
  arch::Ste s2s = make_s2_ste(s2.root(), 3, 0x14, 2);
  s2s.s2s = true;
  rig.st.write_ste(3, s2s);
  rig.enable();
  expect_refused(tb, kSid, EventId::kBadCd);
  expect_refused(tb, 2, EventId::kBadSte);
  expect_refused(tb, 3, EventId::kBadSte);
}

// No hardware table updates (IDR0.HTTU = 0b00): CD.HA, CD.HD, STE.S2HA and STE.S2HD set
// are ILLEGAL (IHI 0070 §5.4 HA/HD, §5.2 S2HA/S2HD). Found by the differential test.
TEST(SmmuArchitecture, HttuFieldsAreIllegalWithoutHttu) {
  SmmuTestbench tb;
  EXPECT_EQ(arch::reg::idr0::kHttu.get(tb.reg(arch::reg::kIdr0)), 0u);
  Rig rig(tb, 1);
  rig.pt.map(0x1000, kPa, 0x1000, leaf(1), false);
  arch::Cd ha = rig.cd();
  ha.ha = true;
  arch::Cd hd = rig.cd();
  hd.hd = true;
  rig.cds.write_cd(0, ha);
  rig.cds.write_cd(1, hd);
  arch::Ste s1 = make_s1_ste(rig.cds);
  s1.s1dss = static_cast<uint8_t>(arch::S1Dss::kSubstream0);
  rig.st.write_ste(kSid, s1);
  PageTableBuilder s2(tb.writer, tb.alloc, arch::Granule{12}, 0, 1, platform::Stage::kS2);
  arch::Ste s2ha = make_s2_ste(s2.root(), 3, 0x14, 2);
  s2ha.s2ha = true;
  arch::Ste s2hd = make_s2_ste(s2.root(), 3, 0x14, 2);
  s2hd.s2hd = true;
  rig.st.write_ste(2, s2ha);
  rig.st.write_ste(3, s2hd);
  rig.enable();
  expect_refused(tb, kSid, EventId::kBadCd);  // CD 0 (no SubstreamID), HA
  DmaAttrs a = with_ssid(1);
  EXPECT_FALSE(tb.dma(0x1000, a).ok());
  EXPECT_EQ(single_event(tb).id, EventId::kBadCd);  // CD 1, HD
  expect_refused(tb, 2, EventId::kBadSte);
  expect_refused(tb, 3, EventId::kBadSte);
}

// CD.ENDI is IGNORED when both EPD0 and EPD1 are 1 (IHI 0070 §5.4 ENDI): the CD is
// legal and the access is a Translation fault, not C_BAD_CD.
TEST(SmmuArchitecture, CdEndiIsIgnoredWhenBothHalvesAreDisabled) {
  SmmuTestbench tb;
  Rig rig(tb);
  arch::Cd c = rig.cd();
  c.endi = true;
  c.epd0 = c.epd1 = true;
  rig.stream(c);
  rig.enable();
  EXPECT_FALSE(tb.dma(0x1000, attrs()).ok());
  EXPECT_EQ(single_event(tb).id, EventId::kTranslation);
  c.epd0 = false;  // a walked half: big-endian tables are not implemented
  rig.stream(c);
  tb.enable_cmdq();
  rig.cfgi_cd();
  expect_refused(tb, kSid, EventId::kBadCd);
}

// ---------------------------------------------------------------------------------------
// S1DSS (§5.2, §7.3.7).

TEST(SmmuArchitecture, S1dssSubstream0ReservesCd0ForTrafficWithoutASubstream) {
  SmmuTestbench tb;
  Rig rig(tb, 2);
  rig.pt.map(0x1000, kPa, 0x1000, rw_s1(), false);
  rig.cds.write_cd(1, rig.cd());
  rig.stream(rig.cd(), static_cast<uint8_t>(arch::S1Dss::kSubstream0));
  rig.enable();
  tb.mem.write64(kPa, 5);
  EXPECT_EQ(tb.dma(0x1000, attrs()).data, 5u);        // no SubstreamID: CD 0
  EXPECT_EQ(tb.dma(0x1000, with_ssid(1)).data, 5u);   // SubstreamID 1: CD 1
  EXPECT_EQ(tb.dma(0x1000, with_ssid(0)).status, tlm::TLM_ADDRESS_ERROR_RESPONSE);
  const auto ev = single_event(tb, EventId::kStreamDisabled);
  EXPECT_TRUE(ev.ssv);
  EXPECT_EQ(ev.ssid, 0u);
}

// S1DSS = 0b11 is Reserved and behaves as 0b00: no C_BAD_STE; traffic without a
// SubstreamID gets F_STREAM_DISABLED, SubstreamID 0 is an ordinary substream.
TEST(SmmuArchitecture, ReservedS1dssBehavesAsTerminate) {
  SmmuTestbench tb;
  Rig rig(tb, 2);
  rig.pt.map(0x1000, kPa, 0x1000, rw_s1(), false);
  rig.stream(rig.cd(), 3);
  rig.enable();
  EXPECT_FALSE(tb.dma(0x1000, attrs()).ok());
  EXPECT_EQ(single_event(tb).id, EventId::kStreamDisabled);
  EXPECT_TRUE(tb.dma(0x1000, with_ssid(0)).ok());
  EXPECT_TRUE(tb.events().empty());
}

// With S1CDMax = 0, S1DSS is IGNORED (even the reserved value).
TEST(SmmuArchitecture, S1dssIsIgnoredWithoutACdTable) {
  SmmuTestbench tb;
  Rig rig(tb);
  rig.pt.map(0x1000, kPa, 0x1000, rw_s1(), false);
  rig.stream(rig.cd(), 3);
  rig.enable();
  EXPECT_TRUE(tb.dma(0x1000, attrs()).ok());
}

// S1Fmt = 0b11 is Reserved and behaves as 0b00 (a linear CD table), not C_BAD_STE.
TEST(SmmuArchitecture, ReservedS1FmtBehavesAsLinear) {
  SmmuTestbench tb;
  Rig rig(tb, 2);
  rig.pt.map(0x1000, kPa, 0x1000, rw_s1(), false);
  rig.cds.write_cd(1, rig.cd());
  arch::Ste ste = make_s1_ste(rig.cds);
  ste.s1fmt = 3;
  rig.st.write_ste(kSid, ste);
  rig.enable();
  EXPECT_TRUE(tb.dma(0x1000, with_ssid(1)).ok());
  EXPECT_TRUE(tb.events().empty());
}

// ---------------------------------------------------------------------------------------
// The input address when stage 1 is bypassed (§3.4): above the IAS (= OAS here: AArch64
// tables only) a stage-1 F_ADDR_SIZE, always recorded; below it but outside S2T0SZ a
// stage-2 F_TRANSLATION.

TEST(SmmuArchitecture, BypassedStage1ChecksTheInputAgainstTheIas) {
  SmmuTestbench tb;
  Rig rig(tb, 1);
  rig.pt.map(0x1000, kPa, 0x1000, rw_s1(), false);
  // SID 1: S1 with S1DSS = bypass. SID 2: STE bypass. SID 3: stage 2 only (40-bit IPA),
  // S2R = 0 (the stage-1 fault is recorded anyway).
  rig.stream(rig.cd(), static_cast<uint8_t>(arch::S1Dss::kBypass));
  arch::Ste bypass;
  bypass.valid = true;
  bypass.config = static_cast<uint8_t>(arch::SteConfig::kBypass);
  rig.st.write_ste(2, bypass);
  PageTableBuilder s2(tb.writer, tb.alloc, arch::Granule{12}, 1, 2, platform::Stage::kS2);
  s2.map(0x1000, kPa, 0x1000, rw_s2(), false);
  arch::Ste s2only = make_s2_ste(s2.root(), 3, 24, 1);
  s2only.s2r = false;
  rig.st.write_ste(3, s2only);
  rig.enable();
  const uint64_t above_ias = uint64_t{1} << 48;
  for (uint32_t sid : {1u, 2u, 3u}) {
    DmaAttrs a = attrs();
    a.sid = sid;
    EXPECT_EQ(tb.dma(above_ias | 0x1000, a).status, tlm::TLM_ADDRESS_ERROR_RESPONSE) << sid;
    const auto ev = single_event(tb, EventId::kAddrSize);
    EXPECT_FALSE(ev.s2) << sid;
    EXPECT_EQ(ev.input_addr, above_ias | 0x1000);
    EXPECT_TRUE(tb.dma(0x1000, a).ok()) << sid;  // in range: bypass or stage 2
  }
  // SID 3 below the IAS but above the 40-bit IPA: a stage-2 Translation fault (S2R = 0).
  DmaAttrs a = attrs();
  a.sid = 3;
  EXPECT_FALSE(tb.dma(uint64_t{1} << 44, a).ok());
  EXPECT_TRUE(tb.events().empty());
  rig.st.write_ste(4, make_s2_ste(s2.root(), 4, 24, 1));  // the same with S2R = 1
  a.sid = 4;
  EXPECT_FALSE(tb.dma(uint64_t{1} << 44, a).ok());
  const auto ev = single_event(tb, EventId::kTranslation);
  EXPECT_TRUE(ev.s2);
}

TEST(SmmuArchitecture, GlobalBypassAboveTheOasAbortsWithoutAnEvent) {
  SmmuTestbench tb;  // SMMUEN = 0, GBPA bypass
  EXPECT_TRUE(tb.dma(0x1000, attrs()).ok());
  EXPECT_EQ(tb.dma(uint64_t{1} << 48, attrs()).status, tlm::TLM_ADDRESS_ERROR_RESPONSE);
  EXPECT_EQ(tb.smmu.stats().aborted, 1u);
  EXPECT_EQ(tb.smmu.stats().bypassed, 1u);
}

// ---------------------------------------------------------------------------------------
// Table bases beyond 48 bits with 4K/16K (no LPA2) make the CD / STE ILLEGAL even when
// IPS / S2PS say 52 (§5.4 TTB0, §5.2 S2TTB, §3.4.3).

TEST(SmmuArchitecture, TableBasesAbove48BitsWith4kAreIllegal) {
  model::SmmuParams p;
  p.features.oas_bits = 52;
  SmmuTestbench tb(p);
  Rig rig(tb);
  arch::Cd c = rig.cd();
  c.ips = 6;
  c.ttb0 = uint64_t{1} << 48;
  rig.stream(c);
  arch::Ste ste = make_s2_ste(uint64_t{1} << 49, 3, 0x14, 2, 0, 6);
  rig.st.write_ste(2, ste);
  rig.enable();
  expect_refused(tb, kSid, EventId::kBadCd);
  expect_refused(tb, 2, EventId::kBadSte);
}

// ---------------------------------------------------------------------------------------
// Instruction fetches and writes (§13.1.2, §13.7.1).

TEST(SmmuArchitecture, InstructionFetchesToExecuteOnlyPagesSucceed) {
  SmmuTestbench tb;
  Rig rig(tb);
  rig.pt.map(0x1000, kPa, 0x1000, leaf(0, true), false);  // EL0 execute-only
  rig.stream(rig.cd());
  rig.enable();
  tb.mem.write64(kPa, 0xc0de);
  auto r = tb.dma(0x1000, attrs(false, false, true));
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r.data, 0xc0deu);
  EXPECT_FALSE(tb.dma(0x1000, attrs()).ok());  // an EL0 data read is refused
  const auto ev = single_event(tb, EventId::kPermission);
  EXPECT_FALSE(ev.ind);
}

TEST(SmmuArchitecture, WritesMarkedInstructionAreData) {
  SmmuTestbench tb;
  Rig rig(tb);
  rig.pt.map(0x1000, kPa, 0x1000, leaf(1, true, true), false);  // RW, execute-never
  rig.pt.map(0x2000, kPa + 0x1000, 0x1000, read_only(), false);
  rig.stream(rig.cd());
  rig.enable();
  // Execute-never does not stop a write, even one the device marks Instruction.
  EXPECT_TRUE(tb.dma(0x1000, attrs(true, false, true), 0, 8, 0x77).ok());
  EXPECT_EQ(tb.mem.read64(kPa), 0x77u);
  // A refused write marked Instruction is reported as Data (InD = 0).
  EXPECT_FALSE(tb.dma(0x2000, attrs(true, false, true)).ok());
  const auto ev = single_event(tb, EventId::kPermission);
  EXPECT_FALSE(ev.ind);
  EXPECT_FALSE(ev.rnw);
}

void privileged_fetch_of_el1_writable_page(bool wxn) {
  {
    SmmuTestbench tb;
    Rig rig(tb);
    rig.pt.map(0x1000, kPa, 0x1000, leaf(0), false);  // writable at EL1 only
    arch::Cd c = rig.cd();
    c.wxn = wxn;
    rig.stream(c);
    rig.enable();
    EXPECT_EQ(tb.dma(0x1000, attrs(false, true, true)).ok(), !wxn) << wxn;
    EXPECT_TRUE(tb.dma(0x1000, attrs(true, true)).ok()) << wxn;  // data still writable
  }
}

TEST(SmmuArchitecture, WithoutCdWxnAnEl1WritablePageIsEl1Executable) {
  privileged_fetch_of_el1_writable_page(false);
}
TEST(SmmuArchitecture, CdWxnMakesWritablePagesNotExecutable) {
  privileged_fetch_of_el1_writable_page(true);
}

// ---------------------------------------------------------------------------------------
// 52-bit VAs (IDR5.VAX) and the ID registers.

void fifty_two_bit_va(bool va52) {
  {
    model::SmmuParams p;
    p.features.va52 = va52;
    SmmuTestbench tb(p);
    EXPECT_EQ(arch::reg::idr5::kVax.get(tb.reg(arch::reg::kIdr5)), va52 ? 1u : 0u);
    Rig rig(tb);
    PageTableBuilder pt(tb.writer, tb.alloc, arch::Granule{16}, 1);
    pt.set_input_bits(52);
    const uint64_t va = 0x000a'0000'0001'0000ull;
    pt.map(va, kPa, 0x10000, rw_s1(), false);
    arch::Cd c = rig.cd();
    c.tg0 = 1;  // 64K
    c.t0sz = 12;
    c.ttb0 = pt.root();
    rig.stream(c);
    rig.enable();
    tb.mem.write64(kPa + 0x28, 9);
    const auto r = tb.dma(va + 0x28, attrs());
    if (va52) {
      ASSERT_TRUE(r.ok());
      EXPECT_EQ(r.data, 9u);
    } else {
      EXPECT_FALSE(r.ok());
      EXPECT_EQ(single_event(tb).id, EventId::kBadCd);  // T0SZ 12 needs VAX
    }
  }
}

TEST(SmmuArchitecture, Va52TranslatesFiftyTwoBitVasWith64k) { fifty_two_bit_va(true); }
TEST(SmmuArchitecture, WithoutVa52T0sz12IsIllegal) { fifty_two_bit_va(false); }

TEST(SmmuArchitecture, AidrMatchesTheImplementedFeatures) {
  SmmuTestbench tb;
  // SMMUv3.1 (with RIL from SMMUv3.2): XNX and HAD, mandatory from v3.1, are present;
  // v3.2's BBML and FWB are not, so AIDR does not claim v3.2 (IHI 0070 §2.9, §6.3.4).
  EXPECT_EQ(tb.reg(arch::reg::kAidr), 0x1u);
  const uint64_t idr3 = tb.reg(arch::reg::kIdr3);
  EXPECT_TRUE(arch::reg::idr3::kXnx.get(idr3));
  EXPECT_TRUE(arch::reg::idr3::kHad.get(idr3));
  EXPECT_TRUE(arch::reg::idr3::kRil.get(idr3));
  EXPECT_EQ(arch::reg::idr3::kBbml.get(idr3), 0u);
  EXPECT_FALSE(arch::reg::idr3::kFwb.get(idr3));
  EXPECT_TRUE(arch::reg::idr0::kHyp.get(tb.reg(arch::reg::kIdr0)));
  EXPECT_EQ(arch::reg::idr5::kVax.get(tb.reg(arch::reg::kIdr5)), 0u);
  EXPECT_EQ(arch::extract(tb.reg(arch::reg::kIdr5), 7, 7), 0u);  // DS: no LPA2
}

TEST(SmmuArchitecture, HypIsRes0WithOneStage) {
  model::SmmuParams p;
  p.features.stage2 = false;
  SmmuTestbench tb(p);
  EXPECT_FALSE(arch::reg::idr0::kHyp.get(tb.reg(arch::reg::kIdr0)));
  EXPECT_FALSE(arch::reg::idr3::kXnx.get(tb.reg(arch::reg::kIdr3)));  // RES0 without S2P
  EXPECT_TRUE(arch::reg::idr3::kHad.get(tb.reg(arch::reg::kIdr3)));
}

// FEAT_XNX at stage 2: XN = 01 forbids EL1 fetches only (privilege reaches stage 2).
TEST(SmmuArchitecture, Stage2XnxDistinguishesTheEl) {
  SmmuTestbench tb;
  StreamTableBuilder st = StreamTableBuilder::linear(tb.writer, tb.alloc, 6);
  PageTableBuilder s2(tb.writer, tb.alloc, arch::Granule{12}, 1, 2, platform::Stage::kS2);
  arch::S2LeafAttrs pxn = rw_s2();
  pxn.xn = 1;
  s2.map(0x1000, kPa, 0x1000, pxn, false);
  st.write_ste(kSid, make_s2_ste(s2.root(), 3, 24, 1));
  tb.enable(st);
  EXPECT_TRUE(tb.dma(0x1000, attrs(false, false, true)).ok());
  EXPECT_FALSE(tb.dma(0x1000, attrs(false, true, true)).ok());
  const auto ev = single_event(tb, EventId::kPermission);
  EXPECT_TRUE(ev.s2);
  EXPECT_TRUE(ev.ind);
  EXPECT_TRUE(ev.pnu);
}

// SPDX-License-Identifier: Apache-2.0
// The SMMU module around the translation path: registers, GBPA, occupancy of limited
// resources, DMI grants and their revocation, and the MMIO socket.
#include <gtest/gtest.h>

#include "support/smmu_testbench.h"

using namespace smmu;
using namespace smmu::test;
using platform::CdTableBuilder;
using platform::PageTableBuilder;
using platform::StreamTableBuilder;
using sc_core::sc_time;
using sc_core::SC_NS;
namespace r = arch::reg;

namespace {
struct S1Rig {
  StreamTableBuilder st;
  CdTableBuilder cds;
  PageTableBuilder pt;
  explicit S1Rig(SmmuTestbench& tb)
      : st(StreamTableBuilder::linear(tb.writer, tb.alloc, 4)),
        cds(CdTableBuilder::linear(tb.writer, tb.alloc, 0)),
        pt(tb.writer, tb.alloc, arch::Granule{12}, 0) {
    cds.write_cd(0, make_cd_4k(pt.root(), 1));
    st.write_ste(0, make_s1_ste(cds));
  }
};
}  // namespace

TEST(SmmuRegisters, IdRegistersFollowFeatures) {
  model::SmmuParams p;
  p.features.stage1 = true;
  p.features.stage2 = false;
  p.features.ats = false;
  p.features.range_invalidation = false;
  p.features.gran16k = false;
  p.features.oas_bits = 44;
  p.features.sid_bits = 12;
  p.features.ssid_bits = 8;
  p.features.cmdq_log2_entries = 10;
  SmmuTestbench tb(p);
  const auto idr0 = r::Idr0::decode(static_cast<uint32_t>(tb.reg(r::kIdr0)));
  EXPECT_TRUE(idr0.s1p);
  EXPECT_FALSE(idr0.s2p);
  EXPECT_FALSE(idr0.ats);
  EXPECT_TRUE(idr0.msi);
  EXPECT_EQ(idr0.ttf, 2);
  EXPECT_EQ(idr0.st_level, 1);
  const auto idr1 = r::Idr1::decode(static_cast<uint32_t>(tb.reg(r::kIdr1)));
  EXPECT_EQ(idr1.sidsize, 12);
  EXPECT_EQ(idr1.ssidsize, 8);
  EXPECT_EQ(idr1.cmdqs, 10);
  EXPECT_FALSE(r::Idr3::decode(static_cast<uint32_t>(tb.reg(r::kIdr3))).ril);
  const auto idr5 = r::Idr5::decode(static_cast<uint32_t>(tb.reg(r::kIdr5)));
  EXPECT_EQ(idr5.oas, 4);
  EXPECT_TRUE(idr5.gran4k);
  EXPECT_FALSE(idr5.gran16k);
  EXPECT_TRUE(idr5.gran64k);
  // Read-only: writes are ignored.
  tb.set_reg(r::kIdr0, 0);
  EXPECT_EQ(r::Idr0::decode(static_cast<uint32_t>(tb.reg(r::kIdr0))).s1p, true);
}

TEST(SmmuRegisters, Cr0AckFollowsAndReservedBitsReadZero) {
  SmmuTestbench tb;
  tb.set_reg(r::kCr0, 0xffffffff);
  // PRIQEN stays 0 (no PRI); reserved bits read as zero.
  EXPECT_EQ(tb.reg(r::kCr0), 0x1du);
  EXPECT_EQ(tb.reg(r::kCr0Ack), 0x1du);
  tb.set_reg(r::kIrqCtrl, 0xff);
  EXPECT_EQ(tb.reg(r::kIrqCtrlAck), 0x5u);
  tb.set_reg(r::kGerrorN, 0xffffffff);
  EXPECT_EQ(tb.reg(r::kGerrorN), r::gerror::kAll);
  tb.set_reg(0x1000, 0x1234);  // unallocated: RAZ/WI
  EXPECT_EQ(tb.reg(0x1000), 0u);
}

TEST(SmmuRegisters, StreamTableBaseFrozenWhileEnabled) {
  SmmuTestbench tb;
  tb.set_reg(r::kStrtabBase, 0x12345000, 8);
  tb.set_reg(r::kStrtabBaseCfg, 8);
  tb.set_reg(r::kCr0, r::cr0::kSmmuEn.mask());
  tb.set_reg(r::kStrtabBase, 0x6000, 8);
  tb.set_reg(r::kStrtabBaseCfg, 4);
  EXPECT_EQ(tb.reg(r::kStrtabBase, 8), 0x12345000u);
  EXPECT_EQ(tb.reg(r::kStrtabBaseCfg), 8u);
  // 64-bit registers can be written as two halves, and bits outside ADDR/RA read as 0.
  tb.set_reg(r::kCr0, 0);
  tb.set_reg(r::kStrtabBase, 0xabcdef3f);
  tb.set_reg(r::kStrtabBase + 4, 0x400fffff);
  EXPECT_EQ(tb.reg(r::kStrtabBase, 8), 0x400fffffabcdef00ull & (arch::field_mask(62, 62) | arch::field_mask(51, 6)));
}

TEST(SmmuRegisters, QueueSizesClampToIdr1) {
  model::SmmuParams p;
  p.features.evtq_log2_entries = 5;
  SmmuTestbench tb(p);
  r::QueueBase qb;
  qb.addr = 0x10000;
  qb.log2size = 19;
  tb.set_reg(r::kEvtqBase, qb.encode(), 8);
  EXPECT_EQ(r::QueueBase::decode(tb.reg(r::kEvtqBase, 8)).log2size, 5);
}

TEST(SmmuRegisters, MmioThroughTheSocketIsTimedAndChecksSize) {
  SmmuTestbench tb;
  auto rd = tb.cpu.access(SmmuTestbench::kSmmuBase + r::kIdr1, 4, false);
  ASSERT_TRUE(rd.ok());
  EXPECT_EQ(rd.data, tb.reg(r::kIdr1));
  EXPECT_EQ(rd.latency, ns(2));  // register_cycles at 1 GHz
  auto wr = tb.cpu.access(SmmuTestbench::kSmmuBase + r::kCr1, 4, true, 0x5);
  ASSERT_TRUE(wr.ok());
  EXPECT_EQ(tb.reg(r::kCr1), 0x5u);
  EXPECT_EQ(tb.cpu.access(SmmuTestbench::kSmmuBase + r::kCr1, 2, false).status,
            tlm::TLM_GENERIC_ERROR_RESPONSE);
  EXPECT_EQ(tb.cpu.access(SmmuTestbench::kSmmuBase + r::kCr0Ack, 8, false).status,
            tlm::TLM_GENERIC_ERROR_RESPONSE);  // 8-byte access must be 8-aligned
  auto pair = tb.cpu.access(SmmuTestbench::kSmmuBase + r::kCr1, 8, false);  // CR1 and CR2
  ASSERT_TRUE(pair.ok());
  EXPECT_EQ(pair.data, 0x5u);
}

TEST(SmmuGbpa, BypassOrAbortWhileDisabled) {
  SmmuTestbench tb;
  tb.mem.write64(0x5000, 99);
  auto r1 = tb.dma(0x5000);
  ASSERT_TRUE(r1.ok());
  EXPECT_EQ(r1.data, 99u);
  EXPECT_EQ(r1.latency, ns(50));  // bypass costs nothing in the SMMU
  tb.set_reg(r::kGbpa, r::gbpa::kAbort.mask());  // without UPDATE: ignored
  EXPECT_TRUE(tb.dma(0x5000).ok());
  tb.set_reg(r::kGbpa, r::gbpa::kAbort.mask() | r::gbpa::kUpdate.mask());
  EXPECT_EQ(tb.reg(r::kGbpa) & r::gbpa::kUpdate.mask(), 0u);
  EXPECT_EQ(tb.dma(0x5000).status, tlm::TLM_ADDRESS_ERROR_RESPONSE);
  EXPECT_EQ(tb.smmu.stats().bypassed, 2u);
  EXPECT_EQ(tb.smmu.stats().aborted, 1u);
}

TEST(SmmuOccupancy, WalksQueueForWalkSlots) {
  model::SmmuParams p;
  p.timing.walk_slots = 1;
  SmmuTestbench tb(p, 2);
  S1Rig s(tb);
  s.pt.map(0x0, 0x20000000, 0x10000, rw_s1(), false);
  tb.enable(s.st);
  ASSERT_TRUE(tb.dma(0x0, {}, 0).ok());  // warm the config cache and walk cache
  sc_core::sc_start(ns(1000));           // and let its walk slot free
  // Two walks issued at the same simulated time: the second waits for the slot.
  const auto a = tb.dma(0x1000, {}, 0);
  const auto b = tb.dma(0x2000, {}, 1);
  ASSERT_TRUE(a.ok() && b.ok());
  // Each walk: walk-cache hit (2) + one descriptor read (50), starting after
  // uTLB 1 + link 8 + config 2 + main TLB 3 = 14 ns.
  EXPECT_EQ(a.latency, ns(14 + 52 + 8 + 50));
  EXPECT_EQ(b.latency, a.latency + ns(52));
  EXPECT_EQ(tb.smmu.walk_slots().stalls(), 1u);
}

TEST(SmmuOccupancy, TranslationSlotsLimitConcurrentMisses) {
  model::SmmuParams p;
  p.timing.translation_slots = 1;
  SmmuTestbench tb(p, 2);
  S1Rig s(tb);
  s.pt.map(0x0, 0x20000000, 0x10000, rw_s1(), false);
  tb.enable(s.st);
  // The walk at time 0 holds the only translation slot until its answer leaves
  // (uTLB 1 + link 8, then 2 + 100 + 3 + 2 + 200 = 307 ns in the TCU).
  const auto walk = tb.dma(0x0, {}, 0);
  ASSERT_TRUE(walk.ok());
  const auto a = tb.dma(0x0, {}, 1);  // a main-TLB hit, but it must wait for the slot
  // It reaches the TCU at 9 ns, starts at 9 + 307, then config 2 + main TLB 3.
  EXPECT_EQ(a.latency, ns(1 + 8 + 307 + 2 + 3 + 8 + 50));
  const auto b = tb.dma(0x0, {}, 1);  // uTLB hit: needs no slot
  EXPECT_EQ(b.latency, ns(1 + 50));
  EXPECT_EQ(tb.smmu.translation_slots().stalls(), 1u);
}

TEST(SmmuDmi, GrantsTheTranslatedPageAndRevokesOnConfigChange) {
  SmmuTestbench tb(model::SmmuParams{}, 1, SmmuTestbench::default_memory(), true);
  S1Rig s(tb);
  auto ro = rw_s1();
  ro.ap = 3;
  s.pt.map(0x7000, 0x20003000, 0x1000, ro, false);
  tb.enable(s.st);
  DmiMaster& dev = *tb.dmi_master;

  tb.mem.write64(0x20003010, 0xabcdef);
  tlm::tlm_dmi dmi;
  ASSERT_TRUE(dev.request(0x7010, dmi));
  EXPECT_EQ(dmi.get_start_address(), 0x7000u);
  EXPECT_EQ(dmi.get_end_address(), 0x7fffu);
  EXPECT_TRUE(dmi.is_read_allowed());
  EXPECT_FALSE(dmi.is_write_allowed());  // the page is read-only
  uint64_t v;
  std::memcpy(&v, dmi.get_dmi_ptr() + 0x10, 8);
  EXPECT_EQ(v, 0xabcdefu);
  EXPECT_EQ(dmi.get_read_latency(), ns(51));

  tlm::tlm_dmi none;
  EXPECT_FALSE(dev.request(0x9000, none));  // unmapped: no grant, and no event
  EXPECT_EQ(tb.smmu.stats().faults, 0u);
  // DMI lookups leave the translation caches as they were.
  EXPECT_EQ(tb.smmu.walk_cache().occupancy(), 0u);
  EXPECT_EQ(tb.smmu.main_tlb().occupancy(), 0u);
  EXPECT_EQ(tb.smmu.stats().walks, 0u);

  tb.set_reg(r::kCr0, 0);  // SMMUEN off: the translation may change
  ASSERT_EQ(dev.revoked.size(), 1u);
  EXPECT_EQ(dev.revoked[0], std::make_pair(uint64_t{0x7000}, uint64_t{0x7fff}));
  EXPECT_EQ(tb.smmu.stats().dmi_revocations, 1u);
}

// A platform may program the SMMU in sc_main, before the simulation (and before the
// end of elaboration, when the TBUs' DTI links are counted): enabling it then must not
// reach for TBUs that have not connected yet.
TEST(SmmuRegisters, WritesBeforeElaborationAreAccepted) {
  model::Smmu smmu("early_smmu");
  EXPECT_TRUE(smmu.registers().write(r::kCr0, 4, r::cr0::kSmmuEn.mask()));
  uint64_t ack = 0;
  ASSERT_TRUE(smmu.registers().read(r::kCr0Ack, 4, ack));
  EXPECT_EQ(ack & r::cr0::kSmmuEn.mask(), r::cr0::kSmmuEn.mask());
}

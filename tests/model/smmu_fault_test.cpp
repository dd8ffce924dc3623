// SPDX-License-Identifier: Apache-2.0
// Every fault of the translation path becomes its event record in the event queue and
// an error response; none stops the simulation.
#include <gtest/gtest.h>

#include "support/smmu_testbench.h"

using namespace smmu;
using namespace smmu::test;
using arch::EventClass;
using arch::EventId;
using platform::PageTableBuilder;

namespace {

struct FaultRig : Stage1Tables {
  using Stage1Tables::Stage1Tables;
  void cd(uint32_t ssid = 0, arch::Cd c = arch::Cd{}) {
    if (!c.valid) c = make_cd_4k(pt.root(), 5, 16, 5);
    cds.write_cd(ssid, c);
  }
  void ste(uint32_t sid = 1) { st.write_ste(sid, make_s1_ste(cds)); }
};

arch::EventRecord single_event(SmmuTestbench& tb) {
  auto evs = tb.events();
  EXPECT_EQ(evs.size(), 1u);
  return evs.empty() ? arch::EventRecord{} : evs.front();
}

DmaAttrs sid(uint32_t s) {
  DmaAttrs a;
  a.sid = s;
  return a;
}

}  // namespace

TEST(SmmuFault, BadStreamIdBeyondTable) {
  SmmuTestbench tb;
  FaultRig s(tb);
  s.enable();
  auto r = tb.dma(0x1000, sid(64));  // the table has 2^6 STEs
  EXPECT_EQ(r.status, tlm::TLM_ADDRESS_ERROR_RESPONSE);
  auto ev = single_event(tb);
  EXPECT_EQ(ev.id, EventId::kBadStreamId);
  EXPECT_EQ(ev.sid, 64u);
  EXPECT_EQ(ev.input_addr, 0x1000u);
  EXPECT_TRUE(ev.rnw);
}

// IHI 0070 6.3.12: with CR2.RECINVSID = 0 the transaction still aborts, unrecorded; a
// StreamID the table has still records its own events.
TEST(SmmuFault, BadStreamIdIsNotRecordedWithoutRecInvSid) {
  SmmuTestbench tb;
  FaultRig s(tb);
  tb.enable(s.st, 4, false);
  EXPECT_EQ(tb.dma(0x1000, sid(64)).status, tlm::TLM_ADDRESS_ERROR_RESPONSE);
  EXPECT_TRUE(tb.events().empty());
  EXPECT_FALSE(tb.dma(0x1000, sid(3)).ok());  // STE 3 is not valid: C_BAD_STE
  auto ev = single_event(tb);
  EXPECT_EQ(ev.id, EventId::kBadSte);
  EXPECT_EQ(ev.sid, 3u);
}

TEST(SmmuFault, SteFetchAbort) {
  SmmuTestbench tb;
  FaultRig s(tb);
  s.enable();
  const uint64_t ste_addr = s.st.ste_address(2);
  tb.mem.add_error_range(ste_addr, 64);
  EXPECT_FALSE(tb.dma(0x1000, sid(2)).ok());
  auto ev = single_event(tb);
  EXPECT_EQ(ev.id, EventId::kSteFetch);
  EXPECT_EQ(ev.fetch_addr, ste_addr);
}

TEST(SmmuFault, BadSteInvalid) {
  SmmuTestbench tb;
  FaultRig s(tb);
  s.enable();  // STE 1 never written: V = 0
  EXPECT_FALSE(tb.dma(0x1000, sid(1)).ok());
  EXPECT_EQ(single_event(tb).id, EventId::kBadSte);
}

TEST(SmmuFault, BadSteReservedStage2Fields) {
  SmmuTestbench tb;
  FaultRig s(tb);
  arch::Ste ste = make_s2_ste(s.pt.root(), 1, 0x14, 3 /* reserved SL0 for 4K */);
  s.st.write_ste(1, ste);
  s.enable();
  EXPECT_FALSE(tb.dma(0x1000, sid(1)).ok());
  EXPECT_EQ(single_event(tb).id, EventId::kBadSte);
}

// IHI 0070 §5.2 S1CDMax: the allowable range is 0 to SMMU_IDR1.SSIDSIZE; other values
// are ILLEGAL, and an ILLEGAL STE behaves as V == 0 (C_BAD_STE).
namespace {
Master::Result dma_with_ssid_size(SmmuTestbench& tb, unsigned s1cdmax) {
  FaultRig s(tb, s1cdmax);
  s.pt.map(0x1000, 0x20000000, 0x1000, rw_s1(), false);
  s.cd(3);
  s.ste(1);
  s.enable();
  DmaAttrs a = sid(1);
  a.ssv = true;
  a.ssid = 3;
  return tb.dma(0x1000, a);
}

model::SmmuParams ssid_size_4() {
  model::SmmuParams p;
  p.features.ssid_bits = 4;
  return p;
}
}  // namespace

TEST(SmmuFault, BadSteS1CdMaxBeyondSsidSize) {
  SmmuTestbench tb(ssid_size_4());
  EXPECT_EQ(dma_with_ssid_size(tb, 5).status, tlm::TLM_ADDRESS_ERROR_RESPONSE);
  auto ev = single_event(tb);
  EXPECT_EQ(ev.id, EventId::kBadSte);
  EXPECT_EQ(ev.sid, 1u);
}

TEST(SmmuFault, S1CdMaxEqualToSsidSizeIsLegal) {
  SmmuTestbench tb(ssid_size_4());
  EXPECT_TRUE(dma_with_ssid_size(tb, 4).ok());
  EXPECT_TRUE(tb.events().empty());
}

TEST(SmmuFault, SteAbortTerminatesWithoutEvent) {
  SmmuTestbench tb;
  FaultRig s(tb);
  arch::Ste ste;
  ste.valid = true;
  ste.config = 0;  // abort
  s.st.write_ste(1, ste);
  s.enable();
  EXPECT_EQ(tb.dma(0x1000, sid(1)).status, tlm::TLM_ADDRESS_ERROR_RESPONSE);
  EXPECT_TRUE(tb.events().empty());
  EXPECT_EQ(tb.smmu.stats().aborted, 1u);
}

TEST(SmmuFault, StreamDisabledWithoutSubstream) {
  SmmuTestbench tb;
  FaultRig s(tb, 4);  // a CD table: traffic without SSID follows S1DSS = terminate
  s.cd(0);
  s.ste(1);
  s.enable();
  EXPECT_FALSE(tb.dma(0x1000, sid(1)).ok());
  EXPECT_EQ(single_event(tb).id, EventId::kStreamDisabled);
}

TEST(SmmuFault, BadSubstreamIdBeyondCdMax) {
  SmmuTestbench tb;
  FaultRig s(tb, 4);
  s.cd(0);
  s.ste(1);
  s.enable();
  DmaAttrs a = sid(1);
  a.ssv = true;
  a.ssid = 16;
  EXPECT_FALSE(tb.dma(0x1000, a).ok());
  auto ev = single_event(tb);
  EXPECT_EQ(ev.id, EventId::kBadSubstreamId);
  EXPECT_TRUE(ev.ssv);
  EXPECT_EQ(ev.ssid, 16u);
}

TEST(SmmuFault, SubstreamOnSingleCdIsBad) {
  SmmuTestbench tb;
  FaultRig s(tb, 0);
  s.cd(0);
  s.ste(1);
  s.enable();
  DmaAttrs a = sid(1);
  a.ssv = true;
  a.ssid = 0;
  EXPECT_FALSE(tb.dma(0x1000, a).ok());
  EXPECT_EQ(single_event(tb).id, EventId::kBadSubstreamId);
}

TEST(SmmuFault, CdFetchAbort) {
  SmmuTestbench tb;
  FaultRig s(tb);
  s.cd(0);
  s.ste(1);
  s.enable();
  tb.mem.add_error_range(s.cds.cd_address(0), 64);
  EXPECT_FALSE(tb.dma(0x1000, sid(1)).ok());
  auto ev = single_event(tb);
  EXPECT_EQ(ev.id, EventId::kCdFetch);
  EXPECT_EQ(ev.fetch_addr, s.cds.cd_address(0));
}

TEST(SmmuFault, BadCd) {
  SmmuTestbench tb;
  FaultRig s(tb);
  arch::Cd cd = make_cd_4k(s.pt.root(), 5);
  cd.tg0 = 3;  // reserved granule
  s.cd(0, cd);
  s.ste(1);
  s.enable();
  EXPECT_FALSE(tb.dma(0x1000, sid(1)).ok());
  EXPECT_EQ(single_event(tb).id, EventId::kBadCd);
}

TEST(SmmuFault, WalkExternalAbort) {
  SmmuTestbench tb;
  FaultRig s(tb);
  s.pt.map(0x1000, 0x20000000, 0x1000, rw_s1(), false);
  s.cd(0);
  s.ste(1);
  s.enable();
  const uint64_t l3 = s.pt.entry_pa(0x1000, 3, false);
  tb.mem.add_error_range(l3 & ~0xfffull, 0x1000);
  EXPECT_FALSE(tb.dma(0x1000, sid(1)).ok());
  auto ev = single_event(tb);
  EXPECT_EQ(ev.id, EventId::kWalkEabt);
  EXPECT_EQ(ev.fetch_addr, l3);
}

TEST(SmmuFault, TranslationFaultOnUnmappedPage) {
  SmmuTestbench tb;
  FaultRig s(tb);
  s.pt.map(0x1000, 0x20000000, 0x1000, rw_s1(), false);
  s.cd(0);
  s.ste(1);
  s.enable();
  DmaAttrs a = sid(1);
  a.write = true;
  a.priv = true;
  a.exec = false;
  EXPECT_FALSE(tb.dma(0x2000, a).ok());
  auto ev = single_event(tb);
  EXPECT_EQ(ev.id, EventId::kTranslation);
  EXPECT_EQ(ev.input_addr, 0x2000u);
  EXPECT_FALSE(ev.rnw);
  EXPECT_TRUE(ev.pnu);
  EXPECT_FALSE(ev.s2);
  // Faults are not cached: the next access walks again.
  EXPECT_FALSE(tb.dma(0x2000, a).ok());
  EXPECT_EQ(tb.smmu.stats().walks, 2u);
}

TEST(SmmuFault, AddressSizeFault) {
  SmmuTestbench tb;
  FaultRig s(tb);
  s.pt.map(0x1000, uint64_t{1} << 45, 0x1000, rw_s1(), false);  // above IPS 44 bits
  arch::Cd cd = make_cd_4k(s.pt.root(), 5, 16, 4);
  s.cd(0, cd);
  s.ste(1);
  s.enable();
  EXPECT_FALSE(tb.dma(0x1000, sid(1)).ok());
  EXPECT_EQ(single_event(tb).id, EventId::kAddrSize);
}

TEST(SmmuFault, AccessFlagFault) {
  SmmuTestbench tb;
  FaultRig s(tb);
  auto attrs = rw_s1();
  attrs.af = false;
  s.pt.map(0x1000, 0x20000000, 0x1000, attrs, false);
  s.cd(0);
  s.ste(1);
  s.enable();
  EXPECT_FALSE(tb.dma(0x1000, sid(1)).ok());
  EXPECT_EQ(single_event(tb).id, EventId::kAccess);
}

TEST(SmmuFault, PermissionFaultOnWalkAndOnTlbHit) {
  SmmuTestbench tb;
  FaultRig s(tb);
  auto ro = rw_s1();
  ro.ap = 3;  // read-only, any EL
  s.pt.map(0x1000, 0x20000000, 0x1000, ro, false);
  s.cd(0);
  s.ste(1);
  s.enable();
  DmaAttrs w = sid(1);
  w.write = true;
  EXPECT_TRUE(tb.dma(0x1000, sid(1)).ok());  // a read fills the TLBs
  EXPECT_FALSE(tb.dma(0x1000, w).ok());      // the write hits the uTLB and is refused
  auto ev = single_event(tb);
  EXPECT_EQ(ev.id, EventId::kPermission);
  EXPECT_FALSE(ev.rnw);
  EXPECT_EQ(tb.smmu.stats().walks, 1u);
}

TEST(SmmuFault, Stage2FaultOfNestedCdFetch) {
  SmmuTestbench tb;
  FaultRig s(tb);
  PageTableBuilder s2(tb.writer, tb.alloc, arch::Granule{12}, 0, 1, platform::Stage::kS2);
  s2.map(0x0, 0x0, 0x200000, rw_s2(), true);  // the CD table's IPA is not mapped
  arch::Ste ste = make_s2_ste(s2.root(), 3, 0x14, 2);
  ste.config = static_cast<uint8_t>(arch::SteConfig::kNested);
  ste.s1_context_ptr = 0x7000000;
  s.st.write_ste(1, ste);
  s.enable();
  EXPECT_FALSE(tb.dma(0x1000, sid(1)).ok());
  auto ev = single_event(tb);
  EXPECT_EQ(ev.id, EventId::kTranslation);
  EXPECT_TRUE(ev.s2);
  EXPECT_EQ(ev.class_, EventClass::kCdFetch);
  EXPECT_EQ(ev.ipa, 0x7000000u);
}

TEST(SmmuFault, EventQueueOverflowFlagsAndKeepsRecords) {
  SmmuTestbench tb;
  FaultRig s(tb);
  tb.enable(s.st, 2);  // 4 entries
  for (int i = 0; i < 6; ++i) EXPECT_FALSE(tb.dma(0x1000 + i, sid(1)).ok());
  EXPECT_EQ(tb.smmu.stats().events, 4u);
  EXPECT_EQ(tb.smmu.stats().events_lost, 2u);
  const uint32_t prod = static_cast<uint32_t>(tb.reg(arch::reg::kEvtqProd));
  EXPECT_TRUE(arch::reg::queue_ovflg(prod));
  auto evs = tb.events();  // acknowledges the overflow
  ASSERT_EQ(evs.size(), 4u);
  for (int i = 0; i < 4; ++i) EXPECT_EQ(evs[i].input_addr, 0x1000u + i);
  EXPECT_FALSE(tb.dma(0x2000, sid(1)).ok());
  EXPECT_EQ(tb.events().size(), 1u);
}

TEST(SmmuFault, EventQueueInterruptOnEmptyToNonEmpty) {
  SmmuTestbench tb;
  FaultRig s(tb);
  s.enable();
  tb.set_reg(arch::reg::kIrqCtrl, arch::reg::irq_ctrl::kEvtqIrqEn.mask());
  EXPECT_FALSE(tb.dma(0x1000, sid(1)).ok());
  EXPECT_FALSE(tb.dma(0x2000, sid(1)).ok());  // not empty: no second interrupt
  EXPECT_EQ(tb.smmu.stats().evtq_irqs, 1u);
  sc_core::sc_start(sc_core::sc_time(200, sc_core::SC_NS));
  EXPECT_FALSE(tb.smmu.evtq_irq.read());
  tb.events();
  EXPECT_FALSE(tb.dma(0x3000, sid(1)).ok());
  EXPECT_EQ(tb.smmu.stats().evtq_irqs, 2u);
}

TEST(SmmuFault, EventQueueWriteAbortRaisesGerror) {
  SmmuTestbench tb;
  FaultRig s(tb);
  s.enable();
  tb.mem.add_error_range(tb.evtq_base(), 0x1000);
  EXPECT_FALSE(tb.dma(0x1000, sid(1)).ok());
  const uint32_t active = arch::reg::gerror_active(
      static_cast<uint32_t>(tb.reg(arch::reg::kGerror)), static_cast<uint32_t>(tb.reg(arch::reg::kGerrorN)));
  EXPECT_EQ(active, arch::reg::gerror::kEvtqAbt.mask());
}

TEST(SmmuFault, EventQueueInterruptAsMsi) {
  SmmuTestbench tb;
  FaultRig s(tb);
  s.enable();
  const uint64_t msi = 0x3000040;
  tb.set_reg(arch::reg::kEvtqIrqCfg0, msi, 8);
  tb.set_reg(arch::reg::kEvtqIrqCfg1, 0xfeed);
  tb.set_reg(arch::reg::kIrqCtrl, arch::reg::irq_ctrl::kEvtqIrqEn.mask());
  EXPECT_FALSE(tb.dma(0x1000, sid(1)).ok());
  EXPECT_EQ(tb.mem.read32(msi), 0xfeedu);
  EXPECT_EQ(tb.smmu.stats().evtq_irqs, 1u);
  sc_core::sc_start(sc_core::sc_time(100, sc_core::SC_NS));
  EXPECT_FALSE(tb.smmu.evtq_irq.read());  // an MSI replaces the wired pulse
}

TEST(SmmuFault, InterruptsGatedByIrqCtrl) {
  SmmuTestbench tb;
  FaultRig s(tb);
  s.enable();
  tb.mem.add_error_range(tb.evtq_base(), 0x1000);
  EXPECT_FALSE(tb.dma(0x1000, sid(1)).ok());  // EVTQ_ABT_ERR, but GERROR_IRQEN is off
  EXPECT_EQ(tb.smmu.stats().gerror_irqs, 0u);
  EXPECT_EQ(tb.smmu.stats().evtq_irqs, 0u);
}

TEST(SmmuFault, GerrorInterruptAsMsiAndItsAbort) {
  SmmuTestbench tb;
  FaultRig s(tb);
  s.enable();
  const uint64_t msi = 0x3000080;
  tb.set_reg(arch::reg::kGerrorIrqCfg0, msi, 8);
  tb.set_reg(arch::reg::kGerrorIrqCfg1, 0xabcd);
  tb.set_reg(arch::reg::kIrqCtrl, arch::reg::irq_ctrl::kGerrorIrqEn.mask());
  tb.mem.add_error_range(tb.evtq_base(), 0x1000);
  EXPECT_FALSE(tb.dma(0x1000, sid(1)).ok());
  EXPECT_EQ(tb.mem.read32(msi), 0xabcdu);
  EXPECT_EQ(tb.smmu.stats().gerror_irqs, 1u);
  // An MSI that itself aborts raises MSI_GERROR_ABT_ERR.
  tb.mem.add_error_range(msi, 4);
  tb.set_reg(arch::reg::kGerrorN, tb.reg(arch::reg::kGerror));
  tb.mem.add_error_range(tb.evtq_base(), 0x1000);
  EXPECT_FALSE(tb.dma(0x2000, sid(1)).ok());
  const uint32_t active = arch::reg::gerror_active(
      static_cast<uint32_t>(tb.reg(arch::reg::kGerror)), static_cast<uint32_t>(tb.reg(arch::reg::kGerrorN)));
  EXPECT_EQ(active, arch::reg::gerror::kEvtqAbt.mask() | arch::reg::gerror::kMsiGerrorAbt.mask());
}

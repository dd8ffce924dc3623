// SPDX-License-Identifier: Apache-2.0
// ATS end to end: a PCIe endpoint asks the SMMU for translations, caches them in its
// ATC, sends pre-translated traffic; the SMMU enforces STE.EATS and CR0.ATSCHK, and its
// ATC_INV reaches the endpoint, whose answer CMD_SYNC waits for.
#include <gtest/gtest.h>

#include "support/smmu_testbench.h"

using namespace smmu;
using namespace smmu::test;
using arch::Command;
using arch::EventId;
using arch::Opcode;
using platform::CdTableBuilder;
using platform::PageTableBuilder;
using platform::StreamTableBuilder;
using sc_core::sc_time;
using sc_core::SC_NS;
namespace r = arch::reg;

namespace {

constexpr uint32_t kSid = 7;
constexpr uint64_t kOld = 0x20000000, kNew = 0x30000000;

model::AtsEndpointParams endpoint(uint32_t sid = kSid, double round_trip_ns = 500,
                                  bool answers = true) {
  model::AtsEndpointParams p;
  p.sid = sid;
  p.pcie_round_trip = ns(round_trip_ns);
  p.answer_invalidations = answers;
  return p;
}

// A stage-1 stream for kSid with ATS (EATS as given) and, with substreams, a CD table of
// 4 CDs where traffic without a PASID uses CD 0 (S1DSS = substream 0).
struct AtsRig {
  SmmuTestbench& tb;
  StreamTableBuilder st;
  CdTableBuilder cds;
  PageTableBuilder pt;
  arch::Ste ste;
  AtsRig(SmmuTestbench& t, uint8_t eats = 1, bool substreams = false)
      : tb(t),
        st(StreamTableBuilder::linear(t.writer, t.alloc, 4)),
        cds(CdTableBuilder::linear(t.writer, t.alloc, substreams ? 2 : 0)),
        pt(t.writer, t.alloc, arch::Granule{12}, 0) {
    pt.map(0x1000, kOld + 0x1000, 0x4000, rw_s1_ng(), false);
    cds.write_cd(0, make_cd_4k(pt.root(), 1));
    if (substreams) cds.write_cd(1, make_cd_4k(pt.root(), 2));
    ste = make_s1_ste(cds);
    ste.eats = eats;
    if (substreams) ste.s1dss = static_cast<uint8_t>(arch::S1Dss::kSubstream0);
    st.write_ste(kSid, ste);
    for (uint64_t page = 1; page <= 4; ++page) {
      tb.mem.write64(kOld + page * 0x1000, 0x0100 + page);
      tb.mem.write64(kNew + page * 0x1000, 0x0e00 + page);
    }
    tb.enable(st);
    tb.enable_cmdq(5);
  }
  model::AtsEndpoint& ep(unsigned i = 0) { return *tb.endpoints.at(i); }
  // A read by the endpoint; returns the data, with the outcome and latency.
  uint64_t read(uint64_t va, model::DmaOutcome* out = nullptr, sc_time* latency = nullptr,
                unsigned i = 0, bool ssv = false, uint32_t ssid = 0) {
    uint64_t data = 0;
    model::DmaAccess a;
    a.address = va;
    a.size = 8;
    a.ssv = ssv;
    a.ssid = ssid;
    a.data = reinterpret_cast<uint8_t*>(&data);
    sc_time d = sc_core::SC_ZERO_TIME;
    model::DmaOutcome o = ep(i).dma_access(a, d);
    if (out) *out = o;
    if (latency) *latency = d;
    return data;
  }
  // A read with PASID 1 (substreams), privileged and/or an instruction fetch as asked.
  uint64_t pasid_read(uint64_t va, bool priv, bool fetch, model::DmaOutcome& out) {
    uint64_t data = 0;
    model::DmaAccess a;
    a.address = va;
    a.size = 8;
    a.ssv = true;
    a.ssid = 1;
    a.privileged = priv;
    a.instruction = fetch;
    a.data = reinterpret_cast<uint8_t*>(&data);
    sc_time d = sc_core::SC_ZERO_TIME;
    out = ep().dma_access(a, d);
    return data;
  }
  void commands(std::vector<Command> cmds, sc_time run = sc_time(20, sc_core::SC_US)) {
    tb.submit(cmds);
    tb.run(run);
  }
};

Command atc_inv(uint32_t sid, uint64_t addr, uint8_t size) {
  return Command(Opcode::kAtcInv).set_sid(sid).set_addr(addr).set_size(size);
}

}  // namespace

TEST(SmmuAts, TranslationRequestFillsTheAtcThenTrafficIsPreTranslated) {
  SmmuTestbench tb({}, 0, SmmuTestbench::default_memory(), false, {endpoint()});
  AtsRig rig(tb);
  model::DmaOutcome o;
  sc_time lat;
  EXPECT_EQ(rig.read(0x1008 - 8, &o, &lat), 0x0101u);
  EXPECT_TRUE(o.translation_requested);
  EXPECT_TRUE(o.ats_translated);
  EXPECT_EQ(o.sent_address, kOld + 0x1000);
  // ATC lookup 2 + half the round trip 250 + the SMMU's answer (link 8, config 2,
  // STE 50, CD 50, main TLB 3, walk cache 2, 4 reads 200, link 8) + 250 + the
  // pre-translated access (ATSCHK = 0: straight to memory, 50).
  EXPECT_EQ(lat, ns(2 + 250 + 323 + 250 + 50));
  EXPECT_EQ(rig.read(0x1000, &o, &lat), 0x0101u);  // ATC hit
  EXPECT_FALSE(o.translation_requested);
  EXPECT_EQ(lat, ns(2 + 50));
  EXPECT_EQ(tb.smmu.stats().ats_requests, 1u);
  EXPECT_EQ(tb.smmu.stats().ats_translated, 2u);
  EXPECT_EQ(tb.smmu.stats().walks, 1u);
  EXPECT_EQ(rig.ep().atc().hits(), 1u);
  EXPECT_EQ(tb.smmu.micro_tlb(0).occupancy(), 0u);  // ATS requests bypass micro TLBs
}

TEST(SmmuAts, EatsZeroAnswersUnsupportedAndRecordsBadAtsTreq) {
  SmmuTestbench tb({}, 0, SmmuTestbench::default_memory(), false, {endpoint()});
  AtsRig rig(tb, /*eats=*/0);
  model::DmaOutcome o;
  EXPECT_EQ(rig.read(0x2000, &o), 0x0102u);  // sent untranslated: the SMMU translates it
  EXPECT_FALSE(o.ats_translated);
  EXPECT_EQ(tb.smmu.stats().ats_unsupported, 1u);
  auto evs = tb.events();
  ASSERT_EQ(evs.size(), 1u);
  EXPECT_EQ(evs[0].id, EventId::kBadAtsTreq);
  EXPECT_EQ(evs[0].sid, kSid);
  EXPECT_EQ(rig.ep().stats().translation_failures, 1u);
}

TEST(SmmuAts, AtschkRefusesTranslatedTrafficOfAStreamWithoutAts) {
  SmmuTestbench tb({}, 0, SmmuTestbench::default_memory(), false, {endpoint()});
  AtsRig rig(tb);
  tb.set_reg(r::kCr0, tb.reg(r::kCr0) | r::cr0::kAtsChk.mask());
  sc_time lat;
  model::DmaOutcome o;
  EXPECT_EQ(rig.read(0x1000, &o), 0x0101u);
  EXPECT_EQ(rig.read(0x1000, &o, &lat), 0x0101u);  // checked: link, config hit, link
  EXPECT_EQ(lat, ns(2 + 8 + 2 + 8 + 50));
  // Software withdraws ATS from the stream but the endpoint still holds the translation.
  rig.ste.eats = 0;
  rig.st.write_ste(kSid, rig.ste);
  rig.commands({Command(Opcode::kCfgiSte).set_sid(kSid), Command(Opcode::kSync)});
  rig.read(0x1000, &o);
  EXPECT_TRUE(o.ats_translated);
  EXPECT_EQ(o.status, tlm::TLM_ADDRESS_ERROR_RESPONSE);
  auto evs = tb.events();
  ASSERT_EQ(evs.size(), 1u);
  EXPECT_EQ(evs[0].id, EventId::kTranslForbidden);
  EXPECT_EQ(tb.smmu.stats().ats_translated_refused, 1u);
}

TEST(SmmuAts, AtcInvalidationByRangeSsidAndAll) {
  SmmuTestbench tb({}, 0, SmmuTestbench::default_memory(), false, {endpoint()});
  AtsRig rig(tb, 1, /*substreams=*/true);
  rig.read(0x1000);
  rig.read(0x2000);
  rig.read(0x3000, nullptr, nullptr, 0, /*ssv=*/true, /*ssid=*/1);
  auto& atc = rig.ep().atc();
  ASSERT_EQ(atc.occupancy(), 3u);
  rig.commands({atc_inv(kSid, 0x1000, 0), Command(Opcode::kSync)});  // one page
  EXPECT_EQ(atc.occupancy(), 2u);
  EXPECT_FALSE(atc.probe(0, false, false, 0x1000));
  EXPECT_TRUE(atc.probe(0, false, false, 0x2000));
  rig.commands({atc_inv(kSid, 0, arch::kAtcInvSizeAll).set_ssv(true).set_ssid(1),
                Command(Opcode::kSync)});  // that PASID only
  EXPECT_EQ(atc.occupancy(), 1u);
  EXPECT_TRUE(atc.probe(0, false, false, 0x2000));
  rig.read(0x3000, nullptr, nullptr, 0, true, 1);
  rig.commands({atc_inv(kSid, 0, arch::kAtcInvSizeAll), Command(Opcode::kSync)});  // all
  EXPECT_EQ(atc.occupancy(), 0u);
  EXPECT_EQ(tb.smmu.command_stats().atc_inv_sent, 3u);
}

TEST(SmmuAts, SyncWaitsForTheInvalidationRoundTrip) {
  SmmuTestbench tb({}, 0, SmmuTestbench::default_memory(), false, {endpoint()});
  AtsRig rig(tb);
  rig.read(0x1000);
  const uint64_t msi = 0x3000000;
  tb.mem.write32(msi, 1);
  const sc_time t0 = sc_core::sc_time_stamp();
  tb.submit({atc_inv(kSid, 0x1000, 0),
             Command(Opcode::kSync).set_cs(arch::SyncCs::kIrq).set_msiaddr(msi)});
  // Fetch 50; ATC_INV issued at 52 (2 cycles), answered 500 ns later at 552; the SYNC
  // waits for it, then writes its MSI (issued at 552, done at 602).
  tb.run(ns(551));
  EXPECT_EQ(tb.mem.read32(msi), 1u);
  tb.run(ns(2));
  EXPECT_EQ(tb.mem.read32(msi), 0u);
  tb.run(ns(100));
  EXPECT_EQ(tb.cmdq_cons(), tb.cmdq_prod());
  EXPECT_EQ(tb.smmu.command_stats().sync_latency_max, ns(602));
  (void)t0;
}

TEST(SmmuAts, SyncWaitsForEveryEndpointInFlight) {
  SmmuTestbench tb({}, 0, SmmuTestbench::default_memory(), false,
                   {endpoint(kSid, 500), endpoint(kSid + 1, 800)});
  AtsRig rig(tb);
  tb.submit({atc_inv(kSid, 0x1000, 0), atc_inv(kSid + 1, 0x1000, 0),
             Command(Opcode::kSync).set_cs(arch::SyncCs::kNone)});
  tb.run(ns(5000));
  // Issued at 52 and 54: the slower answer comes at 854, the SYNC completes then.
  EXPECT_EQ(tb.smmu.command_stats().sync_latency_max, ns(854));
  EXPECT_EQ(tb.smmu.command_stats().atc_inv_sent, 2u);
  EXPECT_EQ(rig.ep(0).stats().invalidations_received, 1u);
  EXPECT_EQ(rig.ep(1).stats().invalidations_received, 1u);
}

TEST(SmmuAts, UnansweredInvalidationTimesOutAtTheSync) {
  SmmuTestbench tb({}, 0, SmmuTestbench::default_memory(), false,
                   {endpoint(kSid, 500, /*answers=*/false)});
  AtsRig rig(tb);
  tb.submit({atc_inv(kSid, 0x1000, 0), Command(Opcode::kSync)});
  tb.run(sc_time(100, sc_core::SC_US));  // the timeout is 100 us from the ATC_INV (52 ns)
  EXPECT_EQ(r::cmdq_cons_error(tb.cmdq_cons()), r::CmdqError::kNone);
  tb.run(ns(100));
  const uint32_t cons = tb.cmdq_cons();
  EXPECT_EQ(r::cmdq_cons_error(cons), r::CmdqError::kAtcInvSync);
  EXPECT_EQ(r::queue_index(cons, 5), 1u);  // CONS stays at the CMD_SYNC
  EXPECT_EQ(tb.smmu.command_stats().atc_inv_timeouts, 1u);
  EXPECT_TRUE(r::gerror_active(static_cast<uint32_t>(tb.reg(r::kGerror)),
                               static_cast<uint32_t>(tb.reg(r::kGerrorN))) &
              r::gerror::kCmdqErr.mask());
  // Software acknowledges: the SYNC runs again and completes.
  tb.set_reg(r::kGerrorN, tb.reg(r::kGerror));
  tb.run(ns(1000));
  EXPECT_EQ(tb.cmdq_cons() & 0xff, tb.cmdq_prod());
  EXPECT_EQ(tb.smmu.command_stats().syncs, 1u);
}

TEST(SmmuAts, NoStaleTranslationInTheAtc) {
  SmmuTestbench tb({}, 0, SmmuTestbench::default_memory(), false, {endpoint()});
  AtsRig rig(tb);
  EXPECT_EQ(rig.read(0x1000), 0x0101u);
  rig.pt.write_entry(0x1000, 3, arch::make_s1_leaf(kNew + 0x1000, 3, rw_s1_ng()));
  rig.commands({Command(Opcode::kTlbiNhVa).set_asid(1).set_addr(0x1000), Command(Opcode::kSync)});
  EXPECT_EQ(rig.read(0x1000), 0x0101u);  // the ATC still translates the old way
  // TLBIs synced before the ATC invalidation, as the driver orders them.
  rig.commands({Command(Opcode::kTlbiNhVa).set_asid(1).set_addr(0x1000), Command(Opcode::kSync),
                atc_inv(kSid, 0x1000, 0), Command(Opcode::kSync)});
  EXPECT_EQ(rig.read(0x1000), 0x0e01u);
}

TEST(SmmuAts, SplitStageAnswersWithTheIpaAndStage2AppliesToTraffic) {
  SmmuTestbench tb({}, 0, SmmuTestbench::default_memory(), false, {endpoint()});
  auto st = StreamTableBuilder::linear(tb.writer, tb.alloc, 4);
  // Stage 2: identity on the first GiB (where the tables live), and IPA 0x50001000 to
  // the data page.
  PageTableBuilder s2(tb.writer, tb.alloc, arch::Granule{12}, 0, 1, platform::Stage::kS2);
  s2.map(0, 0, uint64_t{1} << 30, rw_s2(), true);
  s2.map(0x50001000, kOld + 0x1000, 0x1000, rw_s2(), false);
  auto cds = CdTableBuilder::linear(tb.writer, tb.alloc, 0);
  PageTableBuilder s1(tb.writer, tb.alloc, arch::Granule{12}, 0);
  s1.map(0x1000, 0x50001000, 0x1000, rw_s1_ng(), false);
  cds.write_cd(0, make_cd_4k(s1.root(), 1));
  arch::Ste ste = make_s2_ste(s2.root(), 3, 0x14, 2);
  ste.config = static_cast<uint8_t>(arch::SteConfig::kNested);
  ste.eats = static_cast<uint8_t>(arch::Eats::kSplit);
  cds.attach(ste);
  st.write_ste(kSid, ste);
  tb.mem.write64(kOld + 0x1000, 0x5b11);
  tb.enable(st);
  tb.set_reg(r::kCr0, tb.reg(r::kCr0) | r::cr0::kAtsChk.mask());

  uint64_t data = 0;
  model::DmaAccess a;
  a.address = 0x1000;
  a.size = 8;
  a.data = reinterpret_cast<uint8_t*>(&data);
  sc_time d = sc_core::SC_ZERO_TIME;
  const model::DmaOutcome o = tb.endpoints[0]->dma_access(a, d);
  ASSERT_EQ(o.status, tlm::TLM_OK_RESPONSE);
  EXPECT_TRUE(o.ats_translated);
  EXPECT_EQ(o.sent_address, 0x50001000u);  // the IPA, not the PA
  EXPECT_EQ(data, 0x5b11u);                // stage 2 applied to the translated access
  EXPECT_EQ(tb.smmu.stats().ats_translated, 1u);
  EXPECT_TRUE(tb.events().empty());
}

// The SMMU answers for the request's privilege level and grants Exe only to a fetch that
// may execute (IHI 0070 §13.7.1); the ATC keeps each level's answer for that level.
// Page 0x1000 is EL0-writable: executable unprivileged, never privileged (VMSAv8-64).
// Page 0x6000 is privileged-only (AP = 00).
TEST(SmmuAts, AnswersPerPrivilegeLevelAndExecute) {
  SmmuTestbench tb({}, 0, SmmuTestbench::default_memory(), false, {endpoint()});
  AtsRig rig(tb, 1, /*substreams=*/true);
  arch::S1LeafAttrs priv_only = rw_s1_ng();
  priv_only.ap = 0;
  rig.pt.map(0x6000, kOld + 0x6000, 0x1000, priv_only, false);
  tb.mem.write64(kOld + 0x6000, 0x0106);
  auto& atc = rig.ep().atc();
  model::DmaOutcome o;

  // An unprivileged fetch: R and Exe, for unprivileged requests.
  EXPECT_EQ(rig.pasid_read(0x1000, false, true, o), 0x0101u);
  EXPECT_TRUE(o.ats_translated);
  ASSERT_TRUE(atc.probe(1, true, false, 0x1000).has_value());
  EXPECT_TRUE(atc.probe(1, true, false, 0x1000)->exec);
  EXPECT_FALSE(atc.probe(1, true, false, 0x1000)->priv);
  // A privileged fetch does not use it: it asks, gets R without Exe, goes untranslated
  // and the SMMU faults it.
  rig.pasid_read(0x1008, true, true, o);
  EXPECT_TRUE(o.translation_requested);
  EXPECT_FALSE(o.ats_translated);
  EXPECT_NE(o.status, tlm::TLM_OK_RESPONSE);
  ASSERT_TRUE(atc.probe(1, true, true, 0x1000).has_value());
  EXPECT_TRUE(atc.probe(1, true, true, 0x1000)->priv);
  EXPECT_FALSE(atc.probe(1, true, true, 0x1000)->exec);
  // A privileged data read hits the privileged entry.
  EXPECT_EQ(rig.pasid_read(0x1000, true, false, o), 0x0101u);
  EXPECT_FALSE(o.translation_requested);
  EXPECT_TRUE(o.ats_translated);

  // Privileged-only page: no access unprivileged (and the SMMU faults the access); the
  // privileged read asks for itself and is pre-translated.
  rig.pasid_read(0x6000, false, false, o);
  EXPECT_TRUE(o.translation_requested);
  EXPECT_FALSE(o.ats_translated);
  EXPECT_NE(o.status, tlm::TLM_OK_RESPONSE);
  EXPECT_EQ(rig.pasid_read(0x6000, true, false, o), 0x0106u);
  EXPECT_TRUE(o.translation_requested);
  EXPECT_TRUE(o.ats_translated);
  EXPECT_EQ(tb.smmu.stats().ats_requests, 4u);
  EXPECT_EQ(tb.smmu.stats().ats_no_access, 1u);
  auto evs = tb.events();
  ASSERT_EQ(evs.size(), 2u);  // the two untranslated accesses; ATS records nothing
  for (const auto& ev : evs) EXPECT_EQ(ev.id, EventId::kPermission);
  EXPECT_EQ(atc.occupancy(), 3u);

  // One ATC_INV of the page removes both levels' entries.
  rig.commands({atc_inv(kSid, 0x1000, 0).set_ssv(true).set_ssid(1), Command(Opcode::kSync)});
  EXPECT_FALSE(atc.probe(1, true, false, 0x1000).has_value());
  EXPECT_FALSE(atc.probe(1, true, true, 0x1000).has_value());
  EXPECT_EQ(atc.occupancy(), 1u);
}

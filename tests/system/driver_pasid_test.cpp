// SPDX-License-Identifier: Apache-2.0
// Domains at PASIDs (Iommu::attach_pasid / detach_pasid) on a simulated CPU against the
// SMMU model: linear and 2-level CD tables (leaves made on first use), what traffic
// without PASID does under each RID domain (S1DSS), the invalidation array's entries
// per (SMMU, ASID) and per (SID, SSID), ATC_INV with SSV, a domain at PASIDs of masters
// behind two SMMUs, replacing and blocking a PASID, and release with PASIDs attached.
#include <gtest/gtest.h>

#include <functional>

#include "driver/io_pgtable.h"
#include "rtl_model/arch/cd.h"
#include "rtl_model/arch/ste.h"
#include "support/driver_soc.h"

using namespace smmu;
using driver::Domain;
using driver::InvType;
using driver::IommuProt;
using driver::Master;
using driver::PgtableStatus;
using driver::SmmuStatus;
using test::DriverSoc;
using test::DriverSocConfig;
using Op = arch::Opcode;

namespace {

constexpr uint64_t kIova = 0x4000'0000, kPaA = 0x2000'0000, kPaB = 0x2100'0000;
constexpr uint64_t kWordA = 0xa1a1'0000'0000'0001ull, kWordB = 0xb2b2'0000'0000'0002ull;
constexpr uint32_t kSid = 5;

void run_driver(DriverSoc& soc, const std::function<void(driver::Os&, driver::Iommu&)>& body,
                driver::SyncCompletion c = driver::SyncCompletion::kMsi) {
  ASSERT_TRUE(soc.run_driver(body, c)) << "bring-up failed or the program did not finish";
}

// An S1 domain mapping kIova -> pa (one page).
std::unique_ptr<Domain> s1_domain(driver::Iommu& iommu, uint64_t pa) {
  auto d = test::make_paging_domain(iommu, driver::PgtableStage::kS1);
  if (d->map(kIova, pa, 0x1000, IommuProt{}) != PgtableStatus::kOk)
    throw std::runtime_error("map failed");
  return d;
}

std::unique_ptr<Master> pasid_master(driver::Iommu& iommu, driver::SmmuDevice& dev, uint32_t sid,
                                     unsigned ssid_bits) {
  driver::MasterConfig mc;
  mc.sids = {sid};
  mc.ssid_bits = ssid_bits;
  std::unique_ptr<Master> m;
  if (iommu.probe_master(dev, mc, m) != SmmuStatus::kOk) throw std::runtime_error("probe failed");
  return m;
}

// The live entries of a domain's array as (type, id, ssid, users).
struct Entry {
  InvType type;
  uint32_t id, ssid;
  int users;
  unsigned smmu;
  bool operator==(const Entry& o) const {
    return type == o.type && id == o.id && ssid == o.ssid && users == o.users && smmu == o.smmu;
  }
};
std::ostream& operator<<(std::ostream& os, const Entry& e) {
  return os << driver::to_string(e.type) << " smmu " << e.smmu << " id " << e.id << " ssid "
            << e.ssid << " users " << e.users;
}
std::vector<Entry> live_entries(const Domain& d) {
  std::vector<Entry> out;
  for (const driver::InvEntry& e : d.invs()->locked().entries())
    if (e.users > 0) out.push_back({e.type, e.id, e.ssid, e.users, e.smmu->index});
  return out;
}

}  // namespace

// A linear table (16 CDs): the RID domain at CD 0, other domains at PASIDs 1 and 2, one
// ASID entry per (SMMU, domain) whatever the number of PASIDs using it.
TEST(DriverPasid, LinearTableRoutesEachPasidToItsDomain) {
  DriverSoc soc;
  soc.write64(kPaA, kWordA);
  soc.write64(kPaB, kWordB);
  arch::Ste ste;
  arch::Cd cd1, cd1_after;
  test::Master::Result rid, p1, p2, p3, p1_after, p2_after;
  std::vector<Entry> a_entries, b_entries, b_after;
  uint16_t asid_a = 0, asid_b = 0;
  uint64_t tlbi_asid_before = 0, tlbi_asid_after = 0, freed_before = 0, freed_after = 0;
  bool linear = false;
  SmmuStatus bad_zero{}, bad_range{};
  run_driver(soc, [&](driver::Os&, driver::Iommu& iommu) {
    auto a = s1_domain(iommu, kPaA);
    auto b = s1_domain(iommu, kPaB);
    auto m = pasid_master(iommu, soc.device(0), kSid, 4);
    ASSERT_EQ(iommu.attach(*m, *a), SmmuStatus::kOk);
    ASSERT_EQ(iommu.attach_pasid(*m, 1, *b), SmmuStatus::kOk);
    ASSERT_EQ(iommu.attach_pasid(*m, 2, *a), SmmuStatus::kOk);
    bad_zero = iommu.attach_pasid(*m, 0, *b);
    bad_range = iommu.attach_pasid(*m, 16, *b);
    linear = !m->cd_table()->two_level();
    ste = soc.ste(0, kSid);
    asid_a = m->tag()->id;
    cd1 = soc.cd(m->cd_table()->cd_pa(1));
    asid_b = static_cast<uint16_t>(cd1.asid);
    rid = soc.dma(0, 0, kSid, kIova);
    p1 = soc.pasid_dma(0, 0, kSid, 1, kIova);
    p2 = soc.pasid_dma(0, 0, kSid, 2, kIova);
    p3 = soc.pasid_dma(0, 0, kSid, 3, kIova);  // CD 3 is invalid
    a_entries = live_entries(*a);
    b_entries = live_entries(*b);
    tlbi_asid_before = soc.opcode_count(0, Op::kTlbiNhAsid);
    freed_before = iommu.stats().tags_freed.load();
    iommu.detach_pasid(*m, 1);
    tlbi_asid_after = soc.opcode_count(0, Op::kTlbiNhAsid);
    freed_after = iommu.stats().tags_freed.load();
    cd1_after = soc.cd(m->cd_table()->cd_pa(1));
    b_after = live_entries(*b);
    p1_after = soc.pasid_dma(0, 0, kSid, 1, kIova);
    p2_after = soc.pasid_dma(0, 0, kSid, 2, kIova);
    iommu.release_master(m);
  });
  EXPECT_EQ(bad_zero, SmmuStatus::kInvalidArgument);  // SSID 0 is the RID's CD
  EXPECT_EQ(bad_range, SmmuStatus::kInvalidArgument);
  EXPECT_TRUE(linear);
  EXPECT_EQ(ste.config, static_cast<uint8_t>(arch::SteConfig::kS1));
  EXPECT_EQ(ste.s1cdmax, 4u);
  EXPECT_EQ(ste.s1fmt, 0u);
  EXPECT_EQ(ste.s1dss, static_cast<uint8_t>(arch::S1Dss::kSubstream0));
  EXPECT_TRUE(cd1.valid);
  EXPECT_NE(asid_a, asid_b);
  ASSERT_TRUE(rid.ok());
  EXPECT_EQ(rid.data, kWordA);
  ASSERT_TRUE(p1.ok());
  EXPECT_EQ(p1.data, kWordB);
  ASSERT_TRUE(p2.ok());
  EXPECT_EQ(p2.data, kWordA);
  EXPECT_FALSE(p3.ok());
  EXPECT_EQ(a_entries, (std::vector<Entry>{{InvType::kS1Asid, asid_a, 0, 2, 0}}));
  EXPECT_EQ(b_entries, (std::vector<Entry>{{InvType::kS1Asid, asid_b, 0, 1, 0}}));
  // Blocking PASID 1 cleared its CD and flushed and freed B's ASID (its last user).
  EXPECT_FALSE(cd1_after.valid);
  EXPECT_EQ(tlbi_asid_after - tlbi_asid_before, 1u);
  EXPECT_EQ(freed_after - freed_before, 1u);
  EXPECT_TRUE(b_after.empty());
  EXPECT_FALSE(p1_after.ok());
  ASSERT_TRUE(p2_after.ok());
  EXPECT_EQ(p2_after.data, kWordA);
}

// 12 PASID bits: a 2-level table (S1Fmt 0b10, 64 KiB leaves of 1024 CDs) whose leaves
// exist only once a PASID in them was attached; linking a leaf is followed by a
// CFGI_CD with Leaf = 0 (the SMMU may hold the invalid L1 descriptor).
TEST(DriverPasid, TwoLevelTableAllocatesLeavesOnFirstUse) {
  DriverSoc soc;
  soc.write64(kPaA, kWordA);
  soc.write64(kPaB, kWordB);
  arch::Ste ste;
  size_t leaves_rid = 0, leaves_after = 0;
  bool two_level = false, leaf2_absent = false, leaf3_absent = false;
  test::Master::Result lo, hi, rid;
  std::vector<arch::Command> queued;
  run_driver(soc, [&](driver::Os&, driver::Iommu& iommu) {
    auto a = s1_domain(iommu, kPaA);
    auto b = s1_domain(iommu, kPaB);
    auto m = pasid_master(iommu, soc.device(0), kSid, 12);
    ASSERT_EQ(iommu.attach(*m, *a), SmmuStatus::kOk);
    two_level = m->cd_table()->two_level();
    leaves_rid = m->cd_table()->leaves();
    driver::CommandQueue& q = soc.device(0).cmdq();
    const uint64_t p0 = q.produced();
    ASSERT_EQ(iommu.attach_pasid(*m, 2000, *b), SmmuStatus::kOk);  // leaf 1
    queued = soc.queued_commands(0, p0, q.produced());
    ASSERT_EQ(iommu.attach_pasid(*m, 7, *b), SmmuStatus::kOk);     // leaf 0, already there
    leaves_after = m->cd_table()->leaves();
    leaf2_absent = m->cd_table()->cd_pa(2048) == 0;
    leaf3_absent = m->cd_table()->cd_pa(4095) == 0;
    ste = soc.ste(0, kSid);
    lo = soc.pasid_dma(0, 0, kSid, 7, kIova);
    hi = soc.pasid_dma(0, 0, kSid, 2000, kIova);
    rid = soc.dma(0, 0, kSid, kIova);
    iommu.release_master(m);
  }, driver::SyncCompletion::kConsPoll);  // the SYNC slots keep their opcode
  EXPECT_TRUE(two_level);
  EXPECT_EQ(leaves_rid, 1u);  // CD 0's leaf
  EXPECT_EQ(leaves_after, 2u);
  EXPECT_TRUE(leaf2_absent);
  EXPECT_TRUE(leaf3_absent);
  EXPECT_EQ(ste.s1fmt, 2u);
  EXPECT_EQ(ste.s1cdmax, 12u);
  ASSERT_GE(queued.size(), 2u);
  EXPECT_EQ(queued[0].opcode(), Op::kCfgiCd);  // the new L1 descriptor first
  EXPECT_EQ(queued[0].ssid(), 2000u);
  EXPECT_FALSE(queued[0].leaf());
  EXPECT_EQ(queued[1].opcode(), Op::kSync);
  ASSERT_TRUE(lo.ok());
  EXPECT_EQ(lo.data, kWordB);
  ASSERT_TRUE(hi.ok());
  EXPECT_EQ(hi.data, kWordB);
  ASSERT_TRUE(rid.ok());
  EXPECT_EQ(rid.data, kWordA);
}

// A blocked master with a PASID: its STEs take the CD table with S1DSS = terminate (no
// PASID: aborted), and go back to aborting when the PASID is blocked again. An identity
// master's traffic without PASID bypasses (S1DSS = bypass).
TEST(DriverPasid, BlockedAndIdentityRidDomainsWithPasids) {
  DriverSoc soc;
  soc.write64(kPaA, kWordA);
  soc.write64(kPaB, kWordB);
  constexpr uint32_t kSid2 = 6;
  arch::Ste blocked_ste, blocked_after, identity_ste, identity_after;
  test::Master::Result blocked_rid, blocked_p, identity_rid, identity_p, identity_rid_after;
  run_driver(soc, [&](driver::Os&, driver::Iommu& iommu) {
    auto b = s1_domain(iommu, kPaB);
    auto blocked = pasid_master(iommu, soc.device(0), kSid, 4);
    ASSERT_EQ(iommu.attach(*blocked, iommu.blocked_domain()), SmmuStatus::kOk);
    ASSERT_EQ(iommu.attach_pasid(*blocked, 3, *b), SmmuStatus::kOk);
    blocked_ste = soc.ste(0, kSid);
    blocked_rid = soc.dma(0, 0, kSid, kIova);
    blocked_p = soc.pasid_dma(0, 0, kSid, 3, kIova);
    iommu.detach_pasid(*blocked, 3);
    blocked_after = soc.ste(0, kSid);

    auto identity = pasid_master(iommu, soc.device(0), kSid2, 4);
    ASSERT_EQ(iommu.attach(*identity, iommu.identity_domain()), SmmuStatus::kOk);
    ASSERT_EQ(iommu.attach_pasid(*identity, 9, *b), SmmuStatus::kOk);
    identity_ste = soc.ste(0, kSid2);
    identity_rid = soc.dma(0, 0, kSid2, kPaA);  // untranslated
    identity_p = soc.pasid_dma(0, 0, kSid2, 9, kIova);
    iommu.detach_pasid(*identity, 9);
    identity_after = soc.ste(0, kSid2);
    identity_rid_after = soc.dma(0, 0, kSid2, kPaA);
    iommu.release_master(blocked);
    iommu.release_master(identity);
  });
  EXPECT_EQ(blocked_ste.config, static_cast<uint8_t>(arch::SteConfig::kS1));
  EXPECT_EQ(blocked_ste.s1dss, static_cast<uint8_t>(arch::S1Dss::kTerminate));
  EXPECT_FALSE(blocked_rid.ok());
  ASSERT_TRUE(blocked_p.ok());
  EXPECT_EQ(blocked_p.data, kWordB);
  EXPECT_EQ(blocked_after.config, static_cast<uint8_t>(arch::SteConfig::kAbort));
  EXPECT_EQ(identity_ste.config, static_cast<uint8_t>(arch::SteConfig::kS1));
  EXPECT_EQ(identity_ste.s1dss, static_cast<uint8_t>(arch::S1Dss::kBypass));
  ASSERT_TRUE(identity_rid.ok());
  EXPECT_EQ(identity_rid.data, kWordA);
  ASSERT_TRUE(identity_p.ok());
  EXPECT_EQ(identity_p.data, kWordB);
  EXPECT_EQ(identity_after.config, static_cast<uint8_t>(arch::SteConfig::kBypass));
  ASSERT_TRUE(identity_rid_after.ok());
  EXPECT_EQ(identity_rid_after.data, kWordA);
}

// The STEs of a master with PASIDs need the CD table: no stage-2 RID domain then, and
// no PASID under a stage-2 RID domain.
TEST(DriverPasid, Stage2RidDomainAndPasidsExcludeEachOther) {
  DriverSoc soc;
  SmmuStatus s2_with_pasid{}, pasid_with_s2{}, non_s1_at_pasid{};
  run_driver(soc, [&](driver::Os&, driver::Iommu& iommu) {
    auto a = s1_domain(iommu, kPaA);
    auto s2 = test::make_paging_domain(iommu, driver::PgtableStage::kS2);
    auto m = pasid_master(iommu, soc.device(0), kSid, 4);
    ASSERT_EQ(iommu.attach(*m, *a), SmmuStatus::kOk);
    ASSERT_EQ(iommu.attach_pasid(*m, 1, *a), SmmuStatus::kOk);
    s2_with_pasid = iommu.attach(*m, *s2);
    non_s1_at_pasid = iommu.attach_pasid(*m, 2, *s2);
    iommu.detach_pasid(*m, 1);
    ASSERT_EQ(iommu.attach(*m, *s2), SmmuStatus::kOk);
    pasid_with_s2 = iommu.attach_pasid(*m, 1, *a);
    iommu.release_master(m);
  });
  EXPECT_EQ(s2_with_pasid, SmmuStatus::kBusy);
  EXPECT_EQ(non_s1_at_pasid, SmmuStatus::kInvalidArgument);
  EXPECT_EQ(pasid_with_s2, SmmuStatus::kBusy);
}

// Replacing the domain at a PASID: the new CD is live before the old domain loses the
// master; the old ASID is flushed and freed when that was its last user.
TEST(DriverPasid, ReplacingTheDomainAtAPasid) {
  DriverSoc soc;
  soc.write64(kPaA, kWordA);
  soc.write64(kPaB, kWordB);
  test::Master::Result before, after;
  unsigned a_masters = 9, b_masters = 9;
  uint64_t tlbi_asid = 0;
  run_driver(soc, [&](driver::Os&, driver::Iommu& iommu) {
    auto a = s1_domain(iommu, kPaA);
    auto b = s1_domain(iommu, kPaB);
    auto m = pasid_master(iommu, soc.device(0), kSid, 4);
    ASSERT_EQ(iommu.attach(*m, iommu.blocked_domain()), SmmuStatus::kOk);
    ASSERT_EQ(iommu.attach_pasid(*m, 1, *a), SmmuStatus::kOk);
    before = soc.pasid_dma(0, 0, kSid, 1, kIova);
    const uint64_t t0 = soc.opcode_count(0, Op::kTlbiNhAsid);
    ASSERT_EQ(iommu.attach_pasid(*m, 1, *b), SmmuStatus::kOk);
    tlbi_asid = soc.opcode_count(0, Op::kTlbiNhAsid) - t0;
    after = soc.pasid_dma(0, 0, kSid, 1, kIova);
    a_masters = a->attached_masters();
    b_masters = b->attached_masters();
    iommu.release_master(m);
    EXPECT_EQ(b->attached_masters(), 0u);
    EXPECT_EQ(iommu.free_domain(b), SmmuStatus::kOk);
  });
  ASSERT_TRUE(before.ok());
  EXPECT_EQ(before.data, kWordA);
  ASSERT_TRUE(after.ok());
  EXPECT_EQ(after.data, kWordB);
  EXPECT_EQ(a_masters, 0u);
  EXPECT_EQ(b_masters, 1u);
  EXPECT_EQ(tlbi_asid, 1u);  // A's ASID, its last user gone
}

// One domain at PASIDs of masters behind two SMMUs: one ASID entry per SMMU, an unmap
// invalidates on both, and neither device reads the page afterwards.
TEST(DriverPasid, DomainAtPasidsOfMastersBehindTwoSmmus) {
  DriverSocConfig cfg;
  cfg.smmus = 2;
  DriverSoc soc(cfg);
  soc.write64(kPaA, kWordA);
  std::vector<Entry> entries;
  test::Master::Result r0, r1, r0_after, r1_after;
  uint64_t tlbi0 = 0, tlbi1 = 0;
  uint16_t asid0 = 0, asid1 = 0;
  run_driver(soc, [&](driver::Os&, driver::Iommu& iommu) {
    auto a = s1_domain(iommu, kPaA);
    auto m0 = pasid_master(iommu, soc.device(0), kSid, 4);
    auto m1 = pasid_master(iommu, soc.device(1), kSid, 8);
    ASSERT_EQ(iommu.attach_pasid(*m0, 3, *a), SmmuStatus::kOk);
    ASSERT_EQ(iommu.attach_pasid(*m1, 200, *a), SmmuStatus::kOk);
    asid0 = static_cast<uint16_t>(soc.cd(m0->cd_table()->cd_pa(3)).asid);
    asid1 = static_cast<uint16_t>(soc.cd(m1->cd_table()->cd_pa(200)).asid);
    entries = live_entries(*a);
    r0 = soc.pasid_dma(0, 0, kSid, 3, kIova);
    r1 = soc.pasid_dma(1, 0, kSid, 200, kIova);
    const uint64_t t0 = soc.opcode_count(0, Op::kTlbiNhVa), t1 = soc.opcode_count(1, Op::kTlbiNhVa);
    ASSERT_EQ(a->unmap(kIova, 0x1000).inv, SmmuStatus::kOk);
    tlbi0 = soc.opcode_count(0, Op::kTlbiNhVa) - t0;
    tlbi1 = soc.opcode_count(1, Op::kTlbiNhVa) - t1;
    r0_after = soc.pasid_dma(0, 0, kSid, 3, kIova);
    r1_after = soc.pasid_dma(1, 0, kSid, 200, kIova);
    iommu.release_master(m0);
    iommu.release_master(m1);
  });
  EXPECT_EQ(entries, (std::vector<Entry>{{InvType::kS1Asid, asid0, 0, 1, 0},
                                         {InvType::kS1Asid, asid1, 0, 1, 1}}));
  ASSERT_TRUE(r0.ok());
  EXPECT_EQ(r0.data, kWordA);
  ASSERT_TRUE(r1.ok());
  EXPECT_EQ(r1.data, kWordA);
  EXPECT_EQ(tlbi0, 1u);
  EXPECT_EQ(tlbi1, 1u);
  EXPECT_FALSE(r0_after.ok());
  EXPECT_FALSE(r1_after.ok());
}

// Release with PASIDs attached: each PASID is blocked (its domain loses the master, its
// ASID is flushed and freed), then the release domain.
TEST(DriverPasid, ReleaseDetachesEveryPasid) {
  DriverSoc soc;
  uint64_t detaches = 0, freed = 0;
  unsigned a_masters = 9, b_masters = 9;
  arch::Ste released;
  run_driver(soc, [&](driver::Os&, driver::Iommu& iommu) {
    auto a = s1_domain(iommu, kPaA);
    auto b = s1_domain(iommu, kPaB);
    auto m = pasid_master(iommu, soc.device(0), kSid, 4);
    ASSERT_EQ(iommu.attach(*m, *a), SmmuStatus::kOk);
    ASSERT_EQ(iommu.attach_pasid(*m, 1, *b), SmmuStatus::kOk);
    ASSERT_EQ(iommu.attach_pasid(*m, 5, *a), SmmuStatus::kOk);
    const uint64_t f0 = iommu.stats().tags_freed.load();
    iommu.release_master(m);
    detaches = iommu.stats().pasid_detaches.load();
    freed = iommu.stats().tags_freed.load() - f0;
    a_masters = a->attached_masters();
    b_masters = b->attached_masters();
    released = soc.ste(0, kSid);
  });
  EXPECT_EQ(detaches, 2u);
  EXPECT_EQ(freed, 2u);
  EXPECT_EQ(a_masters, 0u);
  EXPECT_EQ(b_masters, 0u);
  EXPECT_EQ(released.config, static_cast<uint8_t>(arch::SteConfig::kAbort));
}

// ATS per PASID: the entries carry the SSID, an unmap of the PASID's domain sends
// ATC_INV with SSV and that SSID after the TLBI's sync, and it drops only that PASID's
// ATC entries (the RID's translation of the same address stays).
TEST(DriverPasid, AtsInvalidationCarriesTheSsid) {
  DriverSocConfig cfg;
  cfg.ats_endpoints = 1;
  DriverSoc soc(cfg);
  const uint32_t sid = DriverSoc::endpoint_sid(0, 0);
  soc.write64(kPaA, kWordA);
  soc.write64(kPaB, kWordB);
  std::vector<Entry> b_entries;
  std::vector<arch::Command> queued;
  uint64_t rid_data = 0, p_data = 0;
  model::DmaOutcome rid_after, p_after;
  uint16_t asid_b = 0;
  run_driver(
      soc,
      [&](driver::Os&, driver::Iommu& iommu) {
        auto a = s1_domain(iommu, kPaA);
        auto b = s1_domain(iommu, kPaB);
        driver::MasterConfig mc;
        mc.sids = {sid};
        mc.ats_capable = true;
        mc.ssid_bits = 8;
        mc.set_ats_enable = [&soc](bool on) { soc.endpoint(0, 0).set_ats_enabled(on); };
        std::unique_ptr<Master> m;
        ASSERT_EQ(iommu.probe_master(soc.device(0), mc, m), SmmuStatus::kOk);
        ASSERT_EQ(iommu.attach(*m, *a), SmmuStatus::kOk);
        ASSERT_EQ(iommu.attach_pasid(*m, 42, *b), SmmuStatus::kOk);
        asid_b = static_cast<uint16_t>(soc.cd(m->cd_table()->cd_pa(42)).asid);
        b_entries = live_entries(*b);
        ASSERT_EQ(soc.ats_dma(0, 0, kIova, false, &rid_data).status, tlm::TLM_OK_RESPONSE);
        ASSERT_EQ(soc.ats_dma(0, 0, kIova, false, &p_data, 42u).status, tlm::TLM_OK_RESPONSE);
        driver::CommandQueue& q = soc.device(0).cmdq();
        const uint64_t p0 = q.produced();
        ASSERT_EQ(b->unmap(kIova, 0x1000).inv, SmmuStatus::kOk);
        queued = soc.queued_commands(0, p0, q.produced());
        rid_after = soc.ats_dma(0, 0, kIova);
        p_after = soc.ats_dma(0, 0, kIova, false, nullptr, 42u);
        iommu.release_master(m);
      },
      driver::SyncCompletion::kConsPoll);  // the SYNC slots keep their opcode
  EXPECT_EQ(rid_data, kWordA);
  EXPECT_EQ(p_data, kWordB);
  EXPECT_EQ(b_entries, (std::vector<Entry>{{InvType::kS1Asid, asid_b, 0, 1, 0},
                                           {InvType::kAts, sid, 42, 1, 0}}));
  ASSERT_EQ(queued.size(), 4u);
  EXPECT_EQ(queued[0].opcode(), Op::kTlbiNhVa);
  EXPECT_EQ(queued[1].opcode(), Op::kSync);
  EXPECT_EQ(queued[2].opcode(), Op::kAtcInv);
  EXPECT_EQ(queued[2].sid(), sid);
  EXPECT_TRUE(queued[2].ssv());
  EXPECT_EQ(queued[2].ssid(), 42u);
  EXPECT_EQ(queued[3].opcode(), Op::kSync);
  EXPECT_TRUE(rid_after.ats_translated);  // the RID's ATC entry survived
  EXPECT_FALSE(rid_after.translation_requested);
  EXPECT_TRUE(p_after.translation_requested);  // PASID 42's did not
  EXPECT_NE(p_after.status, tlm::TLM_OK_RESPONSE);
}

// SPDX-License-Identifier: Apache-2.0
// The driver's domains and attach sequence on a simulated CPU against the SMMU model:
// every domain type (S1, S2, nesting parent, nested, blocked, identity), the STE and CD
// written for each, DMA after attach and after detach, map/unmap without stale
// translations, domain switches, the release domain, unwinding a failed attach, tag
// exhaustion, and ATS (enable, invalidation after the TLBI sync, disable).
#include <gtest/gtest.h>

#include <functional>

#include "driver/io_pgtable.h"
#include "rtl_model/arch/cd.h"
#include "rtl_model/arch/ste.h"
#include "support/driver_soc.h"

using namespace smmu;
using driver::Domain;
using driver::IommuProt;
using driver::Master;
using driver::PgtableStatus;
using driver::SmmuStatus;
using test::DriverSoc;
using test::DriverSocConfig;
using Op = arch::Opcode;

namespace {

constexpr uint64_t kIova = 0x4000'0000, kPa = 0x2000'0000, kPa2 = 0x2100'0000;
constexpr uint64_t kWord = 0x5151'0000'0000'0001ull, kWord2 = 0x5252'0000'0000'0002ull;
constexpr uint32_t kSid = 5;

// Runs body on CPU 0 after bringing the driver up, then simulates long enough.
void run_driver(DriverSoc& soc, const std::function<void(driver::Os&, driver::Iommu&)>& body,
                driver::SyncCompletion c = driver::SyncCompletion::kMsi) {
  ASSERT_TRUE(soc.run_driver(body, c)) << "bring-up failed or the program did not finish";
}

std::unique_ptr<Domain> paging(driver::Iommu& iommu, driver::PgtableStage stage,
                               bool nest_parent = false) {
  return test::make_paging_domain(iommu, stage, nest_parent);
}

std::unique_ptr<Master> probe(driver::Iommu& iommu, driver::SmmuDevice& dev, uint32_t sid,
                              bool requires_direct = false) {
  return test::make_master(iommu, dev, sid, requires_direct);
}

// The nested domain's guest: its stage 1 maps kGuestIova -> kGuestIpa under kGuestAsid.
constexpr uint64_t kGuestIova = 0x0100'0000'0000ull, kGuestIpa = 0x8000'0000;
constexpr uint16_t kGuestAsid = 3;

struct Reads {
  std::vector<bool> ok;
  std::vector<uint64_t> data;
  void add(const test::Master::Result& r) {
    ok.push_back(r.ok());
    data.push_back(r.data);
  }
};

}  // namespace

TEST(DriverDomain, S1PagingDmaUnmapRemapNoStaleTranslation) {
  DriverSoc soc;
  soc.write64(kPa, kWord);
  soc.write64(kPa2, kWord2);
  Reads rd;
  uint64_t asid = 0;
  run_driver(soc, [&](driver::Os&, driver::Iommu& iommu) {
    auto dom = paging(iommu, driver::PgtableStage::kS1);
    ASSERT_EQ(dom->map(kIova, kPa, 0x1000, IommuProt{}), PgtableStatus::kOk);
    auto m = probe(iommu, soc.device(0), kSid);
    rd.add(soc.dma(0, 0, kSid, kIova));  // before attach: the STE aborts
    ASSERT_EQ(iommu.attach(*m, *dom), SmmuStatus::kOk);
    asid = m->tag()->id;
    rd.add(soc.dma(0, 0, kSid, kIova));
    rd.add(soc.dma(0, 0, kSid, kIova));  // micro-TLB hit
    ASSERT_EQ(dom->unmap(kIova, 0x1000).inv, SmmuStatus::kOk);
    rd.add(soc.dma(0, 0, kSid, kIova));  // no TLB may still hold it
    ASSERT_EQ(dom->map(kIova, kPa2, 0x1000, IommuProt{}), PgtableStatus::kOk);
    rd.add(soc.dma(0, 0, kSid, kIova));
    // Control: a page cleared in the table without a TLBI still translates (the TLBs
    // keep it), so the fault above is the invalidation's doing.
    ASSERT_EQ(dom->map(kIova + 0x1000, kPa, 0x1000, IommuProt{}), PgtableStatus::kOk);
    rd.add(soc.dma(0, 0, kSid, kIova + 0x1000));
    driver::Gather g;
    ASSERT_EQ(dom->pgtable()->unmap(kIova + 0x1000, 0x1000, g).unmapped, 0x1000u);
    rd.add(soc.dma(0, 0, kSid, kIova + 0x1000));
    ASSERT_EQ(dom->inv_range(kIova + 0x1000, 0x1000, 0x1000, true), SmmuStatus::kOk);
    rd.add(soc.dma(0, 0, kSid, kIova + 0x1000));
    iommu.release_master(m);
    rd.add(soc.dma(0, 0, kSid, kIova));  // released to the blocked domain
    EXPECT_EQ(iommu.free_domain(dom), SmmuStatus::kOk);
  });
  EXPECT_EQ(rd.ok, (std::vector<bool>{false, true, true, false, true, true, true, false, false}));
  EXPECT_EQ(rd.data[1], kWord);
  EXPECT_EQ(rd.data[4], kWord2);
  EXPECT_EQ(rd.data[6], kWord);  // stale, as it must be before the TLBI
  EXPECT_EQ(asid, 1u);
  EXPECT_EQ(soc.opcode_count(0, Op::kTlbiNhVa), 2u);
  EXPECT_EQ(soc.opcode_count(0, Op::kTlbiNhAsid), 1u);  // the ASID's flush at release
  EXPECT_EQ(soc.device(0).tags().asids_in_use(), 0u);
  const arch::Ste ste = soc.ste(0, kSid);
  EXPECT_EQ(ste.config, static_cast<uint8_t>(arch::SteConfig::kAbort));
}

// Unmapping a whole 2 MiB range frees its last-level table: the walk cache must lose the
// level-2 table descriptor, or a walk of a page not in the TLBs would still go into the
// old table (the control without invalidation shows the model does cache it).
TEST(DriverDomain, UnmapFreeingATableLeavesNoStaleWalk) {
  constexpr uint64_t kR1 = kIova + 0x20'0000, kR2 = kIova + 0x40'0000;
  constexpr uint64_t kNew = 0x0202'0202'0202'0202ull;
  DriverSoc soc;
  soc.write64(kPa2 + 0x1000, kNew);
  Reads rd;
  run_driver(soc, [&](driver::Os& os, driver::Iommu& iommu) {
    auto dom = paging(iommu, driver::PgtableStage::kS1);
    auto m = probe(iommu, soc.device(0), kSid);
    ASSERT_EQ(iommu.attach(*m, *dom), SmmuStatus::kOk);
    // Control: the table swapped for a block behind the SMMU's back.
    ASSERT_EQ(dom->map(kR1, kPa, 0x2000, IommuProt{}), PgtableStatus::kOk);
    rd.add(soc.dma(0, 0, kSid, kR1));  // caches the level-2 table descriptor
    driver::Gather g;
    ASSERT_EQ(dom->pgtable()->unmap(kR1, 0x20'0000, g).unmapped, 0x2000u);
    ASSERT_EQ(dom->map(kR1, kPa2, 0x20'0000, IommuProt{}), PgtableStatus::kOk);
    // Through the cached descriptor into the old table, whose entries the unmap cleared:
    // a fault where the block in memory would give kNew.
    rd.add(soc.dma(0, 0, kSid, kR1 + 0x1000));
    ASSERT_EQ(dom->inv_range(kR1, 0x20'0000, 0x1000, false), SmmuStatus::kOk);
    driver::free_gathered_tables(os, g);
    rd.add(soc.dma(0, 0, kSid, kR1 + 0x1000));
    // The driver's unmap.
    ASSERT_EQ(dom->map(kR2, kPa, 0x2000, IommuProt{}), PgtableStatus::kOk);
    rd.add(soc.dma(0, 0, kSid, kR2));
    const Domain::UnmapOutcome u = dom->unmap(kR2, 0x20'0000);
    ASSERT_EQ(u.inv, SmmuStatus::kOk);
    EXPECT_EQ(u.pgtable.unmapped, 0x2000u);
    ASSERT_EQ(dom->map(kR2, kPa2, 0x20'0000, IommuProt{}), PgtableStatus::kOk);
    rd.add(soc.dma(0, 0, kSid, kR2 + 0x1000));
    iommu.release_master(m);
    EXPECT_EQ(iommu.free_domain(dom), SmmuStatus::kOk);
  });
  EXPECT_EQ(rd.ok, (std::vector<bool>{true, false, true, true, true}));
  EXPECT_EQ(rd.data[2], kNew);
  EXPECT_EQ(rd.data[4], kNew);
}

TEST(DriverDomain, S1CdAndSteCarryTheTag) {
  DriverSoc soc;
  arch::Ste ste;
  arch::Cd cd;
  uint64_t cd_table = 0;
  run_driver(soc, [&](driver::Os&, driver::Iommu& iommu) {
    auto a = paging(iommu, driver::PgtableStage::kS1);
    auto b = paging(iommu, driver::PgtableStage::kS1);
    auto m1 = probe(iommu, soc.device(0), 1);
    auto m2 = probe(iommu, soc.device(0), 2);
    ASSERT_EQ(iommu.attach(*m1, *a), SmmuStatus::kOk);
    ASSERT_EQ(iommu.attach(*m2, *b), SmmuStatus::kOk);
    ste = soc.ste(0, 2);
    cd_table = m2->cd_table_pa();
    cd = soc.cd(cd_table);
  });
  EXPECT_EQ(ste.config, static_cast<uint8_t>(arch::SteConfig::kS1));
  EXPECT_EQ(ste.s2vmid, 0u);
  EXPECT_EQ(ste.eats, static_cast<uint8_t>(arch::Eats::kAbort));  // not ATS-capable
  ASSERT_NE(cd_table, 0u);
  EXPECT_EQ(ste.s1_context_ptr, cd_table);
  EXPECT_TRUE(cd.valid);
  EXPECT_EQ(cd.asid, 2u);  // the second domain's ASID on this SMMU
  EXPECT_EQ(soc.device(0).tags().asids_in_use(), 2u);
}

TEST(DriverDomain, S2PagingDmaAndVmidInSte) {
  DriverSoc soc;
  soc.write64(kPa + 0x20'0000 + 0x18, kWord);
  Reads rd;
  arch::Ste ste;
  run_driver(soc, [&](driver::Os&, driver::Iommu& iommu) {
    auto dom = paging(iommu, driver::PgtableStage::kS2);
    ASSERT_EQ(dom->map(kIova, kPa, 0x40'0000, IommuProt{}), PgtableStatus::kOk);  // 2 blocks
    auto m = probe(iommu, soc.device(0), kSid);
    ASSERT_EQ(iommu.attach(*m, *dom), SmmuStatus::kOk);
    ste = soc.ste(0, kSid);
    rd.add(soc.dma(0, 0, kSid, kIova + 0x20'0018));
    // Unmapping 4 KiB of the second block splits it: that page faults, its neighbour
    // still translates.
    ASSERT_EQ(dom->unmap(kIova + 0x20'0000, 0x1000).inv, SmmuStatus::kOk);
    rd.add(soc.dma(0, 0, kSid, kIova + 0x20'0018));
    rd.add(soc.dma(0, 0, kSid, kIova + 0x20'1018));
    rd.add(soc.dma(0, 0, kSid, kIova + 0x18));
    iommu.release_master(m);
    rd.add(soc.dma(0, 0, kSid, kIova + 0x18));
  });
  EXPECT_EQ(rd.ok, (std::vector<bool>{true, false, true, true, false}));
  EXPECT_EQ(rd.data[0], kWord);
  EXPECT_EQ(ste.config, static_cast<uint8_t>(arch::SteConfig::kS2));
  EXPECT_EQ(ste.s2vmid, 1u);
  EXPECT_EQ(soc.opcode_count(0, Op::kTlbiS2Ipa), 1u);  // the whole 2 MiB block, one range TLBI
  EXPECT_EQ(soc.opcode_count(0, Op::kTlbiS12Vmall), 1u);
  EXPECT_EQ(soc.device(0).tags().vmids_in_use(), 0u);
}

TEST(DriverDomain, NestParentAttachedDirectlyAlsoClearsStage1) {
  DriverSoc soc;
  run_driver(soc, [&](driver::Os&, driver::Iommu& iommu) {
    auto dom = paging(iommu, driver::PgtableStage::kS2, true);
    ASSERT_EQ(dom->map(kIova, kPa, 0x1000, IommuProt{}), PgtableStatus::kOk);
    auto m = probe(iommu, soc.device(0), kSid);
    ASSERT_EQ(iommu.attach(*m, *dom), SmmuStatus::kOk);
    EXPECT_TRUE(soc.dma(0, 0, kSid, kIova).ok());
    EXPECT_EQ(dom->invs()->locked().size(), 2u);  // S2_VMID, S2_VMID_S1_CLEAR
    ASSERT_EQ(dom->unmap(kIova, 0x1000).inv, SmmuStatus::kOk);
    EXPECT_FALSE(soc.dma(0, 0, kSid, kIova).ok());
  });
  EXPECT_EQ(soc.opcode_count(0, Op::kTlbiS2Ipa), 1u);
  EXPECT_EQ(soc.opcode_count(0, Op::kTlbiNhAll), 1u);
}

// A guest's stage 1 over a nesting parent: the STE carries the guest's CD pointer, the
// parent's table and the vSMMU's VMID; DMA takes both stages; detach blocks it.
TEST(DriverDomain, NestedGuestStage1OverParentStage2) {
  DriverSoc soc;
  soc.write64(kPa + 0x28, kWord);
  Reads rd;
  arch::Ste ste, after;
  arch::Cd cd;
  uint64_t root = 0, cd_pa = 0;
  uint16_t vmid = 0;
  size_t parent_invs = 0;
  run_driver(soc, [&](driver::Os& os, driver::Iommu& iommu) {
    auto parent = paging(iommu, driver::PgtableStage::kS2, true);
    root = parent->pgtable()->root();
    ASSERT_EQ(parent->map(kGuestIpa, kPa, 0x1000, IommuProt{}), PgtableStatus::kOk);
    const DriverSocConfig& c = soc.config();  // the guest's tables: IPA = PA
    ASSERT_EQ(parent->map(c.dma_base, c.dma_base, c.dma_size, IommuProt{}), PgtableStatus::kOk);
    std::unique_ptr<driver::Vsmmu> vsmmu;
    ASSERT_EQ(iommu.alloc_vsmmu(soc.device(0), *parent, vsmmu), SmmuStatus::kOk);
    vmid = vsmmu->vmid();
    test::GuestStage1 g = test::make_guest_stage1(os, kGuestIova, kGuestIpa, kGuestAsid);
    cd_pa = g.cd_pa;
    std::unique_ptr<Domain> nested;
    ASSERT_EQ(iommu.alloc_nested_domain(*vsmmu, g.vste, nested), SmmuStatus::kOk);
    auto m = probe(iommu, soc.device(0), kSid);
    ASSERT_EQ(iommu.attach(*m, *nested), SmmuStatus::kOk);
    ste = soc.ste(0, kSid);
    cd = soc.cd(cd_pa);
    parent_invs = parent->invs()->locked().size();
    rd.add(soc.dma(0, 0, kSid, kGuestIova + 0x28));
    rd.add(soc.dma(0, 0, kSid, kGuestIova + 0x1028));  // not mapped by the guest
    iommu.release_master(m);
    after = soc.ste(0, kSid);
    rd.add(soc.dma(0, 0, kSid, kGuestIova + 0x28));
    ASSERT_EQ(iommu.free_domain(nested), SmmuStatus::kOk);
    ASSERT_EQ(iommu.free_vsmmu(vsmmu), SmmuStatus::kOk);
  });
  EXPECT_EQ(rd.ok, (std::vector<bool>{true, false, false}));
  EXPECT_EQ(rd.data[0], kWord);
  EXPECT_EQ(ste.config, static_cast<uint8_t>(arch::SteConfig::kNested));
  EXPECT_EQ(ste.s1_context_ptr, cd_pa);
  EXPECT_EQ(ste.s2ttb, root);
  EXPECT_EQ(ste.s2vmid, vmid);
  EXPECT_NE(vmid, 0u);
  EXPECT_EQ(cd.asid, kGuestAsid);  // the guest's CD, untouched by the host
  EXPECT_EQ(parent_invs, 2u);      // the nested master's S2_VMID and S2_VMID_S1_CLEAR
  EXPECT_EQ(after.config, static_cast<uint8_t>(arch::SteConfig::kAbort));
  EXPECT_EQ(soc.device(0).tags().vmids_in_use(), 0u);
}

TEST(DriverDomain, BlockedAbortsIdentityBypassesReleaseDomainFollowsFirmware) {
  DriverSoc soc;
  soc.write64(kPa, kWord);
  Reads rd;
  run_driver(soc, [&](driver::Os&, driver::Iommu& iommu) {
    auto direct = probe(iommu, soc.device(0), 7, true);
    auto plain = probe(iommu, soc.device(0), 8);
    ASSERT_EQ(iommu.attach(*direct, iommu.identity_domain()), SmmuStatus::kOk);
    ASSERT_EQ(iommu.attach(*plain, iommu.blocked_domain()), SmmuStatus::kOk);
    rd.add(soc.dma(0, 0, 7, kPa));  // untranslated
    rd.add(soc.dma(0, 0, 8, kPa));
    auto dom = paging(iommu, driver::PgtableStage::kS1);
    ASSERT_EQ(dom->map(kIova, kPa, 0x1000, IommuProt{}), PgtableStatus::kOk);
    ASSERT_EQ(iommu.attach(*direct, *dom), SmmuStatus::kOk);
    ASSERT_EQ(iommu.attach(*plain, *dom), SmmuStatus::kOk);
    rd.add(soc.dma(0, 0, 7, kIova));
    rd.add(soc.dma(0, 0, 8, kIova));
    iommu.release_master(direct);  // firmware needs its DMA direct: identity
    iommu.release_master(plain);   // blocked
    rd.add(soc.dma(0, 0, 7, kPa));
    rd.add(soc.dma(0, 0, 8, kPa));
    EXPECT_EQ(dom->attached_masters(), 0u);
  });
  EXPECT_EQ(rd.ok, (std::vector<bool>{true, false, true, true, true, false}));
  EXPECT_EQ(rd.data[0], kWord);
  EXPECT_EQ(rd.data[4], kWord);
  EXPECT_EQ(soc.ste(0, 7).config, static_cast<uint8_t>(arch::SteConfig::kBypass));
  EXPECT_EQ(soc.ste(0, 8).config, static_cast<uint8_t>(arch::SteConfig::kAbort));
}

TEST(DriverDomain, SwitchingDomainsS1ToS1ToS2AndBack) {
  DriverSoc soc;
  soc.write64(kPa, kWord);
  soc.write64(kPa2, kWord2);
  Reads rd;
  uint64_t asids_mid = 0, ste_cfgi_s1_to_s1 = 9, cd_cfgi_s1_to_s1 = 9, cd_asid_b = 0;
  arch::Ste ste_c, ste_back;
  run_driver(soc, [&](driver::Os&, driver::Iommu& iommu) {
    auto a = paging(iommu, driver::PgtableStage::kS1);
    auto b = paging(iommu, driver::PgtableStage::kS1);
    auto c = paging(iommu, driver::PgtableStage::kS2);
    ASSERT_EQ(a->map(kIova, kPa, 0x1000, IommuProt{}), PgtableStatus::kOk);
    ASSERT_EQ(b->map(kIova, kPa2, 0x1000, IommuProt{}), PgtableStatus::kOk);
    ASSERT_EQ(c->map(kIova, kPa, 0x1000, IommuProt{}), PgtableStatus::kOk);
    auto m = probe(iommu, soc.device(0), kSid);
    ASSERT_EQ(iommu.attach(*m, *a), SmmuStatus::kOk);
    rd.add(soc.dma(0, 0, kSid, kIova));
    const uint64_t ste0 = soc.opcode_count(0, Op::kCfgiSte), cd0 = soc.opcode_count(0, Op::kCfgiCd);
    ASSERT_EQ(iommu.attach(*m, *b), SmmuStatus::kOk);  // the CD changes, the STE stays
    ste_cfgi_s1_to_s1 = soc.opcode_count(0, Op::kCfgiSte) - ste0;
    cd_cfgi_s1_to_s1 = soc.opcode_count(0, Op::kCfgiCd) - cd0;
    cd_asid_b = soc.cd(m->cd_table_pa()).asid;
    rd.add(soc.dma(0, 0, kSid, kIova));
    asids_mid = soc.device(0).tags().asids_in_use();
    ASSERT_EQ(iommu.attach(*m, *c), SmmuStatus::kOk);
    ste_c = soc.ste(0, kSid);
    rd.add(soc.dma(0, 0, kSid, kIova));
    ASSERT_EQ(iommu.attach(*m, *a), SmmuStatus::kOk);
    ste_back = soc.ste(0, kSid);
    rd.add(soc.dma(0, 0, kSid, kIova));
    EXPECT_EQ(a->attached_masters(), 1u);
    EXPECT_EQ(b->attached_masters() + c->attached_masters(), 0u);
    EXPECT_EQ(b->invs()->locked().size(), 0u);  // unref'd and purged
    EXPECT_EQ(c->invs()->locked().size(), 0u);
  });
  EXPECT_EQ(rd.ok, (std::vector<bool>{true, true, true, true}));
  EXPECT_EQ(rd.data, (std::vector<uint64_t>{kWord, kWord2, kWord, kWord}));
  EXPECT_EQ(asids_mid, 1u);  // A's ASID was flushed and freed when the master left it
  EXPECT_EQ(ste_cfgi_s1_to_s1, 0u);  // S1 -> S1: the STE stays, only the CD is rewritten;
  EXPECT_EQ(cd_cfgi_s1_to_s1, 3u);   // ASID (qword 0) and TTB0 (qword 1) both change: via V = 0
  EXPECT_EQ(cd_asid_b, 2u);
  EXPECT_EQ(ste_c.config, static_cast<uint8_t>(arch::SteConfig::kS2));
  EXPECT_EQ(ste_c.s2vmid, 1u);
  EXPECT_EQ(ste_back.config, static_cast<uint8_t>(arch::SteConfig::kS1));
  EXPECT_EQ(soc.opcode_count(0, Op::kTlbiNhAsid), 2u);  // A's, then B's
  EXPECT_EQ(soc.opcode_count(0, Op::kTlbiS12Vmall), 1u);  // C's VMID
  EXPECT_EQ(soc.device(0).tags().asids_in_use(), 1u);
  EXPECT_EQ(soc.device(0).tags().vmids_in_use(), 0u);
}

TEST(DriverDomain, FailedAttachUnwindsAndLeavesTheMasterWhereItWas) {
  DriverSoc soc;
  soc.write64(kPa, kWord);
  Reads rd;
  SmmuStatus failed = SmmuStatus::kOk;
  size_t s1_array_before = 99, s1_array_after = 99;
  uint32_t vmids_during = 0, asids_after = 99;
  SmmuStatus blocked_without_memory = SmmuStatus::kNotProbed;
  run_driver(soc, [&](driver::Os& os, driver::Iommu& iommu) {
    auto s2 = paging(iommu, driver::PgtableStage::kS2);
    auto s1 = paging(iommu, driver::PgtableStage::kS1);
    ASSERT_EQ(s2->map(kIova, kPa, 0x1000, IommuProt{}), PgtableStatus::kOk);
    auto other = probe(iommu, soc.device(0), 9);
    ASSERT_EQ(iommu.attach(*other, *s1), SmmuStatus::kOk);  // S1 has one user already
    auto m = probe(iommu, soc.device(0), kSid);
    ASSERT_EQ(iommu.attach(*m, *s2), SmmuStatus::kOk);
    vmids_during = soc.device(0).tags().vmids_in_use();
    s1_array_before = s1->invs()->locked().size();
    // Take every byte of DMA memory left: the master's CD table cannot be allocated.
    std::vector<std::pair<uint64_t, size_t>> hog;
    for (size_t sz = size_t{1} << 28; sz >= 64; sz /= 2)
      while (uint64_t pa = os.dma_alloc(sz, 64)) hog.emplace_back(pa, sz);
    failed = iommu.attach(*m, *s1);
    s1_array_after = s1->invs()->locked().size();
    asids_after = soc.device(0).tags().asids_in_use();
    rd.add(soc.dma(0, 0, kSid, kIova));  // still on S2
    // Without any memory, blocking and releasing still work: they allocate nothing.
    blocked_without_memory = iommu.attach(*other, iommu.blocked_domain());
    rd.add(soc.dma(0, 0, 9, kIova));
    iommu.release_master(other);
    for (auto& [pa, sz] : hog) os.dma_free(pa, sz);
    ASSERT_EQ(iommu.attach(*m, *s1), SmmuStatus::kOk);  // with memory it works
    rd.add(soc.dma(0, 0, kSid, kIova));                   // S1 has nothing mapped
  });
  EXPECT_EQ(failed, SmmuStatus::kNoMemory);
  EXPECT_EQ(s1_array_after, s1_array_before);
  EXPECT_EQ(asids_after, 1u);
  EXPECT_EQ(vmids_during, 1u);
  EXPECT_EQ(blocked_without_memory, SmmuStatus::kOk);
  EXPECT_EQ(rd.ok, (std::vector<bool>{true, false, false}));
  EXPECT_EQ(rd.data[0], kWord);
  EXPECT_EQ(soc.iommu().stats().attach_failures.load(), 1u);
  EXPECT_EQ(soc.device(0).tags().asids_in_use(), 1u);  // other's ASID went with it; m's is new
}

TEST(DriverDomain, VmidExhaustionIsAnErrorNotCorruption) {
  DriverSocConfig cfg;
  cfg.smmu.features.vmid16 = false;  // 255 VMIDs
  DriverSoc soc(cfg);
  SmmuStatus last = SmmuStatus::kOk;
  Domain* held = nullptr;
  uint32_t in_use = 0;
  bool first_still_works = false;
  size_t last_invs = 99;
  arch::Ste last_ste;
  soc.write64(kPa, kWord);
  run_driver(soc, [&](driver::Os&, driver::Iommu& iommu) {
    std::vector<std::unique_ptr<Domain>> doms;
    std::vector<std::unique_ptr<Master>> masters;
    for (uint32_t i = 0; i < 256; ++i) {
      doms.push_back(paging(iommu, driver::PgtableStage::kS2));
      masters.push_back(probe(iommu, soc.device(0), 16 + i));
      last = iommu.attach(*masters.back(), *doms.back());
      if (last != SmmuStatus::kOk) break;
    }
    in_use = soc.device(0).tags().vmids_in_use();
    held = masters.back()->domain();
    last_invs = doms.back()->invs()->locked().size();
    last_ste = soc.ste(0, 16 + 255);
    ASSERT_EQ(doms.front()->map(kIova, kPa, 0x1000, IommuProt{}), PgtableStatus::kOk);
    first_still_works = soc.dma(0, 0, 16, kIova).ok();
  });
  EXPECT_EQ(last, SmmuStatus::kTagExhausted);
  EXPECT_EQ(in_use, 255u);
  EXPECT_EQ(held, nullptr);  // the 256th master stayed unattached...
  EXPECT_EQ(last_invs, 0u);  // ...its domain's array empty...
  EXPECT_EQ(last_ste.config, static_cast<uint8_t>(arch::SteConfig::kAbort));  // ...its STE as probed
  EXPECT_TRUE(first_still_works);
}

// An ATS endpoint: ATS is enabled after the STE allows it; an unmap invalidates the
// SMMU's TLB, waits for that CMD_SYNC, and only then sends the ATC_INV (second batch).
TEST(DriverDomain, AtsEnabledAtAttachInvalidatedAfterTheTlbiSyncDisabledAtDetach) {
  DriverSocConfig cfg;
  cfg.ats_endpoints = 1;
  DriverSoc soc(cfg);
  const uint32_t sid = DriverSoc::endpoint_sid(0, 0);
  soc.write64(kPa, kWord);
  std::vector<arch::Command> queued;
  uint64_t publishes = 0;
  bool enabled_after_attach = false, enabled_after_release = true;
  model::DmaOutcome first, second, after, neighbour;
  uint64_t data = 0, atc_invs = 0;
  arch::Ste ste, ste_released;
  run_driver(
      soc,
      [&](driver::Os&, driver::Iommu& iommu) {
        auto dom = paging(iommu, driver::PgtableStage::kS1);
        ASSERT_EQ(dom->map(kIova, kPa, 0x2000, IommuProt{}), PgtableStatus::kOk);
        driver::MasterConfig mc;
        mc.sids = {sid};
        mc.ats_capable = true;
        mc.set_ats_enable = [&soc](bool on) { soc.endpoint(0, 0).set_ats_enabled(on); };
        std::unique_ptr<Master> m;
        ASSERT_EQ(iommu.probe_master(soc.device(0), mc, m), SmmuStatus::kOk);
        ASSERT_EQ(iommu.attach(*m, *dom), SmmuStatus::kOk);
        enabled_after_attach = soc.endpoint(0, 0).ats_enabled() && m->ats_enabled();
        ste = soc.ste(0, sid);
        first = soc.ats_dma(0, 0, kIova, false, &data);
        second = soc.ats_dma(0, 0, kIova);
        soc.ats_dma(0, 0, kIova + 0x1000);  // the neighbour page into the ATC too
        driver::CommandQueue& q = soc.device(0).cmdq();
        const uint64_t p0 = q.produced(), pub0 = q.stats().publishes;
        const uint64_t inv0 = soc.endpoint(0, 0).stats().invalidations_received;
        ASSERT_EQ(dom->unmap(kIova, 0x1000).inv, SmmuStatus::kOk);
        queued = soc.queued_commands(0, p0, q.produced());
        publishes = q.stats().publishes - pub0;
        atc_invs = soc.endpoint(0, 0).stats().invalidations_received - inv0;
        after = soc.ats_dma(0, 0, kIova);
        neighbour = soc.ats_dma(0, 0, kIova + 0x1000);
        iommu.release_master(m);
        enabled_after_release = soc.endpoint(0, 0).ats_enabled();
        ste_released = soc.ste(0, sid);
      },
      driver::SyncCompletion::kConsPoll);  // the SYNC slots keep their opcode
  EXPECT_TRUE(enabled_after_attach);
  EXPECT_EQ(ste.config, static_cast<uint8_t>(arch::SteConfig::kS1));
  EXPECT_EQ(ste.eats, static_cast<uint8_t>(arch::Eats::kFull));
  EXPECT_TRUE(first.translation_requested);
  EXPECT_EQ(data, kWord);
  EXPECT_TRUE(second.ats_translated);  // from the ATC
  EXPECT_FALSE(second.translation_requested);
  ASSERT_EQ(queued.size(), 4u);
  EXPECT_EQ(queued[0].opcode(), Op::kTlbiNhVa);
  EXPECT_EQ(queued[1].opcode(), Op::kSync);
  EXPECT_EQ(queued[2].opcode(), Op::kAtcInv);
  EXPECT_EQ(queued[2].sid(), sid);
  EXPECT_EQ(queued[3].opcode(), Op::kSync);
  EXPECT_EQ(publishes, 2u);  // the ATC_INV went out only after the first SYNC completed
  EXPECT_EQ(atc_invs, 1u);
  EXPECT_TRUE(after.translation_requested);  // the ATC no longer had it
  EXPECT_NE(after.status, tlm::TLM_OK_RESPONSE);
  EXPECT_TRUE(neighbour.ats_translated);  // the ATC_INV covered only the unmapped page
  EXPECT_FALSE(neighbour.translation_requested);
  EXPECT_FALSE(enabled_after_release);
  EXPECT_EQ(ste_released.config, static_cast<uint8_t>(arch::SteConfig::kAbort));
  EXPECT_EQ(ste_released.eats, static_cast<uint8_t>(arch::Eats::kAbort));
}

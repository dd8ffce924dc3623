// SPDX-License-Identifier: Apache-2.0
// Domains shared across SMMU instances, per-instance IOTLB tags, and the vSMMU's VMID,
// with the driver on a simulated CPU against several SMMU models.
#include <gtest/gtest.h>

#include <algorithm>
#include <functional>

#include "rtl_model/arch/cd.h"
#include "rtl_model/arch/ste.h"
#include "support/driver_soc.h"

using namespace smmu;
using driver::Domain;
using driver::IommuProt;
using driver::Master;
using driver::PgtableStatus;
using driver::SmmuStatus;
using driver::TagType;
using test::DriverSoc;
using test::DriverSocConfig;
using Op = arch::Opcode;

namespace {

constexpr uint64_t kIova = 0x4000'0000, kPa = 0x2000'0000;
constexpr uint64_t kWord = 0x5151'0000'0000'0001ull;

void run_driver(DriverSoc& soc, const std::function<void(driver::Os&, driver::Iommu&)>& body) {
  ASSERT_TRUE(soc.run_driver(body)) << "bring-up failed or the program did not finish";
}

std::unique_ptr<Domain> s2_domain(driver::Iommu& iommu, bool nest_parent = false) {
  driver::PagingDomainConfig cfg;
  cfg.stage = driver::PgtableStage::kS2;
  cfg.nest_parent = nest_parent;
  std::unique_ptr<Domain> d;
  EXPECT_EQ(iommu.alloc_paging_domain(cfg, d), SmmuStatus::kOk);
  return d;
}

std::unique_ptr<Master> probe(driver::Iommu& iommu, driver::SmmuDevice& dev, uint32_t sid) {
  driver::MasterConfig mc;
  mc.sids = {sid};
  std::unique_ptr<Master> m;
  EXPECT_EQ(iommu.probe_master(dev, mc, m), SmmuStatus::kOk);
  return m;
}


}  // namespace

// One S2 domain, four SMMUs, devices behind three of them (two behind SMMU 0).
class SharedS2 : public ::testing::TestWithParam<bool> {};

TEST_P(SharedS2, OnePageTableATagPerInstanceInvalidatedEverywhereFreedOnLastDetach) {
  DriverSocConfig cfg;
  cfg.smmus = 4;
  cfg.plain_masters = 1;
  DriverSoc soc(cfg);
  soc.write64(kPa, kWord);
  std::vector<std::optional<driver::IotlbTag>> tags(4);
  std::vector<bool> before(3), after(3);
  std::vector<uint64_t> s2ttb(3), ste_vmid(3);
  std::vector<std::vector<arch::Command>> unmap_cmds(4);
  uint64_t root = 0, s2ttb_second = 0;
  uint64_t s12_after_first_detach = 9, vmids0_after_first_detach = 9;
  run_driver(soc, [&](driver::Os&, driver::Iommu& iommu) {
    iommu.set_inv_all_then_wait(GetParam());
    // SMMU 1 already has another S2 domain: its allocator hands the shared one VMID 2.
    auto other = s2_domain(iommu);
    auto other_m = probe(iommu, soc.device(1), 40);
    ASSERT_EQ(iommu.attach(*other_m, *other), SmmuStatus::kOk);

    auto dom = s2_domain(iommu);
    root = dom->pgtable()->root();
    ASSERT_EQ(dom->map(kIova, kPa, 0x1000, IommuProt{}), PgtableStatus::kOk);
    auto m0 = probe(iommu, soc.device(0), 5);
    auto m0b = probe(iommu, soc.device(0), 6);
    auto m1 = probe(iommu, soc.device(1), 5);
    auto m2 = probe(iommu, soc.device(2), 5);
    for (Master* m : {m0.get(), m0b.get(), m1.get(), m2.get()})
      ASSERT_EQ(iommu.attach(*m, *dom), SmmuStatus::kOk);
    for (unsigned i = 0; i < 4; ++i) tags[i] = soc.device(i).tags().find(dom.get(), TagType::kVmid);
    for (unsigned i = 0; i < 3; ++i) {
      s2ttb[i] = soc.ste(i, 5).s2ttb;
      ste_vmid[i] = soc.ste(i, 5).s2vmid;
      before[i] = soc.dma(i, 0, 5, kIova).ok();
    }
    s2ttb_second = soc.ste(0, 6).s2ttb;
    std::vector<uint64_t> p0(4);
    for (unsigned i = 0; i < 4; ++i) p0[i] = soc.device(i).cmdq().produced();
    ASSERT_EQ(dom->unmap(kIova, 0x1000).inv, SmmuStatus::kOk);
    for (unsigned i = 0; i < 4; ++i)
      unmap_cmds[i] = soc.queued_commands(i, p0[i], soc.device(i).cmdq().produced());
    for (unsigned i = 0; i < 3; ++i) after[i] = soc.dma(i, 0, 5, kIova).ok();

    iommu.release_master(m0);  // m0b still uses the VMID on SMMU 0
    s12_after_first_detach = soc.opcode_count(0, Op::kTlbiS12Vmall);
    vmids0_after_first_detach = soc.device(0).tags().vmids_in_use();
    iommu.release_master(m0b);
    iommu.release_master(m1);
    iommu.release_master(m2);
    EXPECT_EQ(iommu.free_domain(dom), SmmuStatus::kOk);
  });
  for (unsigned i = 0; i < 3; ++i) {
    ASSERT_TRUE(tags[i].has_value()) << "SMMU " << i;
    EXPECT_EQ(s2ttb[i], root) << "SMMU " << i;  // one page table in memory
    EXPECT_EQ(ste_vmid[i], tags[i]->id) << "SMMU " << i;
    // The same batch in both modes: the range TLBI with this SMMU's VMID, a CMD_SYNC
    // (its slot overwritten by the completion MSI).
    ASSERT_EQ(unmap_cmds[i].size(), 2u) << "SMMU " << i;
    EXPECT_EQ(unmap_cmds[i][0].opcode(), Op::kTlbiS2Ipa) << "SMMU " << i;
    EXPECT_EQ(unmap_cmds[i][0].vmid(), tags[i]->id) << "SMMU " << i;
    EXPECT_TRUE(before[i]) << "SMMU " << i;
    EXPECT_FALSE(after[i]) << "SMMU " << i;
    EXPECT_EQ(soc.opcode_count(i, Op::kTlbiS2Ipa), 1u) << "SMMU " << i;
    EXPECT_EQ(soc.opcode_count(i, Op::kTlbiS12Vmall), 1u) << "SMMU " << i;  // on last detach
  }
  EXPECT_EQ(s2ttb_second, root);
  EXPECT_FALSE(tags[3].has_value());  // no device behind SMMU 3: no VMID there
  EXPECT_TRUE(unmap_cmds[3].empty());
  EXPECT_EQ(tags[0]->id, 1u);
  EXPECT_EQ(tags[1]->id, 2u);  // SMMU 1's own allocator
  EXPECT_EQ(tags[2]->id, 1u);
  EXPECT_EQ(soc.opcode_count(3, Op::kTlbiS2Ipa), 0u);
  EXPECT_EQ(soc.opcode_count(3, Op::kTlbiS12Vmall), 0u);
  EXPECT_EQ(s12_after_first_detach, 0u);
  EXPECT_EQ(vmids0_after_first_detach, 1u);
  EXPECT_EQ(soc.device(0).tags().vmids_in_use(), 0u);
  EXPECT_EQ(soc.device(1).tags().vmids_in_use(), 1u);  // the other domain's
  EXPECT_EQ(soc.device(2).tags().vmids_in_use(), 0u);
}

INSTANTIATE_TEST_SUITE_P(WaitModes, SharedS2, ::testing::Values(false, true),
                         [](const ::testing::TestParamInfo<bool>& i) {
                           return i.param ? "AllThenWait" : "PerSmmuWait";
                         });

TEST(SharedDomain, IncompatibleSmmuIsRefused) {
  DriverSocConfig cfg;
  cfg.smmus = 2;
  DriverSoc soc(cfg);
  SmmuStatus st = SmmuStatus::kOk;
  run_driver(soc, [&](driver::Os&, driver::Iommu& iommu) {
    driver::PagingDomainConfig c;
    c.stage = driver::PgtableStage::kS2;
    c.ias = 52;
    c.oas = 52;
    c.granule_shift = 16;  // needs a 52-bit OAS, which these SMMUs lack
    std::unique_ptr<Domain> d;
    ASSERT_EQ(iommu.alloc_paging_domain(c, d), SmmuStatus::kOk);
    auto m = probe(iommu, soc.device(1), 3);
    st = iommu.attach(*m, *d);
  });
  EXPECT_EQ(st, SmmuStatus::kIncompatible);
}

// --- vSMMU

namespace {

// The guest's page (its stage 1 maps it to this IPA; the parent maps the IPA).
constexpr uint64_t kGuestIova = 0x0100'0000'0000ull, kGuestIpa = 0x8000'0000;

}  // namespace

TEST(Vsmmu, VmidLifetimeNestedDmaAndGuestInvalidation) {
  DriverSoc soc;
  soc.write64(kPa, kWord);
  uint32_t vmids_after_alloc = 0, vmids_after_detach = 0, vmids_after_free = 9;
  uint16_t vmid = 0;
  arch::Ste ste;
  std::vector<bool> ok;
  uint64_t data = 0;
  SmmuStatus busy = SmmuStatus::kOk, bad_cmd = SmmuStatus::kOk, bad_vste = SmmuStatus::kOk;
  uint64_t s12_after_detach = 0, nh_va = 0, s2_ipa = 0, nh_all = 0;
  std::vector<arch::Command> forwarded, detach_cmds;
  run_driver(soc, [&](driver::Os& os, driver::Iommu& iommu) {
    auto parent = s2_domain(iommu, true);
    const driver::PgtableStatus mapped = parent->map(kGuestIpa, kPa, 0x1000, IommuProt{});
    ASSERT_EQ(mapped, PgtableStatus::kOk);
    // The guest's RAM holding its tables: IPA = PA.
    const auto& cfg = soc.config();
    ASSERT_EQ(parent->map(cfg.dma_base, cfg.dma_base, cfg.dma_size, IommuProt{}), PgtableStatus::kOk);
    std::unique_ptr<driver::Vsmmu> vsmmu;
    ASSERT_EQ(iommu.alloc_vsmmu(soc.device(0), *parent, vsmmu), SmmuStatus::kOk);
    vmid = vsmmu->vmid();
    vmids_after_alloc = soc.device(0).tags().vmids_in_use();
    test::GuestStage1 g = test::make_guest_stage1(os, kGuestIova, kGuestIpa, 1);
    arch::Ste bad = g.vste;
    bad.s2vmid = 77;  // a guest may not pick its VMID
    std::unique_ptr<Domain> rejected;
    bad_vste = iommu.alloc_nested_domain(*vsmmu, bad, rejected);
    std::unique_ptr<Domain> nested;
    ASSERT_EQ(iommu.alloc_nested_domain(*vsmmu, g.vste, nested), SmmuStatus::kOk);
    auto m = probe(iommu, soc.device(0), 5);
    ASSERT_EQ(iommu.attach(*m, *nested), SmmuStatus::kOk);
    ste = soc.ste(0, 5);
    auto r = soc.dma(0, 0, 5, kGuestIova);
    ok.push_back(r.ok());
    data = r.data;
    // The guest unmaps and invalidates through its vSMMU.
    driver::Gather gather;
    g.s1->unmap(kGuestIova, 0x1000, gather);
    ok.push_back(soc.dma(0, 0, 5, kGuestIova).ok());  // still cached: the guest has not invalidated
    bad_cmd = vsmmu->cache_invalidate({arch::Command(Op::kTlbiS12Vmall).set_vmid(vmid)});
    driver::CommandQueue& q = soc.device(0).cmdq();
    uint64_t p0 = q.produced();
    ASSERT_EQ(vsmmu->cache_invalidate({arch::Command(Op::kTlbiNhVa).set_asid(1).set_addr(kGuestIova),
                                       arch::Command(Op::kSync)}),
              SmmuStatus::kOk);
    forwarded = soc.queued_commands(0, p0, q.produced());
    ok.push_back(soc.dma(0, 0, 5, kGuestIova).ok());
    // The host changes the parent: the S2 range and the guest's S1 entries go.
    ASSERT_EQ(g.s1->map(kGuestIova, kGuestIpa, 0x1000, IommuProt{}), PgtableStatus::kOk);
    ok.push_back(soc.dma(0, 0, 5, kGuestIova).ok());
    ASSERT_EQ(parent->unmap(kGuestIpa, 0x1000).inv, SmmuStatus::kOk);
    ok.push_back(soc.dma(0, 0, 5, kGuestIova).ok());
    nh_va = soc.opcode_count(0, Op::kTlbiNhVa);
    s2_ipa = soc.opcode_count(0, Op::kTlbiS2Ipa);
    nh_all = soc.opcode_count(0, Op::kTlbiNhAll);
    busy = iommu.free_vsmmu(vsmmu);
    p0 = q.produced();
    iommu.release_master(m);
    detach_cmds = soc.queued_commands(0, p0, q.produced());
    s12_after_detach = soc.opcode_count(0, Op::kTlbiS12Vmall);
    vmids_after_detach = soc.device(0).tags().vmids_in_use();
    ASSERT_EQ(iommu.free_domain(nested), SmmuStatus::kOk);
    ASSERT_EQ(iommu.free_vsmmu(vsmmu), SmmuStatus::kOk);
    vmids_after_free = soc.device(0).tags().vmids_in_use();
  });
  EXPECT_EQ(vmids_after_alloc, 1u);
  EXPECT_EQ(bad_vste, SmmuStatus::kInvalidArgument);
  EXPECT_EQ(ste.config, static_cast<uint8_t>(arch::SteConfig::kNested));
  EXPECT_EQ(ste.s2vmid, vmid);
  EXPECT_EQ(ok, (std::vector<bool>{true, true, false, true, false}));
  EXPECT_EQ(data, kWord);
  EXPECT_EQ(bad_cmd, SmmuStatus::kInvalidArgument);
  EXPECT_EQ(nh_va, 1u);
  // The guest's TLBI_NH_VA with the vSMMU's VMID, then the driver's own CMD_SYNC (its
  // slot overwritten by the completion MSI; the guest's SYNC was dropped).
  ASSERT_EQ(forwarded.size(), 2u);
  EXPECT_EQ(forwarded[0].opcode(), Op::kTlbiNhVa);
  EXPECT_EQ(forwarded[0].vmid(), vmid);
  EXPECT_EQ(forwarded[0].asid(), 1u);
  EXPECT_EQ(s2_ipa, 1u);
  EXPECT_EQ(nh_all, 1u);  // S2_VMID_S1_CLEAR
  EXPECT_EQ(busy, SmmuStatus::kBusy);
  EXPECT_EQ(s12_after_detach, 1u);  // flushed when its last master left...
  const auto s12 = std::find_if(detach_cmds.begin(), detach_cmds.end(), [](const arch::Command& c) {
    return c.opcode() == Op::kTlbiS12Vmall;
  });
  ASSERT_NE(s12, detach_cmds.end());
  EXPECT_EQ(s12->vmid(), vmid);
  EXPECT_EQ(vmids_after_detach, 1u);  // ...but still the vSMMU's
  EXPECT_EQ(vmids_after_free, 0u);
}

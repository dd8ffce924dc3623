// One invalidation of a shared S2 range across 1, 2, 4 and 8 SMMU instances, waiting on
// each SMMU in turn (the seeds' way) or issuing every SMMU's batch first and then
// waiting for all the CMD_SYNCs (IommuOptions::inv_all_then_wait). Prints the figures
// (grep "inv_scaling") and holds them as goldens: exact CMD_SYNC counts and simulated
// times with the default SMMU and CPU timing.
#include <gtest/gtest.h>

#include <cstdio>
#include <tuple>

#include "support/driver_soc.h"

using namespace smmu;
using driver::SmmuStatus;

namespace {

constexpr uint64_t kIova = 0x4000'0000, kPa = 0x2000'0000, kRange = 0x1'0000;  // 16 pages

struct Figure {
  uint64_t syncs = 0, tlbis = 0, sim_ns = 0, batches = 0;
  bool faults_after = true;
};

Figure measure(unsigned smmus, bool all_then_wait) {
  test::DriverSocConfig cfg;
  cfg.smmus = smmus;
  test::DriverSoc soc(cfg);
  Figure f;
  std::vector<uint64_t> syncs0(smmus), tlbi0(smmus);
  soc.cpu(0).add_program([&](driver::Os& os) {
    if (!soc.bring_up(os)) return;
    driver::Iommu& iommu = soc.iommu();
    iommu.set_inv_all_then_wait(all_then_wait);
    driver::PagingDomainConfig dc;
    dc.stage = driver::PgtableStage::kS2;
    std::unique_ptr<driver::Domain> dom;
    if (iommu.alloc_paging_domain(dc, dom) != SmmuStatus::kOk) return;
    dom->map(kIova, kPa, kRange, driver::IommuProt{});
    std::vector<std::unique_ptr<driver::Master>> masters(smmus);
    for (unsigned i = 0; i < smmus; ++i) {
      driver::MasterConfig mc;
      mc.sids = {5};
      iommu.probe_master(soc.device(i), mc, masters[i]);
      iommu.attach(*masters[i], *dom);
      for (uint64_t off = 0; off < kRange; off += 0x1000) soc.dma(i, 0, 5, kIova + off);  // warm
    }
    for (unsigned i = 0; i < smmus; ++i) {
      syncs0[i] = soc.smmu_stats(i).syncs;
      tlbi0[i] = soc.opcode_count(i, arch::Opcode::kTlbiS2Ipa);
    }
    const uint64_t batches0 = dom->inv_stats().batches;
    // Leaf entries changed: the page table itself is left alone so DMA after the
    // invalidation shows whether a TLB kept the translation.
    dom->map(kIova + kRange, kPa, 0x1000, driver::IommuProt{});
    const uint64_t t0 = os.now_ns();
    const SmmuStatus st = dom->inv_range(kIova, kRange, 0x1000, true);
    f.sim_ns = os.now_ns() - t0;
    EXPECT_EQ(st, SmmuStatus::kOk);
    f.batches = dom->inv_stats().batches - batches0;
    for (unsigned i = 0; i < smmus; ++i) {
      f.syncs += soc.smmu_stats(i).syncs - syncs0[i];
      f.tlbis += soc.opcode_count(i, arch::Opcode::kTlbiS2Ipa) - tlbi0[i];
    }
    // Now unmap for real: every SMMU must fault.
    dom->unmap(kIova, kRange);
    for (unsigned i = 0; i < smmus; ++i)
      if (soc.dma(i, 0, 5, kIova).ok()) f.faults_after = false;
  });
  soc.run(sc_core::sc_time(10, sc_core::SC_MS));
  EXPECT_TRUE(soc.cpu(0).finished());
  return f;
}

}  // namespace

class InvScaling : public ::testing::TestWithParam<std::tuple<unsigned, bool, uint64_t>> {};

TEST_P(InvScaling, OneSyncPerSmmuAndTheGoldenTime) {
  const auto [smmus, all_then_wait, golden_ns] = GetParam();
  const Figure f = measure(smmus, all_then_wait);
  std::printf("inv_scaling smmus=%u mode=%s cmd_syncs=%llu tlbi_s2_ipa=%llu batches=%llu sim_ns=%llu\n",
              smmus, all_then_wait ? "all_then_wait" : "per_smmu_wait",
              static_cast<unsigned long long>(f.syncs), static_cast<unsigned long long>(f.tlbis),
              static_cast<unsigned long long>(f.batches), static_cast<unsigned long long>(f.sim_ns));
  EXPECT_EQ(f.syncs, smmus);
  EXPECT_EQ(f.batches, smmus);
  EXPECT_EQ(f.tlbis, smmus);  // 16 pages: one range TLBI (RIL) per SMMU
  EXPECT_TRUE(f.faults_after);
  EXPECT_EQ(f.sim_ns, golden_ns);
}

INSTANTIATE_TEST_SUITE_P(
    SharedS2Range, InvScaling,
    ::testing::Values(std::make_tuple(1u, false, 120ull), std::make_tuple(1u, true, 120ull),
                      std::make_tuple(2u, false, 240ull), std::make_tuple(2u, true, 138ull),
                      std::make_tuple(4u, false, 480ull), std::make_tuple(4u, true, 174ull),
                      std::make_tuple(8u, false, 960ull), std::make_tuple(8u, true, 246ull)),
    [](const ::testing::TestParamInfo<std::tuple<unsigned, bool, uint64_t>>& i) {
      return std::to_string(std::get<0>(i.param)) + "Smmus" +
             (std::get<1>(i.param) ? "AllThenWait" : "PerSmmuWait");
    });

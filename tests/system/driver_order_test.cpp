// SPDX-License-Identifier: Apache-2.0
// Directed interleavings of the driver's ordering rules on simulated CPUs (the
// concurrency seeds find these only by chance): unref of an invalidation array waits for
// an ATS reader still inside it; an invalidation that runs between the attach's publish
// of the new array and its STE write reaches the new SMMU; the ATC is flushed when ATS
// stays on across a domain change; the array an invalidating CPU holds outlives an
// attach that replaces it until that CPU leaves its read-side section.
#include <gtest/gtest.h>

#include <functional>
#include <memory>
#include <utility>
#include <vector>

#include "driver/invalidation_array.h"
#include "driver/io_pgtable.h"
#include "support/driver_soc.h"

using namespace smmu;
using driver::DomainInvs;
using driver::InvArray;
using driver::InvEntry;
using driver::InvType;
using driver::SmmuStatus;
using test::DriverSoc;
using test::DriverSocConfig;
using Op = arch::Opcode;

namespace {

constexpr uint64_t kIova = 0x5000'0000;
constexpr uint64_t kPa = 0x2200'0000, kWord = 0xa0a0'0000'0000'00a0ull;    // domain A's page
constexpr uint64_t kPa2 = 0x2300'0000, kWord2 = 0xb0b0'0000'0000'00b0ull;  // domain B's page
constexpr uint32_t kSid = 7;

// Two CPUs that switch often enough for a poll loop on one to see the other's progress.
DriverSocConfig two_cpus(unsigned smmus = 1) {
  DriverSocConfig cfg;
  cfg.smmus = smmus;
  cfg.cpus = 2;
  cfg.cpu.quantum = sc_core::sc_time(10, sc_core::SC_NS);
  return cfg;
}

// Spins (in simulated time) on CPU `os` until cond() holds.
void wait_until(driver::Os& os, const std::function<bool()>& cond) {
  while (!cond()) os.delay_ns(5);
}

}  // namespace

// A CPU issuing ATC invalidations holds the array's ATS lock for reading; unref (ATS
// about to be disabled) trims the array only after that reader has left, so the reader
// never sees its entries vanish and nothing is sent after the caller turns ATS off.
TEST(DriverOrder, UnrefWaitsForAnAtsReaderStillInsideTheArray) {
  DriverSoc soc(two_cpus());
  driver::SmmuHandle h{0};
  DomainInvs invs(soc.os());
  size_t seen_entering = 0, seen_leaving = 0, size_after_unref = 0;
  uint64_t reader_left = 0, unref_returned = 0;
  soc.cpu(1).add_program([&](driver::Os& os) {
    os.delay_ns(100);
    invs.with_invs([&](const InvArray& a) {
      seen_entering = a.size();
      os.delay_ns(2000);  // the ATC_INVs and their CMD_SYNC
      seen_leaving = a.size();
    });
    reader_left = os.now_ns();
  });
  soc.cpu(0).add_program([&](driver::Os& os) {
    const std::vector<InvEntry> both{driver::make_inv(&h, InvType::kS1Asid, 1),
                                     driver::make_inv(&h, InvType::kAts, 9)};
    invs.replace(InvArray::merge(os, invs.locked(), both));
    os.delay_ns(500);
    std::vector<InvEntry> ats{driver::make_inv(&h, InvType::kAts, 9)};
    EXPECT_EQ(invs.locked().unref(ats), 0u);
    unref_returned = os.now_ns();
    EXPECT_EQ(ats[0].users, 0);
    size_after_unref = invs.locked().size();
  });
  soc.run(sc_core::sc_time(1, sc_core::SC_MS));
  ASSERT_TRUE(soc.cpu(0).finished() && soc.cpu(1).finished());
  EXPECT_EQ(seen_entering, 2u);
  EXPECT_EQ(seen_leaving, 2u);  // not trimmed under the reader
  EXPECT_EQ(reader_left, 2104u);
  EXPECT_EQ(unref_returned, 2106u);  // granted at the reader's release, plus its own unlock
  EXPECT_EQ(size_after_unref, 1u);
}

// Attach publishes the domain's new array before it writes the STE. An invalidation that
// starts once the new SMMU already sees the STE write (its CFGI_STE ran) but before the
// attach returned must therefore reach the new SMMU with the domain's tag there.
TEST(DriverOrder, InvalidationBetweenPublishAndSteWriteReachesTheNewSmmu) {
  DriverSoc soc(two_cpus(2));
  soc.write64(kPa, kWord);
  std::unique_ptr<driver::Domain> dom;
  bool ready = false;
  uint64_t cfgi_before = 0, inv_started = 0, attach_returned = 0;
  uint64_t tlbis_on_new = 0, tlbis_on_old = 0;
  std::vector<uint16_t> tlbi_vmids_on_new;
  uint16_t vmid_on_new = 0xffff;
  test::Master::Result after{};
  soc.cpu(1).add_program([&](driver::Os& os) {
    wait_until(os, [&] { return ready; });
    wait_until(os, [&] { return soc.opcode_count(1, Op::kCfgiSte) > cfgi_before; });
    inv_started = os.now_ns();
    const uint64_t new0 = soc.opcode_count(1, Op::kTlbiS2Ipa), old0 = soc.opcode_count(0, Op::kTlbiS2Ipa);
    const uint64_t p0 = soc.device(1).cmdq().produced();
    EXPECT_EQ(dom->unmap(kIova, 0x1000).inv, SmmuStatus::kOk);
    for (const arch::Command& c : soc.queued_commands(1, p0, soc.device(1).cmdq().produced()))
      if (c.opcode() == Op::kTlbiS2Ipa) tlbi_vmids_on_new.push_back(c.vmid());
    tlbis_on_new = soc.opcode_count(1, Op::kTlbiS2Ipa) - new0;
    tlbis_on_old = soc.opcode_count(0, Op::kTlbiS2Ipa) - old0;
  });
  ASSERT_TRUE(soc.run_driver([&](driver::Os& os, driver::Iommu& iommu) {
    dom = test::make_paging_domain(iommu, driver::PgtableStage::kS2);
    ASSERT_EQ(dom->map(kIova, kPa, 0x1000, driver::IommuProt{}), driver::PgtableStatus::kOk);
    auto a = test::make_master(iommu, soc.device(0), kSid);
    auto b = test::make_master(iommu, soc.device(1), kSid);
    ASSERT_EQ(iommu.attach(*a, *dom), SmmuStatus::kOk);
    cfgi_before = soc.opcode_count(1, Op::kCfgiSte);
    ready = true;
    ASSERT_EQ(iommu.attach(*b, *dom), SmmuStatus::kOk);
    attach_returned = os.now_ns();
    vmid_on_new = soc.ste(1, kSid).s2vmid;
    wait_until(os, [&] { return soc.cpu(1).finished(); });
    after = soc.dma(1, 0, kSid, kIova);
  }));
  ASSERT_TRUE(soc.cpu(1).finished());
  EXPECT_LT(inv_started, attach_returned);  // the invalidation ran inside the attach
  EXPECT_EQ(tlbis_on_old, 1u);
  EXPECT_EQ(tlbis_on_new, 1u);
  EXPECT_EQ(tlbi_vmids_on_new, std::vector<uint16_t>{vmid_on_new});  // the domain's tag there
  EXPECT_FALSE(after.ok());  // unmapped on both SMMUs
}

// ATS stays enabled while the master moves from domain A to domain B: what the device
// cached from A must go (an ATC_INV of its StreamID), or it keeps using A's pages.
TEST(DriverOrder, AtcFlushedWhenAtsStaysOnAcrossADomainChange) {
  DriverSocConfig cfg;
  cfg.ats_endpoints = 1;
  DriverSoc soc(cfg);
  const uint32_t sid = DriverSoc::endpoint_sid(0, 0);
  soc.write64(kPa, kWord);
  soc.write64(kPa2, kWord2);
  uint64_t data_a = 0, data_b = 0, atc_invs = 0;
  bool ats_on_after_switch = false;
  model::DmaOutcome cached{}, after_switch{};
  ASSERT_TRUE(soc.run_driver(
      [&](driver::Os&, driver::Iommu& iommu) {
        auto a = test::make_paging_domain(iommu, driver::PgtableStage::kS1);
        auto b = test::make_paging_domain(iommu, driver::PgtableStage::kS1);
        ASSERT_EQ(a->map(kIova, kPa, 0x1000, driver::IommuProt{}), driver::PgtableStatus::kOk);
        ASSERT_EQ(b->map(kIova, kPa2, 0x1000, driver::IommuProt{}), driver::PgtableStatus::kOk);
        driver::MasterConfig mc;
        mc.sids = {sid};
        mc.ats_capable = true;
        mc.set_ats_enable = [&soc](bool on) { soc.endpoint(0, 0).set_ats_enabled(on); };
        std::unique_ptr<driver::Master> m;
        ASSERT_EQ(iommu.probe_master(soc.device(0), mc, m), SmmuStatus::kOk);
        ASSERT_EQ(iommu.attach(*m, *a), SmmuStatus::kOk);
        soc.ats_dma(0, 0, kIova, false, &data_a);
        cached = soc.ats_dma(0, 0, kIova);  // from the ATC
        const uint64_t inv0 = soc.endpoint(0, 0).stats().invalidations_received;
        ASSERT_EQ(iommu.attach(*m, *b), SmmuStatus::kOk);
        atc_invs = soc.endpoint(0, 0).stats().invalidations_received - inv0;
        ats_on_after_switch = soc.endpoint(0, 0).ats_enabled() && m->ats_enabled();
        after_switch = soc.ats_dma(0, 0, kIova, false, &data_b);
        iommu.release_master(m);
      },
      driver::SyncCompletion::kConsPoll));
  EXPECT_EQ(data_a, kWord);
  EXPECT_TRUE(cached.ats_translated);
  EXPECT_FALSE(cached.translation_requested);
  EXPECT_TRUE(ats_on_after_switch);
  EXPECT_EQ(atc_invs, 1u);
  EXPECT_TRUE(after_switch.translation_requested);  // the ATC no longer had A's page
  EXPECT_EQ(after_switch.status, tlm::TLM_OK_RESPONSE);
  EXPECT_EQ(data_b, kWord2);
}

// An invalidating CPU inside with_invs keeps the array it loaded; an attach on another
// CPU replaces it meanwhile. The old array is freed (call_rcu) exactly when the reader
// leaves, not before: its entries stay readable for the whole section.
TEST(DriverOrder, ReplacedArrayLivesUntilTheReaderInsideLeaves) {
  DriverSoc soc(two_cpus());
  driver::SmmuHandle h{0};
  const long base = InvArray::live_count();
  DomainInvs invs(soc.os());
  uint64_t reader_left = 0, replaced_at = 0;
  long live_inside = 0, live_replaced = 0;
  uint32_t id_inside = 0;
  std::vector<std::pair<uint64_t, long>> live_log;  // CPU 0 samples (time, arrays alive)
  soc.cpu(1).add_program([&](driver::Os& os) {
    os.delay_ns(100);
    invs.with_invs([&](const InvArray& a) {
      os.delay_ns(3000);
      live_inside = InvArray::live_count() - base;
      // Touch the array only while it is alive, so a broken grace period fails the
      // checks below instead of crashing on a freed array.
      if (live_inside == 2) id_inside = a.size() == 1 ? a[0].id : 0;
    });
    reader_left = os.now_ns();
  });
  soc.cpu(0).add_program([&](driver::Os& os) {
    invs.replace(InvArray::merge(os, invs.locked(), std::vector<InvEntry>{driver::make_inv(&h, InvType::kS1Asid, 1)}));
    os.delay_ns(500);
    invs.replace(InvArray::merge(os, invs.locked(), std::vector<InvEntry>{driver::make_inv(&h, InvType::kS1Asid, 2)}));
    replaced_at = os.now_ns();
    live_replaced = InvArray::live_count() - base;
    for (int i = 0; i < 8; ++i) {
      os.delay_ns(500);
      live_log.emplace_back(os.now_ns(), InvArray::live_count() - base);
    }
  });
  soc.run(sc_core::sc_time(1, sc_core::SC_MS));
  ASSERT_TRUE(soc.cpu(0).finished() && soc.cpu(1).finished());
  EXPECT_EQ(reader_left, 3100u);
  EXPECT_EQ(replaced_at, 504u);  // replace: a barrier and call_rcu, 2 ns each
  EXPECT_EQ(live_replaced, 2);  // the reader's and the new one (the empty one went at once)
  EXPECT_EQ(live_inside, 2);    // the reader's array is still there at its last access
  EXPECT_EQ(id_inside, 1u);
  for (const auto& [t, live] : live_log) EXPECT_EQ(live, t < 3100 ? 2 : 1) << "at " << t << " ns";
}

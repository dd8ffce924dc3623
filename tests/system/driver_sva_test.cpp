// SPDX-License-Identifier: Apache-2.0
// SVA: a process's address space (driver/process_mm.h) bound at PASIDs of two devices
// behind two SMMUs (a plain master, and an ATS endpoint), the CDs pointing at the
// process's own table; the process remaps and unmaps pages while both devices read them
// through their PASIDs, and its MMU notifier invalidates every SMMU (TLBI by ASID, range)
// and the endpoint's ATC (ATC_INV with SSV and the PASID) before the pages are reused.
//
// Each page holds a signature (page index, generation). A generation ends when the remap
// or unmap that replaced it returned. A read that succeeds must see 0 (a fresh page not
// written yet) or a signature of the page it addressed whose generation had not ended
// when the read started: anything else is a stale translation.
#include <gtest/gtest.h>

#include <map>
#include <memory>
#include <random>
#include <string>
#include <unordered_map>

#include "driver/process_mm.h"
#include "rtl_model/arch/cd.h"
#include "support/driver_soc.h"

using namespace smmu;
using driver::Domain;
using driver::Master;
using driver::ProcessMm;
using driver::SmmuStatus;
using sc_core::sc_time;
using sc_core::SC_NS;
using Op = arch::Opcode;

namespace {

constexpr uint64_t kVa = 0x7f00'0000'0000ull;  // a user address, far above any IOVA
constexpr unsigned kPages = 16;
constexpr uint32_t kPlainSid = 5, kPlainSsid = 3, kAtsSsid = 9;
constexpr uint16_t kCpuAsid = 77;

uint64_t page_va(unsigned i) { return kVa + uint64_t{i} * ProcessMm::kPageSize; }
uint64_t signature(unsigned page, uint64_t gen) { return (uint64_t{0x5a} << 56) | (uint64_t{page} << 32) | gen; }
bool sig_valid(uint64_t s) { return (s >> 56) == 0x5a; }
unsigned sig_page(uint64_t s) { return static_cast<unsigned>((s >> 32) & 0xffffff); }
uint64_t stamp_ns() { return static_cast<uint64_t>(sc_core::sc_time_stamp() / sc_time(1, SC_NS)); }

struct World {
  sc_time end{2, sc_core::SC_MS};
  // With churn, CPU 1 keeps blocking and re-attaching the plain master's PASID while the
  // process changes its pages (attach and notifier invalidation race).
  bool churn = false;
  Master* plain = nullptr;
  Domain* sva = nullptr;
  uint64_t pasid_attaches = 0, churn_errors = 0;
  bool ready = false, done = false;
  std::unordered_map<uint64_t, uint64_t> ended;  // signature -> ns its remap/unmap returned
  uint64_t plain_ok = 0, plain_faults = 0, ats_ok = 0, ats_faults = 0, zero_reads = 0;
  uint64_t stale = 0, remaps = 0, unmaps = 0;
  std::string first_stale;

  void check(const char* who, unsigned page, uint64_t start, uint64_t sig) {
    if (sig == 0) {
      ++zero_reads;
      return;
    }
    const auto it = ended.find(sig);
    const bool wrong_page = !sig_valid(sig) || sig_page(sig) != page;
    if (wrong_page || (it != ended.end() && it->second <= start)) {
      if (!stale++)
        first_stale = std::string(who) + " page " + std::to_string(page) + " at " +
                      std::to_string(start) + " ns read " + std::to_string(sig) +
                      (wrong_page ? " (another page)" : " (replaced before the read started)");
    }
  }
};

class Readers : public sc_core::sc_module {
 public:
  SC_HAS_PROCESS(Readers);
  Readers(const sc_core::sc_module_name& n, test::DriverSoc& soc, World& w) : sc_module(n), soc_(soc), w_(w) {
    sc_core::sc_spawn([this] { run(false); });
    sc_core::sc_spawn([this] { run(true); });
  }

 private:
  void run(bool ats) {
    std::mt19937_64 rng(ats ? 11 : 7);
    while (!w_.ready) sc_core::wait(sc_time(1, sc_core::SC_US));
    while (!w_.done) {
      sc_core::wait(sc_time(30 + rng() % 150, SC_NS));
      const unsigned page = rng() % kPages;
      const uint64_t va = page_va(page) + 8 * (rng() % 8), start = stamp_ns();
      uint64_t data = 0;
      bool ok;
      sc_time latency = sc_core::SC_ZERO_TIME;
      if (!ats) {
        const test::Master::Result r = soc_.pasid_dma(0, 0, kPlainSid, kPlainSsid, va);
        ok = r.ok();
        data = r.data;
        latency = r.latency;
        ++(ok ? w_.plain_ok : w_.plain_faults);
      } else {
        model::DmaAccess a;
        a.address = va;
        a.size = 8;
        a.ssv = true;
        a.ssid = kAtsSsid;
        a.data = reinterpret_cast<uint8_t*>(&data);
        ok = soc_.endpoint(1, 0).dma_access(a, latency).status == tlm::TLM_OK_RESPONSE;
        ++(ok ? w_.ats_ok : w_.ats_faults);
      }
      if (ok) w_.check(ats ? "ats" : "plain", page, start, data);
      sc_core::wait(latency);
    }
  }
  test::DriverSoc& soc_;
  World& w_;
};

// The process fills page i of generation gen with its signature (through its own view:
// the page its table maps now).
void fill(driver::Os& os, ProcessMm& mm, unsigned page, uint64_t gen) {
  const auto p = mm.lookup(page_va(page));
  ASSERT_TRUE(p.has_value());
  for (unsigned k = 0; k < 8; ++k) os.write64((p->pa & ~(ProcessMm::kPageSize - 1)) + 8 * k, signature(page, gen));
}

void run_sva_world(bool churn) {
  test::DriverSocConfig cfg;
  cfg.smmus = 2;
  cfg.cpus = churn ? 2 : 1;
  cfg.ats_endpoints = 1;  // SMMU 1's endpoint, after its plain master
  test::DriverSoc soc(cfg);
  World w;
  w.churn = churn;
  if (churn)
    soc.cpu(1).add_program([&w, &soc](driver::Os& os) {
      std::mt19937_64 rng(5);
      while (!w.ready) os.delay_ns(1000);
      while (!w.done) {
        os.delay_ns(500 + rng() % 2000);
        soc.iommu().detach_pasid(*w.plain, kPlainSsid);
        os.delay_ns(rng() % 1000);
        w.churn_errors += soc.iommu().attach_pasid(*w.plain, kPlainSsid, *w.sva) != SmmuStatus::kOk;
        ++w.pasid_attaches;
      }
    });
  Readers readers("readers", soc, w);
  arch::Cd cd0, cd1;
  uint64_t ttbr = 0, tlbi0 = 0, tlbi1 = 0, atc_inv_ssv = 0, atc_inv_received = 0;
  unsigned attached_after = 9;
  bool mm_released_cleanly = false;
  ASSERT_TRUE(soc.run_driver(
      [&](driver::Os& os, driver::Iommu& iommu) {
        driver::ProcessMmConfig pc;
        pc.asid = kCpuAsid;
        std::unique_ptr<ProcessMm> mm = ProcessMm::create(os, pc);
        ASSERT_TRUE(mm);
        ttbr = mm->ttbr0();
        ASSERT_EQ(mm->mmap_anonymous(kVa, kPages * ProcessMm::kPageSize, driver::UserProt{}),
                  driver::MmStatus::kOk);
        std::vector<uint64_t> gen(kPages, 1);
        for (unsigned i = 0; i < kPages; ++i) fill(os, *mm, i, gen[i]);
        std::unique_ptr<Domain> sva;
        ASSERT_EQ(iommu.alloc_sva_domain(*mm, sva), SmmuStatus::kOk);
        driver::MasterConfig pm;
        pm.sids = {kPlainSid};
        pm.ssid_bits = 8;
        std::unique_ptr<Master> plain, ats;
        ASSERT_EQ(iommu.probe_master(soc.device(0), pm, plain), SmmuStatus::kOk);
        driver::MasterConfig am;
        am.sids = {soc.endpoint(1, 0).sid()};
        am.ats_capable = true;
        am.ssid_bits = 8;
        am.set_ats_enable = [&soc](bool on) { soc.endpoint(1, 0).set_ats_enabled(on); };
        ASSERT_EQ(iommu.probe_master(soc.device(1), am, ats), SmmuStatus::kOk);
        ASSERT_EQ(iommu.attach_pasid(*plain, kPlainSsid, *sva), SmmuStatus::kOk);
        ASSERT_EQ(iommu.attach_pasid(*ats, kAtsSsid, *sva), SmmuStatus::kOk);
        cd0 = soc.cd(plain->cd_table()->cd_pa(kPlainSsid));
        cd1 = soc.cd(ats->cd_table()->cd_pa(kAtsSsid));
        w.plain = plain.get();
        w.sva = sva.get();
        const uint64_t t0 = soc.opcode_count(0, Op::kTlbiNhVa), t1 = soc.opcode_count(1, Op::kTlbiNhVa);
        const uint64_t a1 = soc.opcode_count(1, Op::kAtcInv);
        const uint64_t r1 = soc.endpoint(1, 0).stats().invalidations_received;
        w.ready = true;
        std::mt19937_64 rng(3);
        while (os.now_ns() < static_cast<uint64_t>(w.end / sc_time(1, SC_NS))) {
          os.delay_ns(200 + rng() % 800);
          const unsigned i = rng() % kPages;
          const uint64_t old = signature(i, gen[i]);
          if (rng() % 4 == 0) {
            // Unmap, let the devices fault on it a while, map fresh memory again.
            ASSERT_EQ(mm->unmap(page_va(i), ProcessMm::kPageSize).status, driver::MmStatus::kOk);
            w.ended[old] = os.now_ns();
            ++w.unmaps;
            os.delay_ns(300);
            ASSERT_EQ(mm->mmap_anonymous(page_va(i), ProcessMm::kPageSize, driver::UserProt{}),
                      driver::MmStatus::kOk);
          } else {
            ASSERT_EQ(mm->remap(page_va(i), ProcessMm::kPageSize), driver::MmStatus::kOk);
            w.ended[old] = os.now_ns();
            ++w.remaps;
          }
          fill(os, *mm, i, ++gen[i]);
        }
        w.done = true;
        tlbi0 = soc.opcode_count(0, Op::kTlbiNhVa) - t0;
        tlbi1 = soc.opcode_count(1, Op::kTlbiNhVa) - t1;
        atc_inv_ssv = soc.opcode_count(1, Op::kAtcInv) - a1;
        atc_inv_received = soc.endpoint(1, 0).stats().invalidations_received - r1;
        os.delay_ns(5000);  // the readers and the churning CPU stop
        iommu.release_master(plain);
        iommu.release_master(ats);
        attached_after = sva->attached_masters();
        EXPECT_EQ(iommu.free_domain(sva), SmmuStatus::kOk);
        mm.reset();  // no notifier left to call
        mm_released_cleanly = true;
      },
      driver::SyncCompletion::kMsi, w.end + sc_time(2, sc_core::SC_MS)));
  std::printf("sva%s: plain ok %llu faults %llu, ats ok %llu faults %llu, zero reads %llu, remaps %llu "
              "unmaps %llu, TLBI_NH_VA smmu0 %llu smmu1 %llu, ATC_INV %llu\n",
              churn ? " (PASID churn)" : "", (unsigned long long)w.plain_ok, (unsigned long long)w.plain_faults,
              (unsigned long long)w.ats_ok, (unsigned long long)w.ats_faults,
              (unsigned long long)w.zero_reads, (unsigned long long)w.remaps,
              (unsigned long long)w.unmaps, (unsigned long long)tlbi0, (unsigned long long)tlbi1,
              (unsigned long long)atc_inv_ssv);
  EXPECT_EQ(w.stale, 0u) << w.first_stale;
  // The CDs: the process's table, a per-SMMU ASID (not the CPU's), valid.
  EXPECT_TRUE(cd0.valid);
  EXPECT_TRUE(cd1.valid);
  EXPECT_EQ(cd0.ttb0, ttbr);
  EXPECT_EQ(cd1.ttb0, ttbr);
  // Every remap or unmap invalidated on both SMMUs and in the endpoint's ATC.
  const uint64_t changes = w.remaps + w.unmaps;
  EXPECT_GT(changes, 500u);
  // SMMU 0 only while the plain master was attached (always, without churn).
  if (churn) {
    EXPECT_GT(w.pasid_attaches, 300u);
    EXPECT_EQ(w.churn_errors, 0u);
    EXPECT_LE(tlbi0, changes);
    EXPECT_GT(tlbi0, changes / 4);
  } else {
    EXPECT_EQ(tlbi0, changes);
  }
  EXPECT_EQ(tlbi1, changes);
  EXPECT_EQ(atc_inv_ssv, changes);
  EXPECT_EQ(atc_inv_received, changes);
  // Enough traffic that the check means something: hits, faults on unmapped pages.
  EXPECT_GT(w.plain_ok, churn ? 1000u : 3000u);  // detached a good part of the time with churn
  EXPECT_GT(w.ats_ok, 3000u);
  EXPECT_GT(w.plain_faults, 10u);
  EXPECT_EQ(attached_after, 0u);
  EXPECT_TRUE(mm_released_cleanly);
}

}  // namespace

TEST(DriverSva, ProcessRemapsWhileDevicesReadThroughPasidsNoStaleRead) { run_sva_world(false); }

// The same while another CPU blocks and re-attaches the plain master's PASID all along.
TEST(DriverSva, PasidAttachesRaceProcessUnmapsNoStaleRead) { run_sva_world(true); }

// An SVA domain is bound at PASIDs only; the CD's ASID is the SMMU's own (shared with
// stage-1 domains' allocator), and every SMMU gets its own.
TEST(DriverSva, SvaDomainIsPasidOnlyAndTakesAnAsidPerSmmu) {
  test::DriverSocConfig cfg;
  cfg.smmus = 2;
  test::DriverSoc soc(cfg);
  SmmuStatus as_rid{};
  unsigned asids0 = 0, asids1 = 0;
  arch::Cd cd;
  ASSERT_TRUE(soc.run_driver([&](driver::Os& os, driver::Iommu& iommu) {
    std::unique_ptr<ProcessMm> mm = ProcessMm::create(os, driver::ProcessMmConfig{});
    ASSERT_TRUE(mm);
    std::unique_ptr<Domain> sva;
    ASSERT_EQ(iommu.alloc_sva_domain(*mm, sva), SmmuStatus::kOk);
    driver::MasterConfig mc;
    mc.sids = {kPlainSid};
    mc.ssid_bits = 4;
    std::unique_ptr<Master> m0, m1;
    ASSERT_EQ(iommu.probe_master(soc.device(0), mc, m0), SmmuStatus::kOk);
    ASSERT_EQ(iommu.probe_master(soc.device(1), mc, m1), SmmuStatus::kOk);
    as_rid = iommu.attach(*m0, *sva);
    ASSERT_EQ(iommu.attach_pasid(*m0, 1, *sva), SmmuStatus::kOk);
    ASSERT_EQ(iommu.attach_pasid(*m1, 2, *sva), SmmuStatus::kOk);
    cd = soc.cd(m0->cd_table()->cd_pa(1));
    asids0 = soc.device(0).tags().asids_in_use();
    asids1 = soc.device(1).tags().asids_in_use();
    iommu.release_master(m0);
    iommu.release_master(m1);
    EXPECT_EQ(soc.device(0).tags().asids_in_use(), 0u);
    EXPECT_EQ(iommu.free_domain(sva), SmmuStatus::kOk);
  }));
  EXPECT_EQ(as_rid, SmmuStatus::kInvalidArgument);
  EXPECT_EQ(asids0, 1u);
  EXPECT_EQ(asids1, 1u);
  EXPECT_TRUE(cd.valid);
  EXPECT_EQ(cd.epd1, true);
  EXPECT_EQ(cd.t0sz, 16u);
}

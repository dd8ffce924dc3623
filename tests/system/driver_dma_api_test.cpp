// SPDX-License-Identifier: Apache-2.0
// The DMA API (driver/dma_api.h) on simulated CPUs against the SMMU model: strict
// unmaps leave nothing a device can reach; lazy ones may be reached through a TLB until
// the flush and never after; an IOVA is not handed out again before its invalidation;
// exact simulated times for one map+unmap; and several CPUs mapping, DMAing and
// unmapping at random, each device access reading the buffer its CPU mapped.
#include <gtest/gtest.h>

#include <map>
#include <random>
#include <set>

#include "driver/dma_api.h"
#include "support/driver_soc.h"

using namespace smmu;
using driver::DmaApi;
using driver::DmaApiConfig;
using driver::DmaInvPolicy;
using driver::SmmuStatus;
using test::DriverSoc;
using test::DriverSocConfig;

namespace {

constexpr uint64_t kPa = 0x2000'0000;
constexpr uint32_t kSid = 5;
constexpr uint64_t kPage = 0x1000;

uint64_t word_at(uint64_t pa) { return 0xd0d0'0000'0000'0000ull | pa; }

DmaApiConfig config(DmaInvPolicy policy, unsigned cpus = 1) {
  DmaApiConfig c;
  c.policy = policy;
  c.iova.cpus = cpus;
  c.fq.cpus = cpus;
  return c;
}

// A stage-1 domain with Linux's page-table freeing (only tables an unmap covers whole).
std::unique_ptr<driver::Domain> dma_domain(driver::Iommu& iommu) {
  driver::PagingDomainConfig dc;
  dc.free_empty_tables = false;
  std::unique_ptr<driver::Domain> d;
  EXPECT_EQ(iommu.alloc_paging_domain(dc, d), SmmuStatus::kOk);
  return d;
}

// Brings the driver up, attaches an S1 domain to kSid and runs body with a DmaApi on it.
void with_dma_api(DriverSoc& soc, const DmaApiConfig& cfg,
                  const std::function<void(driver::Os&, DmaApi&)>& body) {
  ASSERT_TRUE(soc.run_driver([&](driver::Os& os, driver::Iommu& iommu) {
    auto dom = dma_domain(iommu);
    auto m = test::make_master(iommu, soc.device(0), kSid);
    ASSERT_EQ(iommu.attach(*m, *dom), SmmuStatus::kOk);
    {
      DmaApi api(soc.os(), *dom, cfg);
      body(os, api);
    }
    iommu.release_master(m);
    iommu.free_domain(dom);
  }));
}

}  // namespace

TEST(DriverDmaApi, StrictUnmapFaultsAtOnce) {
  DriverSoc soc;
  soc.write64(kPa, word_at(kPa));
  with_dma_api(soc, config(DmaInvPolicy::kStrict), [&](driver::Os&, DmaApi& api) {
    const uint64_t dma = api.map(kPa, kPage);
    ASSERT_NE(dma, 0u);
    const auto r = soc.dma(0, 0, kSid, dma);
    ASSERT_TRUE(r.ok());
    EXPECT_EQ(r.data, word_at(kPa));
    ASSERT_EQ(api.unmap(dma, kPage), SmmuStatus::kOk);
    EXPECT_FALSE(soc.dma(0, 0, kSid, dma).ok());  // the TLBs held it: invalidated
    // The IOVA is free again: the next map of that size gets it from the CPU's cache.
    EXPECT_EQ(api.map(kPa, kPage), dma);
    EXPECT_EQ(api.inv_latencies().size(), 1u);
  });
}

TEST(DriverDmaApi, LazyUnmapMayHitUntilTheFlushAndNeverAfter) {
  DriverSoc soc;
  soc.write64(kPa, word_at(kPa));
  with_dma_api(soc, config(DmaInvPolicy::kLazy), [&](driver::Os&, DmaApi& api) {
    const uint64_t dma = api.map(kPa, kPage);
    ASSERT_TRUE(soc.dma(0, 0, kSid, dma).ok());
    ASSERT_EQ(api.unmap(dma, kPage), SmmuStatus::kOk);
    // Not yet invalidated: the TLB still translates the old mapping.
    const auto stale = soc.dma(0, 0, kSid, dma);
    EXPECT_TRUE(stale.ok());
    EXPECT_EQ(stale.data, word_at(kPa));
    // And the IOVA is not handed out again while that is so.
    const uint64_t other = api.map(kPa, kPage);
    EXPECT_NE(other, dma);
    EXPECT_EQ(api.flush_queue()->pending(), 1u);
    api.drain();
    EXPECT_FALSE(soc.dma(0, 0, kSid, dma).ok());
    EXPECT_EQ(api.flush_queue()->pending(), 0u);
    EXPECT_EQ(api.flush_queue()->stats().drain_flushes.load(), 1u);
    // Released: now it may come back.
    EXPECT_EQ(api.map(kPa, kPage), dma);
  });
}

TEST(DriverDmaApi, LazyTimeoutFlushesOnTheNextCall) {
  DriverSoc soc;
  DmaApiConfig cfg = config(DmaInvPolicy::kLazy);
  cfg.fq.timeout_ns = 20'000;
  with_dma_api(soc, cfg, [&](driver::Os& os, DmaApi& api) {
    const uint64_t dma = api.map(kPa, kPage);
    ASSERT_TRUE(soc.dma(0, 0, kSid, dma).ok());
    ASSERT_EQ(api.unmap(dma, kPage), SmmuStatus::kOk);
    os.delay_ns(19'000);
    api.poll();
    EXPECT_TRUE(soc.dma(0, 0, kSid, dma).ok());  // before the timeout: still cached
    os.delay_ns(1'000);
    api.poll();
    EXPECT_EQ(api.flush_queue()->stats().timeout_flushes.load(), 1u);
    EXPECT_FALSE(soc.dma(0, 0, kSid, dma).ok());
  });
}

TEST(DriverDmaApi, LazyFullRingFlushesByAsid) {
  DriverSoc soc;
  DmaApiConfig cfg = config(DmaInvPolicy::kLazy);
  cfg.fq.entries = 4;
  with_dma_api(soc, cfg, [&](driver::Os&, DmaApi& api) {
    const uint64_t asids0 = soc.opcode_count(0, arch::Opcode::kTlbiNhAsid);
    std::vector<uint64_t> dmas;
    for (int i = 0; i < 5; ++i) {
      dmas.push_back(api.map(kPa + i * kPage, kPage));
      ASSERT_TRUE(soc.dma(0, 0, kSid, dmas.back()).ok());
      ASSERT_EQ(api.unmap(dmas.back(), kPage), SmmuStatus::kOk);
    }
    // The fifth unmap found the ring full: one TLBI by ASID covered the first four.
    EXPECT_EQ(soc.opcode_count(0, arch::Opcode::kTlbiNhAsid) - asids0, 1u);
    EXPECT_EQ(api.flush_queue()->stats().full_flushes.load(), 1u);
    for (int i = 0; i < 4; ++i) EXPECT_FALSE(soc.dma(0, 0, kSid, dmas[i]).ok()) << i;
    // The fifth's entry was cleared before that flush, which therefore covered it too,
    // but it was queued after the flush started: it waits for the next one.
    EXPECT_FALSE(soc.dma(0, 0, kSid, dmas[4]).ok());
    EXPECT_EQ(api.flush_queue()->pending(), 1u);
    EXPECT_NE(api.map(kPa, kPage), dmas[4]);
  });
}

// One strict map+unmap of a 4 KiB buffer on CPU 0, and one lazy, to the nanosecond.
TEST(DriverDmaApi, ExactTimesOfOneMapAndUnmap) {
  DriverSoc soc;
  uint64_t strict_map = 0, strict_unmap = 0, lazy_map = 0, lazy_unmap = 0;
  ASSERT_TRUE(soc.run_driver([&](driver::Os& os, driver::Iommu& iommu) {
    auto dom = dma_domain(iommu);
    auto m = test::make_master(iommu, soc.device(0), kSid);
    ASSERT_EQ(iommu.attach(*m, *dom), SmmuStatus::kOk);
    for (DmaInvPolicy policy : {DmaInvPolicy::kStrict, DmaInvPolicy::kLazy}) {
      DmaApi api(soc.os(), *dom, config(policy));
      os.delay_ns(10'000);  // the SMMU idle
      uint64_t t0 = os.now_ns();
      const uint64_t dma = api.map(kPa, kPage);
      const uint64_t t1 = os.now_ns();
      ASSERT_TRUE(soc.dma(0, 0, kSid, dma).ok());
      const uint64_t t2 = os.now_ns();
      ASSERT_EQ(api.unmap(dma, kPage), SmmuStatus::kOk);
      const uint64_t t3 = os.now_ns();
      (policy == DmaInvPolicy::kStrict ? strict_map : lazy_map) = t1 - t0;
      (policy == DmaInvPolicy::kStrict ? strict_unmap : lazy_unmap) = t3 - t2;
    }
    iommu.release_master(m);
    iommu.free_domain(dom);
  }));
  // map: an empty magazine (10 ns), the tree insert (150 ns) and the page-table
  // writes (the lazy run's finds the leaf table the strict one left). Strict unmap: the
  // PTE write, TLBI_NH_VA + CMD_SYNC written and published, the SMMU's fetch, run and
  // MSI. Lazy unmap: the PTE write and the flush-queue ring.
  EXPECT_EQ(strict_map, 200u);
  EXPECT_EQ(strict_unmap, 156u);
  EXPECT_EQ(lazy_map, 194u);
  EXPECT_EQ(lazy_unmap, 26u);
}

// Four CPUs, each mapping one of its own buffers at random sizes, DMAing every page of
// it (each read must return that buffer's words) and unmapping, lazy and strict, for
// several seeds; afterwards no IOVA any of them used still translates.
TEST(DriverDmaApi, RandomizedCpusOnlyEverReachTheirOwnBuffers) {
  constexpr unsigned kCpus = 4;
  DriverSocConfig sc;
  sc.cpus = kCpus;
  DriverSoc soc(sc);
  // CPU c's buffers: 8 of up to 16 pages at kPa + c * 1 MiB + b * 64 KiB.
  auto buffer_pa = [](unsigned cpu, unsigned b) { return kPa + cpu * 0x10'0000 + b * 0x1'0000; };
  for (unsigned c = 0; c < kCpus; ++c)
    for (unsigned b = 0; b < 8; ++b)
      for (uint64_t off = 0; off < 0x1'0000; off += kPage) soc.write64(buffer_pa(c, b) + off, word_at(buffer_pa(c, b) + off));
  std::unique_ptr<driver::Domain> dom;
  std::unique_ptr<driver::Master> master;
  std::unique_ptr<DmaApi> apis[2];
  unsigned started = 0, finished = 0, bad_reads = 0, ops = 0;
  std::set<uint64_t> used;
  bool stale_after_drain = false;
  for (unsigned c = 0; c < kCpus; ++c) {
    soc.cpu(c).add_program([&, c](driver::Os& os) {
      if (c == 0) {
        ASSERT_TRUE(soc.bring_up());
        dom = dma_domain(soc.iommu());
        master = test::make_master(soc.iommu(), soc.device(0), kSid);
        ASSERT_EQ(soc.iommu().attach(*master, *dom), SmmuStatus::kOk);
        DmaApiConfig strict = config(DmaInvPolicy::kStrict, kCpus);
        DmaApiConfig lazy = config(DmaInvPolicy::kLazy, kCpus);
        lazy.fq.entries = 8;
        lazy.fq.timeout_ns = 50'000;
        // Two IOVA spaces, one per policy, so that both run at once on one domain.
        lazy.iova.base = 0x8000'0000;
        lazy.iova.limit = 0x1'0000'0000;
        strict.iova.limit = 0x8000'0000;
        apis[0] = std::make_unique<DmaApi>(soc.os(), *dom, strict);
        apis[1] = std::make_unique<DmaApi>(soc.os(), *dom, lazy);
        started = 1;
      }
      while (!started) os.delay_ns(100);
      std::mt19937 rng(100 + c);
      for (unsigned i = 0; i < 60; ++i) {
        DmaApi& api = *apis[rng() % 2];
        const unsigned b = rng() % 8;
        const uint64_t size = (1 + rng() % 16) * kPage;
        const uint64_t dma = api.map(buffer_pa(c, b), size);
        if (dma == 0) {
          ++bad_reads;
          continue;
        }
        used.insert(dma);
        for (uint64_t off = 0; off < size; off += kPage) {
          const auto r = soc.dma(0, 0, kSid, dma + off);
          if (!r.ok() || r.data != word_at(buffer_pa(c, b) + off)) ++bad_reads;
        }
        if (api.unmap(dma, size) != SmmuStatus::kOk) ++bad_reads;
        os.delay_ns(rng() % 2000);
        ++ops;
      }
      if (++finished == kCpus) {
        apis[1]->drain();
        for (uint64_t dma : used)
          if (soc.dma(0, 0, kSid, dma).ok()) stale_after_drain = true;
        apis[0].reset();
        apis[1].reset();
        soc.iommu().release_master(master);
        soc.iommu().free_domain(dom);
      }
    });
  }
  soc.run(sc_core::sc_time(200, sc_core::SC_MS));
  EXPECT_EQ(finished, kCpus);
  EXPECT_EQ(ops, kCpus * 60);
  EXPECT_EQ(bad_reads, 0u);
  EXPECT_FALSE(stale_after_drain);
  EXPECT_GT(used.size(), 10u);
}

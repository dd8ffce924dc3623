// The driver under concurrency: 4 CPUs map, unmap and invalidate pages of three domains
// while 2 CPUs attach and detach the devices of two SMMUs to and from those domains,
// and every device runs DMA the whole time. Each mapped page holds a signature naming
// its (domain, slot, generation); a generation ends when the unmap that removed it
// returned (its invalidation complete). A DMA that succeeds must read a signature of
// the slot it addressed whose generation had not ended when the DMA started: anything
// else is a stale translation. Run under AddressSanitizer by scripts/test.sh, where a
// CPU reading a freed invalidation array would be a use after free.
#include <gtest/gtest.h>

#include <cstdio>
#include <map>
#include <random>
#include <unordered_map>

#include "support/driver_soc.h"

using namespace smmu;
using driver::Domain;
using driver::SmmuStatus;
using sc_core::sc_time;
using sc_core::SC_NS;

namespace {

constexpr unsigned kSmmus = 2, kPorts = 2, kMappers = 4, kCpus = 6, kDomains = 3;
constexpr unsigned kSlotsPerMapper = 16, kPagesPerMapper = 2 * kSlotsPerMapper;
constexpr uint64_t kIovaBase = 0x4000'0000, kPageBase = 0x4000'0000, kPage = 0x1000;

uint32_t sid_of(unsigned port) { return 10 + port; }
uint64_t slot_iova(unsigned slot) { return kIovaBase + uint64_t{slot} * kPage; }
uint64_t signature(unsigned domain, unsigned slot, uint64_t gen) {
  return (uint64_t{0xd0 + domain} << 56) | (uint64_t{slot} << 32) | gen;
}
unsigned sig_slot(uint64_t sig) { return static_cast<unsigned>((sig >> 32) & 0xffffff); }
bool sig_valid(uint64_t sig) { return (sig >> 56) >= 0xd0 && (sig >> 56) < 0xd0 + kDomains; }

struct World {
  explicit World(unsigned s) : seed(s) {}
  unsigned seed;
  sc_time end{10, sc_core::SC_MS};
  std::vector<std::unique_ptr<Domain>> domains;
  std::vector<std::unique_ptr<driver::Master>> masters;  // smmu * kPorts + port
  bool ready = false;
  unsigned workers_done = 0;
  std::unordered_map<uint64_t, uint64_t> ended;  // signature -> ns its unmap returned
  uint64_t dma_ok = 0, dma_faults = 0, stale = 0, maps = 0, unmaps = 0, invs = 0;
  uint64_t attaches = 0, attach_errors = 0, inv_errors = 0;
  std::string first_stale;
};

// DMA from every plain master, with random gaps, from its own thread (no local offset:
// a transaction starts at sc_time_stamp()).
class DmaRunners : public sc_core::sc_module {
 public:
  SC_HAS_PROCESS(DmaRunners);
  DmaRunners(const sc_core::sc_module_name& n, test::DriverSoc& soc, World& w)
      : sc_module(n), soc_(soc), w_(w) {
    for (unsigned s = 0; s < kSmmus; ++s)
      for (unsigned p = 0; p < kPorts; ++p)
        sc_core::sc_spawn([this, s, p] { run(s, p); });
  }

 private:
  void run(unsigned smmu, unsigned port) {
    std::mt19937_64 rng(w_.seed * 977 + smmu * 31 + port);
    while (!w_.ready) sc_core::wait(sc_time(1, sc_core::SC_US));
    while (sc_core::sc_time_stamp() < w_.end) {
      sc_core::wait(sc_time(20 + rng() % 200, SC_NS));
      const unsigned slot = rng() % (kMappers * kSlotsPerMapper);
      const uint64_t start = static_cast<uint64_t>(sc_core::sc_time_stamp().value() / 1000);
      const test::Master::Result r = soc_.dma(smmu, port, sid_of(port), slot_iova(slot) + 8 * (rng() % 8));
      if (!r.ok()) {
        ++w_.dma_faults;
      } else {
        ++w_.dma_ok;
        const auto it = w_.ended.find(r.data);
        const bool wrong_page = !sig_valid(r.data) || sig_slot(r.data) != slot;
        const bool ended_before = it != w_.ended.end() && it->second <= start;
        if (wrong_page || ended_before) {
          if (!w_.stale++) {
            char buf[200];
            std::snprintf(buf, sizeof buf, "smmu %u port %u slot %u at %llu ns read %016llx%s", smmu,
                          port, slot, static_cast<unsigned long long>(start),
                          static_cast<unsigned long long>(r.data),
                          wrong_page ? " (another page)" : " (unmapped before the DMA started)");
            w_.first_stale = buf;
          }
        }
      }
      sc_core::wait(r.latency);
    }
  }
  test::DriverSoc& soc_;
  World& w_;
};

void mapper(driver::Os& os, World& w, unsigned cpu) {
  std::mt19937_64 rng(w.seed * 7919 + cpu);
  struct Slot {
    uint64_t sig = 0, pa = 0;
  };
  std::map<std::pair<unsigned, unsigned>, Slot> mapped;  // (domain, slot)
  std::vector<uint64_t> pool;
  for (unsigned i = 0; i < kPagesPerMapper; ++i)
    pool.push_back(kPageBase + (uint64_t{cpu} * kPagesPerMapper + i) * kPage);
  uint64_t gen = 0;
  while (!w.ready) os.delay_ns(1000);
  while (os.now_ns() < static_cast<uint64_t>(w.end.value() / 1000)) {
    os.delay_ns(rng() % 1500);
    const unsigned d = rng() % kDomains;
    const unsigned slot = cpu * kSlotsPerMapper + rng() % kSlotsPerMapper;
    Domain& dom = *w.domains[d];
    const unsigned action = rng() % 16;
    if (action == 0) {
      w.inv_errors += dom.inv_all() != SmmuStatus::kOk;
      ++w.invs;
      continue;
    }
    if (action == 1) {
      w.inv_errors += dom.inv_range(slot_iova(slot), kPage, kPage, true) != SmmuStatus::kOk;
      ++w.invs;
      continue;
    }
    auto it = mapped.find({d, slot});
    if (it == mapped.end()) {
      if (pool.empty()) continue;
      const uint64_t pa = pool.back();
      pool.pop_back();
      const uint64_t sig = signature(d, slot, ++gen * kMappers + cpu);
      for (unsigned i = 0; i < 8; ++i) os.write64(pa + 8 * i, sig);
      if (dom.map(slot_iova(slot), pa, kPage, driver::IommuProt{}) != driver::PgtableStatus::kOk) {
        ADD_FAILURE() << "map failed";
        pool.push_back(pa);
        continue;
      }
      mapped[{d, slot}] = {sig, pa};
      ++w.maps;
    } else {
      const Domain::UnmapOutcome u = dom.unmap(slot_iova(slot), kPage);
      w.inv_errors += u.inv != SmmuStatus::kOk;
      EXPECT_EQ(u.pgtable.unmapped, kPage);
      w.ended[it->second.sig] = os.now_ns();
      pool.push_back(it->second.pa);
      mapped.erase(it);
      ++w.unmaps;
    }
  }
  for (auto& [key, s] : mapped) {
    w.domains[key.first]->unmap(slot_iova(key.second), kPage);
    w.ended[s.sig] = os.now_ns();
  }
  ++w.workers_done;
}

void attacher(driver::Os& os, test::DriverSoc& soc, World& w, unsigned cpu) {
  std::mt19937_64 rng(w.seed * 104729 + cpu);
  while (!w.ready) os.delay_ns(1000);
  const unsigned port = cpu - kMappers;  // this CPU moves the masters on this port
  while (os.now_ns() < static_cast<uint64_t>(w.end.value() / 1000)) {
    os.delay_ns(rng() % 5000);
    driver::Master& m = *w.masters[(rng() % kSmmus) * kPorts + port];
    const unsigned target = rng() % (kDomains + 1);
    Domain& d = target == kDomains ? soc.iommu().blocked_domain() : *w.domains[target];
    if (soc.iommu().attach(m, d) == SmmuStatus::kOk)
      ++w.attaches;
    else
      ++w.attach_errors;
  }
  ++w.workers_done;
}

struct Outcome {
  World* w = nullptr;
  long arrays_before = 0, arrays_after = 0;
  size_t dma_live_before = 0, dma_live_after = 0;
  bool all_finished = false;
  uint32_t tags_in_use = 99;
};

void run_world(World& w, Outcome& o) {
  test::DriverSocConfig cfg;
  cfg.smmus = kSmmus;
  cfg.cpus = kCpus;
  cfg.plain_masters = kPorts;
  test::DriverSoc soc(cfg);
  DmaRunners runners("dma", soc, w);
  o.w = &w;
  soc.cpu(0).add_program([&](driver::Os& os) {
    ASSERT_TRUE(soc.bring_up(os));
    o.arrays_before = driver::InvArray::live_count();
    driver::Iommu& iommu = soc.iommu();
    for (unsigned s = 0; s < kSmmus; ++s)
      for (unsigned p = 0; p < kPorts; ++p) {
        driver::MasterConfig mc;
        mc.sids = {sid_of(p)};
        w.masters.emplace_back();
        ASSERT_EQ(iommu.probe_master(soc.device(s), mc, w.masters.back()), SmmuStatus::kOk);
      }
    // Level-2 stream tables come with the first master of their range and stay.
    o.dma_live_before = soc.dma().live_allocations();
    for (unsigned d = 0; d < kDomains; ++d) {
      driver::PagingDomainConfig dc;
      dc.stage = d == 2 ? driver::PgtableStage::kS2 : driver::PgtableStage::kS1;
      w.domains.emplace_back();
      ASSERT_EQ(iommu.alloc_paging_domain(dc, w.domains.back()), SmmuStatus::kOk);
    }
    for (unsigned s = 0; s < kSmmus; ++s)
      for (unsigned p = 0; p < kPorts; ++p)
        ASSERT_EQ(iommu.attach(*w.masters[s * kPorts + p], *w.domains[(s + p) % kDomains]),
                  SmmuStatus::kOk);
    w.ready = true;
    mapper(os, w, 0);
    // Tear down once every other CPU has stopped.
    while (w.workers_done < kCpus) os.delay_ns(1000);
    for (auto& m : w.masters) iommu.release_master(m);
    for (auto& d : w.domains) EXPECT_EQ(iommu.free_domain(d), SmmuStatus::kOk);
    os.synchronize_rcu();
    os.delay_ns(10'000);  // the RCU worker runs the deferred frees
    o.dma_live_after = soc.dma().live_allocations();
    o.arrays_after = driver::InvArray::live_count();
    o.tags_in_use = 0;
    for (unsigned s = 0; s < kSmmus; ++s)
      o.tags_in_use += soc.device(s).tags().asids_in_use() + soc.device(s).tags().vmids_in_use();
  });
  for (unsigned c = 1; c < kMappers; ++c)
    soc.cpu(c).add_program([&w, c](driver::Os& os) { mapper(os, w, c); });
  for (unsigned c = kMappers; c < kCpus; ++c)
    soc.cpu(c).add_program([&w, &soc, c](driver::Os& os) { attacher(os, soc, w, c); });
  soc.run(w.end + sc_time(2, sc_core::SC_MS));
  o.all_finished = true;
  for (unsigned c = 0; c < kCpus; ++c) o.all_finished &= soc.cpu(c).finished();
  // When the tear-down did not happen (a failure), what is left refers to the SoC's CPUs:
  // abandon it rather than free it through them.
  for (auto& d : w.domains) (void)d.release();
  for (auto& m : w.masters) (void)m.release();
}

}  // namespace

class DriverConcurrency : public ::testing::TestWithParam<unsigned> {};

TEST_P(DriverConcurrency, NoStaleTranslationNoLeakNoDeadlock) {
  World w(GetParam());
  Outcome o;
  run_world(w, o);
  std::printf("concurrency seed %u: dma ok %llu faults %llu, maps %llu unmaps %llu invs %llu, "
              "attaches %llu\n",
              w.seed, static_cast<unsigned long long>(w.dma_ok),
              static_cast<unsigned long long>(w.dma_faults), static_cast<unsigned long long>(w.maps),
              static_cast<unsigned long long>(w.unmaps), static_cast<unsigned long long>(w.invs),
              static_cast<unsigned long long>(w.attaches));
  EXPECT_TRUE(o.all_finished) << "a CPU did not finish: deadlock";
  EXPECT_EQ(w.stale, 0u) << w.first_stale;
  EXPECT_EQ(w.inv_errors, 0u);
  EXPECT_EQ(w.attach_errors, 0u);
  // Enough of everything that the checks mean something.
  EXPECT_GT(w.dma_ok, 1000u);
  EXPECT_GT(w.dma_faults, 1000u);
  EXPECT_GT(w.unmaps, 300u);
  EXPECT_GT(w.attaches, 300u);
  // Everything given back: arrays after their grace periods, tags, DMA memory.
  EXPECT_EQ(o.arrays_after, o.arrays_before);
  EXPECT_EQ(o.dma_live_after, o.dma_live_before);
  EXPECT_EQ(o.tags_in_use, 0u);
}

INSTANTIATE_TEST_SUITE_P(Seeds, DriverConcurrency, ::testing::Values(1u, 2u, 3u, 4u));

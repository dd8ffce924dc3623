// SPDX-License-Identifier: Apache-2.0
// The driver under concurrency: 4 CPUs map, unmap and invalidate pages of three domains
// while 2 CPUs attach and detach the devices of two SMMUs (3 plain masters and one ATS
// endpoint each) to and from those domains and the blocked domain, and every device runs
// DMA the whole time.
//
// Each mapped page holds a signature naming its (domain, slot, generation); a generation
// ends when the unmap that removed it returned (its invalidation, ATC included, done).
// A DMA that succeeds must read a signature
//  - of the slot it addressed (else a translation of another page),
//  - whose generation had not ended when the DMA started (else a stale TLB/ATC entry or
//    a walk through a freed table: slots are laid out so that unmaps empty and free
//    level-3 tables, whose memory the next maps reuse),
//  - of a domain its master may have been attached to while the DMA ran: from the start
//    of the attach to it until the attach that replaced it returned (else a stale STE,
//    CD, TLB entry of a freed and reused tag, or ATC entry after a domain switch).
// Run again under AddressSanitizer by scripts/test.sh, where a CPU reading a freed
// invalidation array would be a use after free.
#include <gtest/gtest.h>

#include <cstdio>
#include <limits>
#include <map>
#include <memory>
#include <random>
#include <string>
#include <unordered_map>
#include <vector>

#include "support/driver_soc.h"

using namespace smmu;
using driver::Domain;
using driver::SmmuStatus;
using sc_core::sc_time;
using sc_core::SC_NS;

namespace {

constexpr unsigned kSmmus = 2, kPlain = 3, kPorts = kPlain + 1;  // port kPlain: the ATS endpoint
constexpr unsigned kMappers = 4, kCpus = 6, kDomains = 3;
constexpr unsigned kSlotsPerMapper = 16, kPagesPerMapper = 2 * kSlotsPerMapper;
constexpr unsigned kSlots = kMappers * kSlotsPerMapper;
constexpr uint64_t kIovaBase = 0x4000'0000, kPageBase = 0x4000'0000, kPage = 0x1000;
constexpr uint64_t kForever = std::numeric_limits<uint64_t>::max();
constexpr int kBlocked = -1;

uint32_t plain_sid(unsigned port) { return 10 + port; }
// Two slots per 2 MiB region: unmapping both empties the level-3 table, which is freed.
uint64_t slot_iova(unsigned slot) {
  return kIovaBase + uint64_t{slot / 2} * (uint64_t{2} << 20) + (slot % 2) * kPage;
}
uint64_t signature(unsigned domain, unsigned slot, uint64_t gen) {
  return (uint64_t{0xd0 + domain} << 56) | (uint64_t{slot} << 32) | gen;
}
bool sig_valid(uint64_t sig) { return (sig >> 56) >= 0xd0 && (sig >> 56) < 0xd0 + kDomains; }
int sig_domain(uint64_t sig) { return static_cast<int>((sig >> 56) - 0xd0); }
unsigned sig_slot(uint64_t sig) { return static_cast<unsigned>((sig >> 32) & 0xffffff); }
uint64_t ns_of(const sc_time& t) { return static_cast<uint64_t>(t / sc_time(1, SC_NS)); }
uint64_t stamp_ns() { return ns_of(sc_core::sc_time_stamp()); }

// When a master may have been attached to a domain: [first, last] in ns.
struct Span {
  int domain;
  uint64_t first, last;
};

struct World {
  explicit World(unsigned s) : seed(s) {}
  unsigned seed;
  sc_time end{10, sc_core::SC_MS};
  std::vector<std::unique_ptr<Domain>> domains;
  std::vector<std::unique_ptr<driver::Master>> masters;  // smmu * kPorts + port
  std::vector<std::vector<Span>> spans;                  // per master
  bool ready = false;
  unsigned workers_done = 0;
  std::unordered_map<uint64_t, uint64_t> ended;  // signature -> ns its unmap returned
  uint64_t dma_ok = 0, dma_faults = 0, ats_ok = 0, ats_faults = 0;
  uint64_t stale = 0, wrong_domain = 0, maps = 0, unmaps = 0, invs = 0;
  uint64_t attaches = 0, switches = 0, attach_errors = 0, inv_errors = 0;
  std::string first_stale, first_wrong_domain;

  // From the start of an attach of master m to `domain`, both its old and new domain are
  // possible; from its return, only the new one (or, when it failed, only the old one).
  void attach_started(unsigned m, int domain, uint64_t first) {
    spans[m].push_back({domain, first, kForever});
  }
  void attach_returned(unsigned m, bool ok, uint64_t last) {
    std::vector<Span>& s = spans[m];
    if (!ok)
      s.back().last = last;
    else if (s.size() >= 2)
      s[s.size() - 2].last = last;
  }
  bool possibly_attached(unsigned m, int domain, uint64_t from, uint64_t to) const {
    // Newest first; the older spans ended earlier still.
    for (auto s = spans[m].rbegin(); s != spans[m].rend() && s->last >= from; ++s)
      if (s->domain == domain && s->first <= to) return true;
    return false;
  }

  // A DMA through master m at slot, started at `start`, returned at `stop`, read `sig`.
  void check(unsigned m, unsigned slot, uint64_t start, uint64_t stop, uint64_t sig) {
    const auto it = ended.find(sig);
    const bool wrong_page = !sig_valid(sig) || sig_slot(sig) != slot;
    const bool ended_before = !wrong_page && it != ended.end() && it->second <= start;
    if (wrong_page || ended_before) {
      if (!stale++)
        first_stale = describe(m, slot, start, sig) +
                      (wrong_page ? " (another page)" : " (unmapped before the DMA started)");
      return;
    }
    if (!possibly_attached(m, sig_domain(sig), start, stop) && !wrong_domain++)
      first_wrong_domain =
          describe(m, slot, start, sig) + " (a domain the master was not attached to)";
  }
  std::string describe(unsigned m, unsigned slot, uint64_t start, uint64_t sig) const {
    char buf[160];
    std::snprintf(buf, sizeof buf, "smmu %u port %u slot %u at %llu ns read %016llx", m / kPorts,
                  m % kPorts, slot, static_cast<unsigned long long>(start),
                  static_cast<unsigned long long>(sig));
    return buf;
  }
};

// DMA from every master with random gaps, each from its own thread (no local offset: a
// transaction starts at sc_time_stamp()).
class DmaRunners : public sc_core::sc_module {
 public:
  SC_HAS_PROCESS(DmaRunners);
  DmaRunners(const sc_core::sc_module_name& n, test::DriverSoc& soc, World& w)
      : sc_module(n), soc_(soc), w_(w) {
    for (unsigned s = 0; s < kSmmus; ++s)
      for (unsigned p = 0; p < kPorts; ++p) sc_core::sc_spawn([this, s, p] { run(s, p); });
  }

 private:
  void run(unsigned smmu, unsigned port) {
    std::mt19937_64 rng(w_.seed * 977 + smmu * 31 + port);
    const unsigned m = smmu * kPorts + port;
    while (!w_.ready) sc_core::wait(sc_time(1, sc_core::SC_US));
    while (sc_core::sc_time_stamp() < w_.end) {
      sc_core::wait(sc_time(20 + rng() % 200, SC_NS));
      const unsigned slot = rng() % kSlots;
      const uint64_t iova = slot_iova(slot) + 8 * (rng() % 8), start = stamp_ns();
      bool ok = false;
      uint64_t data = 0;
      sc_time latency = sc_core::SC_ZERO_TIME;
      if (port < kPlain) {
        const test::Master::Result r = soc_.dma(smmu, port, plain_sid(port), iova);
        ok = r.ok();
        data = r.data;
        latency = r.latency;
        ++(ok ? w_.dma_ok : w_.dma_faults);
      } else {
        model::DmaAccess a;
        a.address = iova;
        a.size = 8;
        a.data = reinterpret_cast<uint8_t*>(&data);
        ok = soc_.endpoint(smmu, 0).dma_access(a, latency).status == tlm::TLM_OK_RESPONSE;
        ++(ok ? w_.ats_ok : w_.ats_faults);
      }
      if (ok) w_.check(m, slot, start, stamp_ns(), data);
      sc_core::wait(latency);
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
  while (os.now_ns() < ns_of(w.end)) {
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
      pool.push_back(it->second.pa);  // reused only after the unmap returned
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

// Attacher CPU c moves the masters on ports of its parity (of both SMMUs), so that the
// attaches of one master happen in the order they are recorded.
void attacher(driver::Os& os, test::DriverSoc& soc, World& w, unsigned cpu) {
  std::mt19937_64 rng(w.seed * 104729 + cpu);
  while (!w.ready) os.delay_ns(1000);
  while (os.now_ns() < ns_of(w.end)) {
    os.delay_ns(rng() % 5000);
    const unsigned port = 2 * (rng() % (kPorts / 2)) + (cpu - kMappers);
    const unsigned m = (rng() % kSmmus) * kPorts + port;
    const int target = static_cast<int>(rng() % (kDomains + 1)) - 1;
    Domain& d = target == kBlocked ? soc.iommu().blocked_domain() : *w.domains[target];
    const bool moves = w.masters[m]->domain() != &d;
    // From sc_time_stamp() (<= os.now_ns()): the DMA threads see what the CPU writes
    // from there on.
    w.attach_started(m, target, stamp_ns());
    const SmmuStatus st = soc.iommu().attach(*w.masters[m], d);
    w.attach_returned(m, st == SmmuStatus::kOk, os.now_ns());
    if (st != SmmuStatus::kOk) {
      ++w.attach_errors;
      continue;
    }
    ++w.attaches;
    w.switches += moves;
  }
  ++w.workers_done;
}

struct Outcome {
  long arrays_before = 0, arrays_after = 0;
  size_t dma_live_before = 0, dma_live_after = 0;
  bool all_finished = false, ats_off_after_release = false;
  uint32_t tags_in_use = 99;
  uint64_t atc_hits = 0, atc_invalidations = 0;
};

void run_world(World& w, Outcome& o) {
  test::DriverSocConfig cfg;
  cfg.smmus = kSmmus;
  cfg.cpus = kCpus;
  cfg.plain_masters = kPlain;
  cfg.ats_endpoints = 1;
  test::DriverSoc soc(cfg);
  DmaRunners runners("dma", soc, w);
  driver::IommuOptions opts;
  opts.inv_all_then_wait = w.seed % 2 == 0;  // both ways of waiting for several SMMUs
  w.spans.resize(kSmmus * kPorts);
  soc.cpu(0).add_program([&](driver::Os& os) {
    ASSERT_TRUE(soc.bring_up(driver::SyncCompletion::kMsi, opts));
    o.arrays_before = driver::InvArray::live_count();
    driver::Iommu& iommu = soc.iommu();
    for (unsigned s = 0; s < kSmmus; ++s)
      for (unsigned p = 0; p < kPorts; ++p) {
        driver::MasterConfig mc;
        if (p < kPlain) {
          mc.sids = {plain_sid(p)};
        } else {
          mc.sids = {soc.endpoint(s, 0).sid()};
          mc.ats_capable = true;
          mc.set_ats_enable = [&soc, s](bool on) { soc.endpoint(s, 0).set_ats_enabled(on); };
        }
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
    for (unsigned m = 0; m < w.masters.size(); ++m) {
      w.attach_started(m, static_cast<int>(m % kDomains), stamp_ns());
      ASSERT_EQ(iommu.attach(*w.masters[m], *w.domains[m % kDomains]), SmmuStatus::kOk);
      w.attach_returned(m, true, os.now_ns());
    }
    w.ready = true;
    mapper(os, w, 0);
    // Tear down once every other CPU has stopped.
    while (w.workers_done < kCpus) os.delay_ns(1000);
    for (auto& m : w.masters) iommu.release_master(m);
    o.ats_off_after_release = true;
    for (unsigned s = 0; s < kSmmus; ++s)
      o.ats_off_after_release &= !soc.endpoint(s, 0).ats_enabled();
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
  for (unsigned s = 0; s < kSmmus; ++s) {
    o.atc_hits += soc.endpoint(s, 0).stats().atc_hits;
    o.atc_invalidations += soc.endpoint(s, 0).stats().invalidations_received;
  }
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
  auto u = [](uint64_t v) { return static_cast<unsigned long long>(v); };
  std::printf("concurrency seed %u (%s): plain dma ok %llu faults %llu, ats dma ok %llu faults "
              "%llu (atc hits %llu, atc invalidations %llu), maps %llu unmaps %llu invs %llu, "
              "attaches %llu (domain changes %llu)\n",
              w.seed, w.seed % 2 == 0 ? "all-then-wait" : "wait per SMMU", u(w.dma_ok),
              u(w.dma_faults), u(w.ats_ok), u(w.ats_faults), u(o.atc_hits), u(o.atc_invalidations),
              u(w.maps), u(w.unmaps), u(w.invs), u(w.attaches), u(w.switches));
  EXPECT_TRUE(o.all_finished) << "a CPU did not finish: deadlock";
  EXPECT_EQ(w.stale, 0u) << w.first_stale;
  EXPECT_EQ(w.wrong_domain, 0u) << w.first_wrong_domain;
  EXPECT_EQ(w.inv_errors, 0u);
  EXPECT_EQ(w.attach_errors, 0u);
  // Enough of everything that the checks mean something.
  EXPECT_GT(w.dma_ok, 1000u);
  EXPECT_GT(w.dma_faults, 1000u);
  EXPECT_GT(w.ats_ok, 300u);
  EXPECT_GT(w.ats_faults, 300u);
  EXPECT_GT(o.atc_hits, 100u);
  EXPECT_GT(o.atc_invalidations, 100u);
  EXPECT_GT(w.unmaps, 300u);
  EXPECT_GT(w.switches, 300u);
  // Everything given back: arrays after their grace periods, tags, DMA memory, ATS.
  EXPECT_TRUE(o.ats_off_after_release);
  EXPECT_EQ(o.arrays_after, o.arrays_before);
  EXPECT_EQ(o.dma_live_after, o.dma_live_before);
  EXPECT_EQ(o.tags_in_use, 0u);
}

// Odd seeds wait for each SMMU's CMD_SYNC in turn, even ones issue to all SMMUs first.
INSTANTIATE_TEST_SUITE_P(Seeds, DriverConcurrency, ::testing::Values(1u, 2u, 3u, 4u),
                         [](const ::testing::TestParamInfo<unsigned>& i) {
                           return "seed" + std::to_string(i.param);
                         });

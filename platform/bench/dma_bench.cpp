// SPDX-License-Identifier: Apache-2.0
#include "platform/bench/dma_bench.h"

#include <algorithm>
#include <atomic>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include "driver/domain.h"
#include "driver/iommu.h"
#include "driver/master.h"
#include "driver/smmu_device.h"
#include "platform/soc/dma_port.h"
#include "platform/report/latency_summary.h"
#include "platform/cpu/sc_os.h"
#include "platform/cpu/sc_sync.h"
#include "platform/soc/smmu_fabric.h"
#include "platform/bench/bench_memory_map.h"
#include "platform/cpu/system_os.h"
#include "rtl_model/arch/registers.h"
#include "rtl_model/mem/memory.h"
#include "rtl_model/mem/router.h"
#include "rtl_model/smmu/smmu.h"

namespace smmu::platform {

namespace {

using driver::SmmuStatus;
using sc_core::sc_time;
using namespace bench_map;

constexpr uint64_t kBufferBase = 0x2000'0000;  // CPU c's buffers at base + c * kBuffersPerCpu
constexpr unsigned kBuffersPerCpu = 8;         // used in turn
constexpr uint64_t kMaxBuffer = 0x10'0000;     // 1 MiB
constexpr unsigned kMaxCpus = 64;
constexpr unsigned kMaxDevices = 64;
constexpr unsigned kMaxOps = 100'000;
constexpr uint32_t kFirstSid = 0x10;

uint64_t buffer_pa(const DmaBenchParams& p, unsigned cpu, uint64_t op) {
  return kBufferBase + (uint64_t{cpu} * kBuffersPerCpu + op % kBuffersPerCpu) * p.buffer;
}

uint64_t to_ns(const sc_time& t) { return static_cast<uint64_t>(t.to_seconds() * 1e9 + 0.5); }

struct Machine {
  SmmuFabric fabric;
  model::Memory& mem;
  model::Smmu& smmu;
  std::vector<std::unique_ptr<DmaPort>> ports;
  DmaAllocator dma;
  ScSync sync;
  std::vector<std::unique_ptr<Cpu>> cpus;
  std::unique_ptr<SystemOs> os;

  static model::SmmuParams smmu_params(const DmaBenchParams& p) {
    model::SmmuParams s = p.smmu;
    s.features.cmdq_log2_entries = std::max(s.features.cmdq_log2_entries, p.cmdq_log2);
    if (p.queues > 1) s.features.ecmdqs = p.queues;
    return s;
  }
  static ScSyncParams sync_params(const DmaBenchParams& p) {
    ScSyncParams sp;
    sp.line_transfer = p.line_transfer;
    return sp;
  }

  explicit Machine(const DmaBenchParams& p)
      : fabric(memory_params(p.memory_latency), model::RouterParams(), SmmuFabricNames(), kSmmuBase),
        mem(fabric.memory),
        smmu(fabric.add_smmu(smmu_params(p), "smmu")),
        dma(kDmaBase, kDmaSize),
        sync("sync", sync_params(p)) {
    for (unsigned d = 0; d < p.devices; ++d) {
      const std::string name = "dev" + std::to_string(d);
      ports.push_back(std::make_unique<DmaPort>(name.c_str(), kFirstSid + d));
      ports.back()->socket.bind(smmu.upstream);
    }
    std::vector<Cpu*> all;
    for (unsigned c = 0; c < p.cpus; ++c) {
      CpuParams cp = p.cpu;
      cp.id = c;
      const std::string name = "cpu" + std::to_string(c);
      cpus.push_back(std::make_unique<Cpu>(name.c_str(), cp, dma, sync));
      Cpu& cpu = *cpus.back();
      fabric.connect_cpu(cpu);
      all.push_back(&cpu);
    }
    os = std::make_unique<SystemOs>(all);
  }
};

// What one device has on the driver's side.
struct DeviceDriver {
  std::unique_ptr<driver::Domain> domain;
  std::unique_ptr<driver::Master> master;
  std::unique_ptr<driver::DmaApi> api;
};

// Counters at the measurement's start.
struct Snapshot {
  driver::CommandQueueStats q;
  SyncStats sync;
  uint64_t flushes = 0, cache_hits = 0, range_allocs = 0;
};

class Bench {
 public:
  Bench(const DmaBenchParams& p, Machine& m, DmaBenchResult& r) : p_(p), m_(m), r_(r) {
    start_ns_.resize(p.cpus);
    end_ns_.resize(p.cpus);
  }

  void program(unsigned cpu, driver::Os& os) {
    if (cpu == 0) {
      if (!bring_up()) {
        failed_ = true;
      }
      ready_ = true;
    }
    while (!ready_) os.delay_ns(100);
    if (!failed_) run_ops(cpu, os, p_.warmup, 0);
    // Everyone has warmed up; CPU 0 takes the counters, then all start together.
    ++warmed_;
    if (cpu == 0) {
      while (warmed_ < p_.cpus) os.delay_ns(50);
      snapshot();
      go_ = true;
    }
    while (!go_) os.delay_ns(50);
    start_ns_[cpu] = os.now_ns();
    if (!failed_) run_ops(cpu, os, p_.ops, p_.warmup);
    end_ns_[cpu] = os.now_ns();
    if (++finished_ == p_.cpus) finish(os);
  }

  bool finished() const { return finished_ == p_.cpus && done_; }

 private:
  void fail(const std::string& what) {
    if (r_.error.empty()) r_.error = what;
    failed_ = true;
  }

  driver::SmmuDevice& dev() { return *device_; }

  bool bring_up() {
    driver::Os& os = *m_.os;  // shared driver objects hold the machine's Os
    iommu_ = std::make_unique<driver::Iommu>(os, driver::IommuOptions{});
    driver::SmmuDeviceOptions o;
    o.cmdq_design = p_.design;
    o.cas_retry_ns = p_.cas_retry_ns;
    o.cmdq_log2 = p_.cmdq_log2;
    o.sync_timeout_ns = p_.sync_timeout_ns;
    o.ecmdqs = p_.queues > 1 ? p_.queues : 0;
    o.evtq_irq = 0;
    o.gerror_irq = 1;
    o.cmd_sync_irq = 2;
    device_ = std::make_unique<driver::SmmuDevice>(os, kSmmuBase, o, 0);
    SmmuStatus st = device_->probe();
    if (st == SmmuStatus::kOk) st = device_->reset();
    if (st != SmmuStatus::kOk) {
      fail(std::string("SMMU probe/reset: ") + driver::to_string(st));
      return false;
    }
    if (device_->num_ecmdqs() != (p_.queues > 1 ? p_.queues : 0)) {
      fail("the SMMU offers " + std::to_string(device_->num_ecmdqs()) + " ECMDQs, not " +
           std::to_string(p_.queues));
      return false;
    }
    iommu_->add_smmu(*device_);
    for (unsigned d = 0; d < p_.devices; ++d) {
      DeviceDriver dd;
      driver::PagingDomainConfig dc;
      dc.free_empty_tables = false;  // Linux's io-pgtable
      st = iommu_->alloc_paging_domain(dc, dd.domain);
      driver::MasterConfig mc;
      mc.sids = {kFirstSid + d};
      if (st == SmmuStatus::kOk) st = iommu_->probe_master(*device_, mc, dd.master);
      if (st == SmmuStatus::kOk) st = iommu_->attach(*dd.master, *dd.domain);
      if (st != SmmuStatus::kOk) {
        fail("device " + std::to_string(d) + ": " + driver::to_string(st));
        return false;
      }
      driver::DmaApiConfig ac;
      ac.policy = p_.policy;
      ac.iova.cpus = p_.cpus;
      ac.iova.range_op_ns = p_.iova_range_op_ns;
      ac.iova.cache_op_ns = p_.iova_cache_op_ns;
      ac.fq = p_.fq;
      ac.fq.cpus = p_.cpus;
      dd.api = std::make_unique<driver::DmaApi>(os, *dd.domain, ac);
      devices_.push_back(std::move(dd));
    }
    return true;
  }

  // n operations of CPU cpu, numbered from first.
  void run_ops(unsigned cpu, driver::Os& os, unsigned n, uint64_t first) {
    Cpu& c = *m_.cpus[cpu];
    driver::DmaApi& api = *devices_[cpu % p_.devices].api;
    DmaPort& port = *m_.ports[cpu % p_.devices];
    std::vector<uint8_t> data(kPage, static_cast<uint8_t>(cpu));
    for (uint64_t i = first; i < first + n && !failed_; ++i) {
      const uint64_t pa = buffer_pa(p_, cpu, i);
      const uint64_t iova = api.map(pa, p_.buffer);
      if (iova == 0) {
        fail("CPU " + std::to_string(cpu) + ": map failed");
        return;
      }
      // The device writes the buffer, page by page; the CPU waits for it.
      for (uint64_t off = 0; off < p_.buffer; off += kPage) {
        c.sync();
        sc_time delay = sc_core::SC_ZERO_TIME;
        const bool ok = port.access(iova + off, data.data(), kPage, true, delay);
        c.resume_after_wait();
        c.charge(delay);
        if (!ok) {
          fail("CPU " + std::to_string(cpu) + ": DMA to a mapped buffer failed");
          return;
        }
      }
      os.delay_ns(p_.io_ns);
      const SmmuStatus st = api.unmap(iova, p_.buffer);
      if (st != SmmuStatus::kOk) {
        fail("CPU " + std::to_string(cpu) + ": unmap: " + driver::to_string(st));
        return;
      }
    }
  }

  void snapshot() {
    s0_.q = dev().queue_stats();
    s0_.sync = m_.sync.stats();
    for (DeviceDriver& d : devices_) {
      if (d.api->flush_queue()) s0_.flushes += d.api->flush_queue()->stats().flushes.load();
      s0_.cache_hits += d.api->iova().stats().cache_hits.load();
      s0_.range_allocs += d.api->iova().stats().range_allocs.load();
      d.api->clear_latencies();
    }
  }

  // The last CPU: the figures (before the drain's own flush), then tear-down.
  void finish(driver::Os& os) {
    collect();
    for (DeviceDriver& d : devices_) d.api->drain();
    for (DeviceDriver& d : devices_) {
      d.api.reset();
      if (d.master) iommu_->release_master(d.master);
      if (d.domain) iommu_->free_domain(d.domain);
    }
    (void)os;
    done_ = true;
  }

  void collect() {
    r_.ops = failed_ ? 0 : uint64_t{p_.ops} * p_.cpus;
    double sum = 0, lo = 0, hi = 0;
    uint64_t start = UINT64_MAX, end = 0;
    for (unsigned c = 0; c < p_.cpus; ++c) {
      const uint64_t ns = end_ns_[c] - start_ns_[c];
      const double rate = ns ? p_.ops * 1e9 / static_cast<double>(ns) : 0;
      sum += rate;
      lo = c == 0 ? rate : std::min(lo, rate);
      hi = std::max(hi, rate);
      start = std::min(start, start_ns_[c]);
      end = std::max(end, end_ns_[c]);
    }
    r_.rate_per_cpu = sum / p_.cpus;
    r_.rate_min = lo;
    r_.rate_max = hi;
    r_.elapsed_ns = end - start;

    std::vector<uint64_t> lat;
    uint64_t flushes = 0, hits = 0, ranges = 0;
    for (DeviceDriver& d : devices_) {
      const std::vector<uint64_t> l = d.api->inv_latencies();
      lat.insert(lat.end(), l.begin(), l.end());
      if (d.api->flush_queue()) flushes += d.api->flush_queue()->stats().flushes.load();
      hits += d.api->iova().stats().cache_hits.load();
      ranges += d.api->iova().stats().range_allocs.load();
    }
    const LatencySummary ls = summarize_latencies(lat);
    r_.inv_count = ls.count;
    r_.inv_mean_ns = ls.mean;
    r_.inv_p50_ns = ls.p50;
    r_.inv_p90_ns = ls.p90;
    r_.inv_p99_ns = ls.p99;
    r_.inv_max_ns = ls.max;
    r_.flushes = flushes - s0_.flushes;
    r_.iova_cache_hits = hits - s0_.cache_hits;
    r_.iova_range_allocs = ranges - s0_.range_allocs;

    const driver::CommandQueueStats q = dev().queue_stats();
    r_.commands = q.commands - s0_.q.commands;
    r_.syncs = q.syncs - s0_.q.syncs;
    r_.publishes = q.publishes - s0_.q.publishes;
    r_.cas_attempts = q.cas_attempts - s0_.q.cas_attempts;
    r_.cas_failures = q.cas_failures - s0_.q.cas_failures;
    r_.reservations = q.reservations - s0_.q.reservations;
    r_.owner_gathers = q.owner_gathers - s0_.q.owner_gathers;
    r_.full_waits = q.full_waits - s0_.q.full_waits;
    const SyncStats& s = m_.sync.stats();
    r_.line_transfers = s.line_transfers - s0_.sync.line_transfers;
    r_.line_wait_ns = to_ns(s.line_wait - s0_.sync.line_wait);
    r_.spin_contended = s.spin_contended - s0_.sync.spin_contended;
  }

  const DmaBenchParams& p_;
  Machine& m_;
  DmaBenchResult& r_;
  std::unique_ptr<driver::Iommu> iommu_;
  std::unique_ptr<driver::SmmuDevice> device_;
  std::vector<DeviceDriver> devices_;
  std::vector<uint64_t> start_ns_, end_ns_;
  Snapshot s0_;
  std::atomic<bool> ready_{false}, go_{false}, failed_{false};
  std::atomic<unsigned> warmed_{0}, finished_{0};
  bool done_ = false;
};

}  // namespace

void validate_dma_bench(const DmaBenchParams& p) {
  auto bad = [](const std::string& key, const std::string& why) {
    throw std::invalid_argument(key + ": " + why);
  };
  if (p.cpus < 1 || p.cpus > kMaxCpus) bad("cpus", "1.." + std::to_string(kMaxCpus));
  if (p.devices < 1 || p.devices > kMaxDevices) bad("devices", "1.." + std::to_string(kMaxDevices));
  if (p.queues < 1 || p.queues > kMaxCpus || (p.queues & (p.queues - 1)))
    bad("queues", "1 or a power of two up to " + std::to_string(kMaxCpus) + " (ECMDQs)");
  if (p.buffer < kPage || p.buffer > kMaxBuffer || p.buffer % kPage)
    bad("buffer", "a multiple of 4 KiB up to 1 MiB");
  if (p.ops < 1 || p.ops > kMaxOps) bad("ops", "1.." + std::to_string(kMaxOps));
  if (p.warmup > kMaxOps) bad("warmup", "at most " + std::to_string(kMaxOps));
  if (p.cmdq_log2 < 2 || p.cmdq_log2 > 19) bad("cmdq_log2", "2..19");
  if (kBufferBase + uint64_t{kMaxCpus} * kBuffersPerCpu * kMaxBuffer > kMemSize)
    bad("buffer", "the buffers do not fit in memory");
}

DmaBenchResult measure_dma_bench(const DmaBenchParams& p) {
  validate_dma_bench(p);
  if (sc_core::sc_get_status() != sc_core::SC_ELABORATION)
    throw std::logic_error("measure_dma_bench: SystemC has already started (one measurement per process)");
  DmaBenchResult r;
  r.cpus = p.cpus;
  r.devices = p.devices;
  r.queues = p.queues;
  r.design = driver::to_string(p.design);
  r.policy = driver::to_string(p.policy);
  r.buffer = p.buffer;
  Machine machine(p);
  Bench bench(p, machine, r);  // the driver's objects: gone before the machine
  for (unsigned c = 0; c < p.cpus; ++c)
    machine.cpus[c]->add_program([c, &bench](driver::Os& os) { bench.program(c, os); });
  sc_core::sc_start(p.limit);
  if (r.error.empty() && !bench.finished())
    r.error = "the CPUs did not finish within " + p.limit.to_string() + " of simulated time";
  return r;
}

nlohmann::json to_json(const DmaBenchResult& r) {
  return nlohmann::json{{"cpus", r.cpus},
                        {"devices", r.devices},
                        {"queues", r.queues},
                        {"design", r.design},
                        {"policy", r.policy},
                        {"buffer", r.buffer},
                        {"ops", r.ops},
                        {"rate_per_cpu", r.rate_per_cpu},
                        {"rate_min", r.rate_min},
                        {"rate_max", r.rate_max},
                        {"elapsed_ns", r.elapsed_ns},
                        {"inv_count", r.inv_count},
                        {"inv_mean_ns", r.inv_mean_ns},
                        {"inv_p50_ns", r.inv_p50_ns},
                        {"inv_p90_ns", r.inv_p90_ns},
                        {"inv_p99_ns", r.inv_p99_ns},
                        {"inv_max_ns", r.inv_max_ns},
                        {"commands", r.commands},
                        {"syncs", r.syncs},
                        {"publishes", r.publishes},
                        {"cas_attempts", r.cas_attempts},
                        {"cas_failures", r.cas_failures},
                        {"reservations", r.reservations},
                        {"owner_gathers", r.owner_gathers},
                        {"full_waits", r.full_waits},
                        {"line_transfers", r.line_transfers},
                        {"line_wait_ns", r.line_wait_ns},
                        {"spin_contended", r.spin_contended},
                        {"flushes", r.flushes},
                        {"iova_cache_hits", r.iova_cache_hits},
                        {"iova_range_allocs", r.iova_range_allocs},
                        {"error", r.error}};
}

DmaBenchResult dma_bench_result_from_json(const nlohmann::json& j) {
  DmaBenchResult r;
  try {
    r.cpus = j.at("cpus").get<unsigned>();
    r.devices = j.at("devices").get<unsigned>();
    r.queues = j.at("queues").get<unsigned>();
    r.design = j.at("design").get<std::string>();
    r.policy = j.at("policy").get<std::string>();
    r.buffer = j.at("buffer").get<uint64_t>();
    r.ops = j.at("ops").get<uint64_t>();
    r.rate_per_cpu = j.at("rate_per_cpu").get<double>();
    r.rate_min = j.at("rate_min").get<double>();
    r.rate_max = j.at("rate_max").get<double>();
    r.elapsed_ns = j.at("elapsed_ns").get<uint64_t>();
    r.inv_count = j.at("inv_count").get<uint64_t>();
    r.inv_mean_ns = j.at("inv_mean_ns").get<double>();
    r.inv_p50_ns = j.at("inv_p50_ns").get<uint64_t>();
    r.inv_p90_ns = j.at("inv_p90_ns").get<uint64_t>();
    r.inv_p99_ns = j.at("inv_p99_ns").get<uint64_t>();
    r.inv_max_ns = j.at("inv_max_ns").get<uint64_t>();
    r.commands = j.at("commands").get<uint64_t>();
    r.syncs = j.at("syncs").get<uint64_t>();
    r.publishes = j.at("publishes").get<uint64_t>();
    r.cas_attempts = j.at("cas_attempts").get<uint64_t>();
    r.cas_failures = j.at("cas_failures").get<uint64_t>();
    r.reservations = j.at("reservations").get<uint64_t>();
    r.owner_gathers = j.at("owner_gathers").get<uint64_t>();
    r.full_waits = j.at("full_waits").get<uint64_t>();
    r.line_transfers = j.at("line_transfers").get<uint64_t>();
    r.line_wait_ns = j.at("line_wait_ns").get<uint64_t>();
    r.spin_contended = j.at("spin_contended").get<uint64_t>();
    r.flushes = j.at("flushes").get<uint64_t>();
    r.iova_cache_hits = j.at("iova_cache_hits").get<uint64_t>();
    r.iova_range_allocs = j.at("iova_range_allocs").get<uint64_t>();
    r.error = j.at("error").get<std::string>();
  } catch (const nlohmann::json::exception& e) {
    throw std::invalid_argument(std::string("dma bench result: ") + e.what());
  }
  return r;
}

}  // namespace smmu::platform

// SPDX-License-Identifier: Apache-2.0
#include "platform/bench/inv_scaling.h"

#include <algorithm>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include <tlm>

#include "driver/domain.h"
#include "driver/iommu.h"
#include "driver/master.h"
#include "driver/smmu_device.h"
#include "platform/soc/dma_port.h"
#include "platform/cpu/sc_os.h"
#include "platform/cpu/sc_sync.h"
#include "platform/soc/smmu_fabric.h"
#include "platform/bench/bench_memory_map.h"
#include "platform/cpu/system_os.h"
#include "rtl_model/arch/command.h"
#include "rtl_model/arch/registers.h"
#include "rtl_model/pcie/ats_endpoint.h"
#include "rtl_model/smmu/smmu.h"

namespace smmu::platform {

namespace {

using driver::SmmuStatus;
using sc_core::sc_time;
using namespace bench_map;

constexpr uint64_t kPa = 0x2000'0000;    // the mapped pages' output addresses
constexpr uint64_t kIova = 0x4000'0000;  // the domain's first mapped IOVA (an IPA: stage 2)
constexpr uint64_t kMaxMapped = kMemSize - kPa;
constexpr uint32_t kSid = 5;
constexpr unsigned kMaxSmmus = 64;
constexpr unsigned kMaxTbus = 64;  // per SMMU

// The value the warm-up expects to read from the page at offset off.
uint64_t pattern(uint64_t off) { return 0x5eed'0000'0000'0000 | off; }

// The SoC (see the header). Modules are named at the top level: one per process.
struct Machine {
  SmmuFabric fabric;
  model::Memory& mem;
  std::vector<std::unique_ptr<model::Smmu>>& smmus;
  std::vector<std::unique_ptr<DmaPort>> ports;                // plain devices
  std::vector<std::unique_ptr<model::AtsEndpoint>> endpoints;  // ATS devices
  DmaAllocator dma;
  ScSync sync;
  Cpu cpu;
  SystemOs os;

  static CpuParams cpu_params(const InvScalingParams& p) {
    CpuParams c = p.cpu;
    c.id = 0;
    return c;
  }
  // p.tbus TBUs, TBU j serving port j (none: the SMMU's default layout).
  static model::SmmuParams smmu_params(const InvScalingParams& p) {
    model::SmmuParams s = p.smmu;
    if (p.tbus == 0) return s;
    s.tbus.clear();
    for (unsigned j = 0; j < p.tbus; ++j) {
      model::TbuLayout t;
      t.ports = {j};
      t.dti_latency = p.dti_latency;
      t.micro_tlb = s.micro_tlb;
      s.tbus.push_back(t);
    }
    return s;
  }

  Machine(unsigned n, const InvScalingParams& p)
      : fabric(memory_params(p.memory_latency), model::RouterParams(), SmmuFabricNames(), kSmmuBase),
        mem(fabric.memory),
        smmus(fabric.smmus),
        dma(kDmaBase, kDmaSize),
        sync("sync"),
        cpu("cpu0", cpu_params(p), dma, sync),
        os({&cpu}) {
    for (unsigned i = 0; i < n; ++i) {
      const std::string name = "smmu" + std::to_string(i);
      model::Smmu& s = fabric.add_smmu(smmu_params(p));
      if (p.ats) {
        model::AtsEndpointParams ep;
        ep.sid = kSid;
        ep.pcie_round_trip = p.pcie_round_trip;
        ep.ats_enabled = false;  // the driver enables it at attach
        endpoints.push_back(std::make_unique<model::AtsEndpoint>((name + "_ats").c_str(), ep));
        model::AtsEndpoint& e = *endpoints.back();
        e.dma.bind(s.upstream);
        e.ats.bind(s.ats);
        s.ats_inv.bind(e.inv);
      } else {
        // Device j on TBU j (port j); the default layout's one on its one TBU.
        for (unsigned j = 0; j < s.tbu_count(); ++j) {
          const std::string dev = name + "_dev" + (j ? std::to_string(j) : "");
          ports.push_back(std::make_unique<DmaPort>(dev.c_str(), kSid));
          ports.back()->socket.bind(s.tbu(j).upstream);
        }
      }
    }
    fabric.connect_cpu(cpu);
  }

  unsigned tbus_per_smmu() const { return smmus.front()->tbu_count(); }

  // One 8-byte read of iova by SMMU i's device (on TBU j); true when it succeeded.
  bool dma_read(unsigned i, uint64_t iova, uint64_t* data, unsigned j = 0) {
    if (ports.empty()) {
      uint64_t buf = 0;
      model::DmaAccess a;
      a.address = iova;
      a.size = 8;
      a.data = reinterpret_cast<uint8_t*>(&buf);
      sc_time delay = sc_core::SC_ZERO_TIME;
      const model::DmaOutcome out = endpoints.at(i)->dma_access(a, delay);
      if (data) *data = buf;
      return out.status == tlm::TLM_OK_RESPONSE;
    }
    return ports.at(i * tbus_per_smmu() + j)->read(iova, data);
  }
  bool atc_holds(unsigned i, uint64_t iova) const {
    return endpoints.at(i)->translate_cached(0, false, iova, false).has_value();
  }
};

// The driver's objects; they outlive the simulation (the SMMUs keep using the driver's
// memory), and go in this order: masters, domain, Iommu, devices.
struct Driver {
  std::vector<std::unique_ptr<driver::SmmuDevice>> devices;
  std::unique_ptr<driver::Iommu> iommu;
  std::unique_ptr<driver::Domain> domain;
  std::vector<std::unique_ptr<driver::Master>> masters;
};

// The SMMUs' and the driver's counters at one instant.
struct Snapshot {
  uint64_t syncs = 0, tlbis = 0, atc_invs = 0, commands = 0;
  sc_time sync_latency;
  uint64_t batches = 0, publishes = 0, sync_polls = 0;

  static Snapshot take(Machine& m, Driver& d) {
    Snapshot s;
    for (auto& smmu : m.smmus) {
      const model::CommandStats& c = smmu->command_stats();
      s.syncs += c.syncs;
      s.commands += c.executed;
      s.atc_invs += c.by_opcode[static_cast<uint8_t>(arch::Opcode::kAtcInv)];
      for (unsigned op = static_cast<unsigned>(arch::Opcode::kTlbiNhAll);
           op <= static_cast<unsigned>(arch::Opcode::kTlbiNsnhAll); ++op)
        if (arch::opcode_known(static_cast<uint8_t>(op))) s.tlbis += c.by_opcode[op];
      s.sync_latency += c.sync_latency_total;
    }
    for (auto& dev : d.devices) {
      const driver::CommandQueueStats q = dev->queue_stats();
      s.publishes += q.publishes;
      s.sync_polls += q.sync_polls;
    }
    s.batches = d.domain->inv_stats().batches.load();
    return s;
  }
};

// The figures are in ps whatever SystemC's time resolution is.
uint64_t to_ps(const sc_time& t) { return static_cast<uint64_t>(t.to_seconds() * 1e12 + 0.5); }

class Run {
 public:
  Run(unsigned n, bool all_then_wait, const InvScalingParams& p, Machine& m, Driver& d,
      InvScalingResult& r)
      : n_(n), all_then_wait_(all_then_wait), p_(p), m_(m), d_(d), r_(r) {}

  // CPU 0's program.
  void operator()(driver::Os& cpu_os) {
    if (!bring_up() || !set_up_domain() || !warm()) return;
    measure(cpu_os);
    verify();
    tear_down();
  }

 private:
  bool fail(const std::string& what) {
    if (r_.error.empty()) r_.error = what;
    return false;
  }

  bool bring_up() {
    driver::Os& os = m_.os;  // shared driver objects hold the machine's Os
    driver::IommuOptions io;
    io.inv_all_then_wait = all_then_wait_;
    d_.iommu = std::make_unique<driver::Iommu>(os, io);
    for (unsigned i = 0; i < n_; ++i) {
      driver::SmmuDeviceOptions o;
      o.completion = p_.completion;
      o.poll_ns = p_.poll_ns;
      o.evtq_irq = 3 * i;
      o.gerror_irq = 3 * i + 1;
      o.cmd_sync_irq = 3 * i + 2;
      d_.devices.push_back(std::make_unique<driver::SmmuDevice>(
          os, kSmmuBase + i * arch::reg::kWindowSize, o, i));
      driver::SmmuDevice& dev = *d_.devices.back();
      SmmuStatus st = dev.probe();
      if (st == SmmuStatus::kOk) st = dev.reset();
      if (st != SmmuStatus::kOk)
        return fail("SMMU " + std::to_string(i) + " probe/reset: " + driver::to_string(st));
      d_.iommu->add_smmu(dev);
    }
    return true;
  }

  bool set_up_domain() {
    driver::PagingDomainConfig dc;
    dc.stage = driver::PgtableStage::kS2;
    SmmuStatus st = d_.iommu->alloc_paging_domain(dc, d_.domain);
    if (st != SmmuStatus::kOk) return fail(std::string("alloc_paging_domain: ") + driver::to_string(st));
    // Page by page: one map() of an aligned 2 MiB would make a block, and the range
    // would then not be 4 KiB leaves as the invalidation says.
    for (uint64_t off = 0; off < p_.mapped; off += kPage) {
      const driver::PgtableStatus ps =
          d_.domain->map(kIova + off, kPa + off, kPage, driver::IommuProt{});
      if (ps != driver::PgtableStatus::kOk) return fail(std::string("map: ") + driver::to_string(ps));
    }
    for (unsigned i = 0; i < n_; ++i) {
      driver::MasterConfig mc;
      mc.sids = {kSid};
      mc.ats_capable = p_.ats;
      if (p_.ats) {
        model::AtsEndpoint* e = m_.endpoints.at(i).get();
        mc.set_ats_enable = [e](bool on) { e->set_ats_enabled(on); };
      }
      d_.masters.emplace_back();
      st = d_.iommu->probe_master(*d_.devices[i], mc, d_.masters.back());
      if (st == SmmuStatus::kOk) st = d_.iommu->attach(*d_.masters.back(), *d_.domain);
      if (st != SmmuStatus::kOk)
        return fail("master on SMMU " + std::to_string(i) + ": " + driver::to_string(st));
    }
    return true;
  }

  // Every mapped page on every SMMU, from the last page down, so that the range and the
  // page after it are the most recently used entries of every cache (the ATC is small).
  // With several TBUs, through each of them.
  bool warm() {
    for (unsigned i = 0; i < n_; ++i)
      for (unsigned j = 0; j < m_.tbus_per_smmu(); ++j)
        for (uint64_t off = p_.mapped; off > 0;) {
          off -= kPage;
          uint64_t data = 0;
          if (!m_.dma_read(i, kIova + off, &data, j) || data != pattern(off))
            return fail("warm-up DMA on SMMU " + std::to_string(i) + " TBU " + std::to_string(j) +
                        " at page offset " + std::to_string(off) + " did not read the mapped page");
        }
    return true;
  }

  void measure(driver::Os& cpu_os) {
    cpu_os.delay_ns(p_.settle_ns);
    const Snapshot s0 = Snapshot::take(m_, d_);
    const uint64_t t0 = cpu_os.now_ns();
    SmmuStatus st;
    if (p_.unmap) {
      const driver::Domain::UnmapOutcome out = d_.domain->unmap(kIova, p_.range);
      st = out.inv;
      if (out.pgtable.status != driver::PgtableStatus::kOk || out.pgtable.unmapped != p_.range)
        fail(std::string("unmap: ") + driver::to_string(out.pgtable.status) + ", " +
             std::to_string(out.pgtable.unmapped) + " bytes unmapped");
    } else {
      st = d_.domain->inv_range(kIova, p_.range, kPage, true);
    }
    const uint64_t t1 = cpu_os.now_ns();
    // Every CMD_SYNC of the call has completed (the CPU saw it), so the models' counters
    // include everything the call made them do, and nothing after it.
    const Snapshot s1 = Snapshot::take(m_, d_);
    r_.sim_ns = t1 - t0;
    r_.status = driver::to_string(st);
    r_.cmd_syncs = s1.syncs - s0.syncs;
    r_.tlbi_commands = s1.tlbis - s0.tlbis;
    r_.atc_inv_commands = s1.atc_invs - s0.atc_invs;
    r_.commands = s1.commands - s0.commands;
    r_.sync_latency_ps = to_ps(s1.sync_latency - s0.sync_latency);
    r_.batches = s1.batches - s0.batches;
    r_.publishes = s1.publishes - s0.publishes;
    r_.sync_polls = s1.sync_polls - s0.sync_polls;
  }

  bool verify_smmu(unsigned i) {
    const uint64_t last = kIova + p_.range - kPage;
    const bool has_next = p_.range < p_.mapped;
    const uint64_t next = kIova + p_.range;
    model::Smmu& smmu = *m_.smmus[i];
    if (p_.unmap) {
      for (unsigned j = 0; j < m_.tbus_per_smmu(); ++j) {
        if (m_.dma_read(i, kIova, nullptr, j) || m_.dma_read(i, last, nullptr, j)) return false;
        if (has_next && !m_.dma_read(i, next, nullptr, j)) return false;
      }
      return true;
    }
    if (p_.ats) {
      if (m_.atc_holds(i, kIova) || m_.atc_holds(i, last)) return false;
      // ATC_INV covers an aligned power-of-two span: exact only for such a range.
      const bool exact = (p_.range & (p_.range - 1)) == 0;
      return !has_next || !exact || m_.atc_holds(i, next);
    }
    for (uint64_t iova : {kIova, last}) {
      const uint64_t walks0 = smmu.stats().walks;
      uint64_t data = 0;
      if (!m_.dma_read(i, iova, &data) || data != pattern(iova - kIova)) return false;
      if (smmu.stats().walks == walks0) return false;  // a TLB still held it
    }
    if (has_next) {
      const uint64_t walks0 = smmu.stats().walks;
      if (!m_.dma_read(i, next, nullptr) || smmu.stats().walks != walks0) return false;
    }
    for (unsigned j = 1; j < m_.tbus_per_smmu(); ++j)
      if (!verify_tbu(i, j)) return false;
    return true;
  }

  // TBU j >= 1 after inv_range (the TCU's TLB holds the range again since TBU 0's
  // checks): its micro TLB misses the range's first and last pages, the DMA reads them,
  // and it still hits the page after the range.
  bool verify_tbu(unsigned i, unsigned j) {
    const model::Tbu& tbu = m_.smmus[i]->tbu(j);
    const uint64_t last = kIova + p_.range - kPage;
    for (uint64_t iova : {kIova, last}) {
      const uint64_t misses0 = tbu.stats().micro_tlb_misses;
      uint64_t data = 0;
      if (!m_.dma_read(i, iova, &data, j) || data != pattern(iova - kIova)) return false;
      if (tbu.stats().micro_tlb_misses == misses0) return false;  // the TBU still held it
    }
    if (p_.range >= p_.mapped) return true;
    const uint64_t hits0 = tbu.stats().micro_tlb_hits;
    return m_.dma_read(i, kIova + p_.range, nullptr, j) && tbu.stats().micro_tlb_hits == hits0 + 1;
  }

  void verify() {
    for (unsigned i = 0; i < n_; ++i)
      if (verify_smmu(i)) ++r_.smmus_verified;
  }

  // Leaves the SMMUs as a driver unloading would: masters released, domain freed.
  void tear_down() {
    for (auto& master : d_.masters) d_.iommu->release_master(master);
    d_.iommu->free_domain(d_.domain);
  }

  unsigned n_;
  bool all_then_wait_;
  const InvScalingParams& p_;
  Machine& m_;
  Driver& d_;
  InvScalingResult& r_;
};

template <typename T>
T get(const nlohmann::json& j, const char* key) {
  if (!j.is_object() || !j.contains(key))
    throw std::invalid_argument(std::string("inv_scaling result: missing '") + key + "'");
  try {
    return j.at(key).get<T>();
  } catch (const nlohmann::json::exception&) {
    throw std::invalid_argument(std::string("inv_scaling result: '") + key + "' has the wrong type");
  }
}

}  // namespace

void validate_inv_scaling(unsigned smmus, const InvScalingParams& p) {
  auto bad = [](const std::string& what) { throw std::invalid_argument("inv_scaling: " + what); };
  if (smmus == 0 || smmus > kMaxSmmus)
    bad("'smmus' (" + std::to_string(smmus) + ") must be 1.." + std::to_string(kMaxSmmus));
  if (p.mapped == 0 || p.mapped % kPage != 0 || p.mapped > kMaxMapped)
    bad("'mapped' (" + std::to_string(p.mapped) + ") must be a positive multiple of 4096, at most " +
        std::to_string(kMaxMapped));
  if (p.range == 0 || p.range % kPage != 0 || p.range > p.mapped)
    bad("'range' (" + std::to_string(p.range) + ") must be a positive multiple of 4096, at most " +
        "'mapped' (" + std::to_string(p.mapped) + ")");
  if (p.poll_ns == 0) bad("'poll_ns' must be positive");
  if (p.limit == sc_core::SC_ZERO_TIME) bad("'limit' must be positive");
  if (p.tbus > kMaxTbus) bad("'tbus' (" + std::to_string(p.tbus) + ") must be 0.." + std::to_string(kMaxTbus));
  if (p.tbus > 1 && p.ats)
    bad("'tbus' (" + std::to_string(p.tbus) + ") with 'ats': the ATS endpoint is one device, on one TBU");
  if (p.dti_latency > sc_time(1, sc_core::SC_MS)) bad("'dti_latency' must be at most 1 ms");
}

InvScalingResult measure_inv_scaling(unsigned smmus, bool all_then_wait, const InvScalingParams& p) {
  validate_inv_scaling(smmus, p);
  if (sc_core::sc_get_status() != sc_core::SC_ELABORATION)
    throw std::logic_error("measure_inv_scaling: SystemC has already started (one measurement per process)");
  InvScalingResult r;
  r.smmus = smmus;
  r.tbus = std::max(1u, p.tbus);
  r.dti_latency_ps = to_ps(p.tbus ? p.dti_latency : p.smmu.timing.cycles(p.smmu.timing.link_cycles));
  r.all_then_wait = all_then_wait;
  r.unmap = p.unmap;
  r.ats = p.ats;
  r.range = p.range;

  Machine m(smmus, p);
  for (uint64_t off = 0; off < p.mapped; off += kPage) m.mem.write64(kPa + off, pattern(off));
  Driver d;
  m.cpu.add_program(Run(smmus, all_then_wait, p, m, d, r));
  sc_core::sc_start(p.limit);
  if (!m.cpu.finished() && r.error.empty())
    r.error = "CPU 0 did not finish within " + p.limit.to_string() + " of simulated time";
  return r;
}

nlohmann::json to_json(const InvScalingResult& r) {
  return nlohmann::json{{"smmus", r.smmus},
                        {"tbus", r.tbus},
                        {"dti_latency_ps", r.dti_latency_ps},
                        {"mode", r.all_then_wait ? "all_then_wait" : "per_smmu_wait"},
                        {"operation", r.unmap ? "unmap" : "inv_range"},
                        {"ats", r.ats},
                        {"range", r.range},
                        {"sim_ns", r.sim_ns},
                        {"status", r.status},
                        {"cmd_syncs", r.cmd_syncs},
                        {"tlbi_commands", r.tlbi_commands},
                        {"atc_inv_commands", r.atc_inv_commands},
                        {"commands", r.commands},
                        {"sync_latency_ps", r.sync_latency_ps},
                        {"batches", r.batches},
                        {"publishes", r.publishes},
                        {"sync_polls", r.sync_polls},
                        {"smmus_verified", r.smmus_verified},
                        {"error", r.error}};
}

InvScalingResult inv_scaling_result_from_json(const nlohmann::json& j) {
  InvScalingResult r;
  r.smmus = get<unsigned>(j, "smmus");
  r.tbus = get<unsigned>(j, "tbus");
  r.dti_latency_ps = get<uint64_t>(j, "dti_latency_ps");
  const std::string mode = get<std::string>(j, "mode");
  if (mode != "all_then_wait" && mode != "per_smmu_wait")
    throw std::invalid_argument("inv_scaling result: 'mode' (" + mode + ") is unknown");
  r.all_then_wait = mode == "all_then_wait";
  const std::string op = get<std::string>(j, "operation");
  if (op != "unmap" && op != "inv_range")
    throw std::invalid_argument("inv_scaling result: 'operation' (" + op + ") is unknown");
  r.unmap = op == "unmap";
  r.ats = get<bool>(j, "ats");
  r.range = get<uint64_t>(j, "range");
  r.sim_ns = get<uint64_t>(j, "sim_ns");
  r.status = get<std::string>(j, "status");
  r.cmd_syncs = get<uint64_t>(j, "cmd_syncs");
  r.tlbi_commands = get<uint64_t>(j, "tlbi_commands");
  r.atc_inv_commands = get<uint64_t>(j, "atc_inv_commands");
  r.commands = get<uint64_t>(j, "commands");
  r.sync_latency_ps = get<uint64_t>(j, "sync_latency_ps");
  r.batches = get<uint64_t>(j, "batches");
  r.publishes = get<uint64_t>(j, "publishes");
  r.sync_polls = get<uint64_t>(j, "sync_polls");
  r.smmus_verified = get<unsigned>(j, "smmus_verified");
  r.error = get<std::string>(j, "error");
  return r;
}

}  // namespace smmu::platform

// SPDX-License-Identifier: Apache-2.0
#include "support/driver_soc.h"


#include <stdexcept>
#include <string>

namespace smmu::test {

namespace r = arch::reg;
using sc_core::sc_time;

namespace {

const DriverSocConfig& checked(const DriverSocConfig& cfg) {
  auto bad = [](const std::string& what) { throw std::invalid_argument("DriverSocConfig: " + what); };
  if (cfg.cpus == 0) bad("'cpus' (0) must be at least 1");
  if (cfg.smmus == 0) bad("'smmus' (0) must be at least 1");
  if (cfg.dma_size == 0 || cfg.dma_base >= cfg.mem_size || cfg.dma_size > cfg.mem_size - cfg.dma_base)
    bad("'dma_base'/'dma_size' [" + std::to_string(cfg.dma_base) + ", +" + std::to_string(cfg.dma_size) +
        ") must lie inside DRAM 'mem_size' (" + std::to_string(cfg.mem_size) + ")");
  if (!cfg.endpoint.traffic.empty()) bad("'endpoint.traffic' must be empty (tests call ats_dma)");
  for (const auto& [key, sid] : cfg.endpoint_sids)
    if (key.first >= cfg.smmus || key.second >= cfg.ats_endpoints)
      bad("'endpoint_sids' names endpoint " + std::to_string(key.second) + " of SMMU " +
          std::to_string(key.first) + " (sid " + std::to_string(sid) + "), which does not exist");
  return cfg;
}

}  // namespace

DriverSoc::DriverSoc(const DriverSocConfig& cfg)
    : cfg_(checked(cfg)), dma_(cfg.dma_base, cfg.dma_size) {
  model::MemoryParams mp;
  mp.size = cfg.mem_size;
  fabric_ = std::make_unique<platform::SmmuFabric>(mp, model::RouterParams(),
                                                   platform::SmmuFabricNames(), kDriverSmmuBase);
  sync_ = std::make_unique<platform::ScSync>("sync");
  masters_.resize(cfg.smmus);
  endpoints_.resize(cfg.smmus);
  for (unsigned i = 0; i < cfg.smmus; ++i) {
    const std::string n = "smmu" + std::to_string(i);
    model::Smmu& s = fabric_->add_smmu(cfg.smmu);
    for (unsigned p = 0; p < cfg.plain_masters; ++p) {
      const std::string mn = n + "_dev" + std::to_string(p);
      masters_[i].push_back(std::make_unique<Master>(mn.c_str()));
      masters_[i].back()->socket.bind(s.upstream);
    }
    for (unsigned e = 0; e < cfg.ats_endpoints; ++e) {
      model::AtsEndpointParams ep = cfg.endpoint;
      const auto sid = cfg.endpoint_sids.find({i, e});
      ep.sid = sid == cfg.endpoint_sids.end() ? endpoint_sid(i, e) : sid->second;
      ep.pcie_round_trip = cfg.pcie_round_trip;
      ep.ats_enabled = false;  // the driver enables it at attach
      const std::string en = n + "_ats" + std::to_string(e);
      endpoints_[i].push_back(std::make_unique<model::AtsEndpoint>(en.c_str(), ep));
      model::AtsEndpoint& a = *endpoints_[i].back();
      a.dma.bind(s.upstream);
      a.ats.bind(s.ats);
      s.ats_inv.bind(a.inv);
    }
  }
  for (unsigned c = 0; c < cfg.cpus; ++c) {
    platform::CpuParams cp = cfg.cpu;
    cp.id = c;
    const std::string n = "cpu" + std::to_string(c);
    cpus_.push_back(std::make_unique<platform::Cpu>(n.c_str(), cp, dma_, *sync_));
    platform::Cpu& cpu = *cpus_.back();
    fabric_->connect_cpu(cpu);
  }
  std::vector<platform::Cpu*> cpus;
  for (auto& c : cpus_) cpus.push_back(c.get());
  system_os_ = std::make_unique<platform::SystemOs>(cpus);
}

DriverSoc::~DriverSoc() = default;

driver::SmmuDeviceOptions DriverSoc::device_options(unsigned smmu, driver::SyncCompletion c) const {
  driver::SmmuDeviceOptions o = cfg_.device;
  o.completion = c;
  o.evtq_irq = 3 * smmu;
  o.gerror_irq = 3 * smmu + 1;
  o.cmd_sync_irq = 3 * smmu + 2;
  return o;
}

bool DriverSoc::bring_up(driver::SyncCompletion c, const driver::IommuOptions& opts) {
  driver::Os& os = *system_os_;
  iommu_ = std::make_unique<driver::Iommu>(os, opts);
  for (unsigned i = 0; i < cfg_.smmus; ++i) {
    devices_.push_back(std::make_unique<driver::SmmuDevice>(
        os, kDriverSmmuBase + i * r::kWindowSize, device_options(i, c), i));
    driver::SmmuDevice& d = *devices_.back();
    if (d.probe() != driver::SmmuStatus::kOk || d.reset() != driver::SmmuStatus::kOk) return false;
    iommu_->add_smmu(d);
  }
  return true;
}

Master::Result DriverSoc::dma(unsigned smmu, unsigned port, uint32_t sid, uint64_t iova, bool write,
                              uint64_t wdata) {
  model::StreamExtension ext(sid);
  return master(smmu, port).access(iova, 8, write, wdata, &ext);
}

Master::Result DriverSoc::pasid_dma(unsigned smmu, unsigned port, uint32_t sid, uint32_t ssid,
                                    uint64_t iova, bool write, uint64_t wdata) {
  model::StreamExtension ext(sid, ssid, true);
  return master(smmu, port).access(iova, 8, write, wdata, &ext);
}

model::DmaOutcome DriverSoc::ats_dma(unsigned smmu, unsigned i, uint64_t iova, bool write,
                                     uint64_t* rdata, std::optional<uint32_t> ssid) {
  uint64_t buf = write ? rdata ? *rdata : 0 : 0;
  model::DmaAccess a;
  a.ssv = ssid.has_value();
  a.ssid = ssid.value_or(0);
  a.address = iova;
  a.write = write;
  a.size = 8;
  a.data = reinterpret_cast<uint8_t*>(&buf);
  sc_time delay = sc_core::SC_ZERO_TIME;
  const model::DmaOutcome out = endpoint(smmu, i).dma_access(a, delay);
  if (rdata) *rdata = buf;
  return out;
}

std::unique_ptr<driver::Domain> make_paging_domain(driver::Iommu& iommu, driver::PgtableStage stage,
                                                   bool nest_parent) {
  driver::PagingDomainConfig cfg;
  cfg.stage = stage;
  cfg.nest_parent = nest_parent;
  std::unique_ptr<driver::Domain> d;
  const driver::SmmuStatus st = iommu.alloc_paging_domain(cfg, d);
  if (st != driver::SmmuStatus::kOk)
    throw std::runtime_error("make_paging_domain: status " + std::to_string(static_cast<int>(st)));
  return d;
}

std::unique_ptr<driver::Master> make_master(driver::Iommu& iommu, driver::SmmuDevice& dev,
                                            uint32_t sid, bool requires_direct) {
  driver::MasterConfig mc;
  mc.sids = {sid};
  mc.requires_direct = requires_direct;
  std::unique_ptr<driver::Master> m;
  const driver::SmmuStatus st = iommu.probe_master(dev, mc, m);
  if (st != driver::SmmuStatus::kOk)
    throw std::runtime_error("make_master: status " + std::to_string(static_cast<int>(st)));
  return m;
}

GuestStage1 make_guest_stage1(driver::Os& os, uint64_t iova, uint64_t ipa, uint16_t asid) {
  GuestStage1 g;
  if (!platform::make_guest_stage1(os, 12, asid, g) ||
      g.s1->map(iova, ipa, 0x1000, driver::IommuProt{}) != driver::PgtableStatus::kOk)
    throw std::runtime_error("make_guest_stage1: cannot build the guest's tables");
  return g;
}

bool DriverSoc::run_driver(const std::function<void(driver::Os&, driver::Iommu&)>& body,
                           driver::SyncCompletion c, const sc_time& t) {
  bool up = false;
  cpu(0).add_program([&, c](driver::Os& os) {
    up = bring_up(c);
    if (up) body(os, *iommu_);
  });
  run(t);
  return up && cpu(0).finished();
}

arch::Ste DriverSoc::ste(unsigned smmu, uint32_t sid) {
  const uint64_t pa = device(smmu).ste_address(sid);
  arch::SteWords w;
  for (unsigned i = 0; i < 8; ++i) w[i] = fabric_->memory.read64(pa + 8 * i);
  return arch::Ste::decode(w);
}

arch::Cd DriverSoc::cd(uint64_t pa) {
  arch::CdWords w;
  for (unsigned i = 0; i < 8; ++i) w[i] = fabric_->memory.read64(pa + 8 * i);
  return arch::Cd::decode(w);
}

std::vector<arch::Command> DriverSoc::queued_commands(unsigned smmu, uint64_t from, uint64_t to) {
  return queued_commands(device(smmu).cmdq(), from, to);
}

std::vector<arch::Command> DriverSoc::queued_commands(const driver::CommandQueue& q, uint64_t from,
                                                      uint64_t to) {
  std::vector<arch::Command> out;
  for (uint64_t n = from; n < to; ++n) {
    const uint64_t pa = q.slot_pa(static_cast<uint32_t>(n & (q.entries() - 1)));
    arch::Command c;
    c.dw[0] = fabric_->memory.read64(pa);
    c.dw[1] = fabric_->memory.read64(pa + 8);
    out.push_back(c);
  }
  return out;
}

}  // namespace smmu::test

// SPDX-License-Identifier: Apache-2.0
#include "platform/software/driver_setup.h"

#include <algorithm>
#include <optional>

#include "rtl_model/arch/registers.h"
#include "rtl_model/arch/ste.h"

namespace smmu::platform {

namespace {

driver::SyncCompletion completion_of(const std::string& s) {
  if (s == "cons") return driver::SyncCompletion::kConsPoll;
  if (s == "irq") return driver::SyncCompletion::kIrq;
  return driver::SyncCompletion::kMsi;
}

driver::CmdqDesign cmdq_design_of(const std::string& s) {
  if (s == "cas_loop") return driver::CmdqDesign::kCasLoop;
  if (s == "fetch_add") return driver::CmdqDesign::kFetchAdd;
  return driver::CmdqDesign::kLocked;
}

driver::IommuProt prot_of(const MappingSpec& m) {
  driver::IommuProt p;
  p.write = !m.read_only;
  return p;
}

std::string stream_name(size_t i) { return std::string(kScenarioRoot) + ".streams[" + std::to_string(i) + "]"; }

}  // namespace

DriverSetup::DriverSetup(const Scenario& sc, driver::Os& os, AtsEnable ats_enable,
                         std::function<bool(unsigned, uint32_t)> ats_capable)
    : sc_(sc), os_(os), ats_enable_(std::move(ats_enable)), ats_capable_(std::move(ats_capable)),
      ops_(sc.driver_ops.size()) {}

// After the simulation (nothing reads the tables any more): the members go in reverse
// order of declaration, users before what they use: masters, nested domains, vSMMUs,
// the guest's tables, paging domains, the Iommu, the devices.
DriverSetup::~DriverSetup() = default;

bool DriverSetup::fail(const std::string& what) {
  if (error_.empty()) error_ = what;
  return false;
}

bool DriverSetup::map_mappings(driver::Domain& d, const StreamSpec& s, bool nested_ipa) {
  const uint64_t g = uint64_t{1} << s.granule_shift;
  for (const MappingSpec& m : s.mappings) {
    const uint64_t iova = nested_ipa ? m.ipa : m.iova;
    // A shared domain maps the same mapping of two streams once.
    if (d.pgtable()->iova_to_phys(iova) == m.pa) continue;
    const uint64_t step = m.blocks ? m.size : g;
    for (uint64_t off = 0; off < m.size; off += step) {
      const driver::PgtableStatus st = d.map(iova + off, m.pa + off, step, prot_of(m));
      if (st != driver::PgtableStatus::kOk)
        return fail("mapping iova " + std::to_string(iova + off) + ": " + driver::to_string(st));
    }
  }
  return true;
}

driver::Domain* DriverSetup::paging_domain(size_t i) {
  const StreamSpec& s = sc_.streams[i];
  const std::string name = s.domain.empty() ? "#" + std::to_string(i) : s.domain;
  auto it = domains_.find(name);
  if (it == domains_.end()) {
    driver::PagingDomainConfig c;
    c.stage = s.translation == Translation::kS1 ? driver::PgtableStage::kS1 : driver::PgtableStage::kS2;
    c.granule_shift = s.granule_shift;
    // A DMA-API workload's domain keeps emptied tables, as Linux's io-pgtable: CPUs map
    // and unmap in it concurrently, and a table one unmap frees could take another
    // CPU's new mapping with it (domain.h).
    c.free_empty_tables = std::none_of(sc_.workloads.begin(), sc_.workloads.end(), [&](const WorkloadSpec& w) {
      const StreamSpec& ws = sc_.streams[w.stream];
      return w.stream == i || (!s.domain.empty() && ws.domain == s.domain);
    });
    c.oas = std::min(48u, sc_.smmus[s.smmu].params.features.oas_bits);
    if (c.stage == driver::PgtableStage::kS2) c.ias = c.oas;
    std::unique_ptr<driver::Domain> d;
    const driver::SmmuStatus st = iommu_->alloc_paging_domain(c, d);
    if (st != driver::SmmuStatus::kOk) {
      fail(stream_name(i) + ": domain: " + driver::to_string(st));
      return nullptr;
    }
    it = domains_.emplace(name, std::move(d)).first;
  }
  if (!map_mappings(*it->second, s, false)) return nullptr;
  return it->second.get();
}

driver::Domain* DriverSetup::nested_domain(size_t i) {
  const StreamSpec& s = sc_.streams[i];
  driver::SmmuDevice& dev = *devices_[s.smmu];
  // The host: a nesting parent mapping the guest's RAM (ipa -> pa) and, 1:1, the memory
  // the guest's tables and CD come from.
  driver::PagingDomainConfig pc;
  pc.stage = driver::PgtableStage::kS2;
  pc.nest_parent = true;
  pc.granule_shift = s.granule_shift;
  pc.oas = pc.ias = std::min(48u, sc_.smmus[s.smmu].params.features.oas_bits);
  std::unique_ptr<driver::Domain> parent;
  driver::SmmuStatus st = iommu_->alloc_paging_domain(pc, parent);
  if (st != driver::SmmuStatus::kOk) return fail(stream_name(i) + ": parent: " + driver::to_string(st)), nullptr;
  if (!map_mappings(*parent, s, true)) return nullptr;
  const uint64_t region = sc_.table_region_base();
  if (parent->map(region, region, kTableRegionSize, driver::IommuProt{}) != driver::PgtableStatus::kOk)
    return fail(stream_name(i) + ": the guest's table memory cannot be mapped"), nullptr;
  std::unique_ptr<driver::Vsmmu> vsmmu;
  st = iommu_->alloc_vsmmu(dev, *parent, vsmmu);
  if (st != driver::SmmuStatus::kOk) return fail(stream_name(i) + ": vSMMU: " + driver::to_string(st)), nullptr;

  // The guest: its stage-1 tables and one CD (ASID 1: its own ASID space).
  GuestStage1 guest;
  if (!make_guest_stage1(os_, s.granule_shift, 1, guest))
    return fail(stream_name(i) + ": guest tables: out of memory"), nullptr;
  const uint64_t g = uint64_t{1} << s.granule_shift;
  for (const MappingSpec& m : s.mappings) {
    const uint64_t step = m.blocks ? m.size : g;
    for (uint64_t off = 0; off < m.size; off += step)
      if (guest.s1->map(m.iova + off, m.ipa + off, step, prot_of(m)) != driver::PgtableStatus::kOk)
        return fail(stream_name(i) + ": guest mapping failed"), nullptr;
  }
  guest.vste.eats = s.ats ? 1 : 0;
  std::unique_ptr<driver::Domain> nested;
  st = iommu_->alloc_nested_domain(*vsmmu, guest.vste, nested);
  if (st != driver::SmmuStatus::kOk) return fail(stream_name(i) + ": nested: " + driver::to_string(st)), nullptr;
  driver::Domain* out = nested.get();
  domains_.emplace("#parent" + std::to_string(i), std::move(parent));
  guest_tables_.push_back(std::move(guest.s1));
  vsmmus_.push_back(std::move(vsmmu));
  nested_.push_back(std::move(nested));
  return out;
}

// The stream's process (one per domain name), its mappings mapped page by page into the
// process's own table, and the SVA domain over it.
driver::Domain* DriverSetup::sva_domain(size_t i) {
  const StreamSpec& s = sc_.streams[i];
  const std::string name = s.domain.empty() ? "#" + std::to_string(i) : s.domain;
  auto it = domains_.find(name);
  if (it == domains_.end()) {
    driver::ProcessMmConfig pc;
    pc.asid = static_cast<uint16_t>(processes_.size() + 1);  // the CPU's ASID of the process
    std::unique_ptr<driver::ProcessMm> mm = driver::ProcessMm::create(os_, pc);
    if (!mm) return fail(stream_name(i) + ": process: out of memory"), nullptr;
    std::unique_ptr<driver::Domain> d;
    const driver::SmmuStatus st = iommu_->alloc_sva_domain(*mm, d);
    if (st != driver::SmmuStatus::kOk) return fail(stream_name(i) + ": SVA domain: " + driver::to_string(st)), nullptr;
    processes_.emplace(name, std::move(mm));
    it = domains_.emplace(name, std::move(d)).first;
  }
  driver::ProcessMm& mm = *processes_.at(name);
  for (const MappingSpec& m : s.mappings) {
    const std::optional<driver::UserPage> cur = mm.lookup(m.iova);
    if (cur && cur->pa == m.pa) continue;  // a shared process's mapping, mapped once
    driver::UserProt p;
    p.write = !m.read_only;
    const driver::MmStatus st = mm.map(m.iova, m.pa, m.size, p);
    if (st != driver::MmStatus::kOk)
      return fail(stream_name(i) + ": process mapping at " + std::to_string(m.iova) + ": " +
                  driver::to_string(st)), nullptr;
  }
  return it->second.get();
}

bool DriverSetup::set_up() {
  const uint64_t t0 = os_.now_ns();
  driver::IommuOptions io;
  io.inv_all_then_wait = sc_.driver.inv_all_then_wait;
  iommu_ = std::make_unique<driver::Iommu>(os_, io);
  for (unsigned i = 0; i < sc_.smmus.size(); ++i) {
    driver::SmmuDeviceOptions o;
    o.completion = completion_of(sc_.driver.completion);
    o.evtq_irq = 3 * i;
    o.gerror_irq = 3 * i + 1;
    o.cmd_sync_irq = 3 * i + 2;
    o.event_log_size = sc_.driver.event_log;
    o.ecmdqs = sc_.driver.ecmdqs;
    o.cmdq_design = cmdq_design_of(sc_.driver.cmdq_design);
    devices_.push_back(std::make_unique<driver::SmmuDevice>(
        os_, kSmmuWindowBase + uint64_t{i} * arch::reg::kWindowSize, o, i));
    driver::SmmuDevice& d = *devices_.back();
    driver::SmmuStatus st = d.probe();
    if (st == driver::SmmuStatus::kOk) st = d.reset();
    if (st != driver::SmmuStatus::kOk)
      return fail(std::string(kScenarioRoot) + ".smmus[" + std::to_string(i) + "]: " + driver::to_string(st));
    iommu_->add_smmu(d);
  }
  for (size_t i = 0; i < sc_.streams.size(); ++i) {
    const StreamSpec& s = sc_.streams[i];
    driver::Domain* d = nullptr;
    switch (s.translation) {
      case Translation::kAbort: d = &iommu_->blocked_domain(); break;
      case Translation::kBypass: d = &iommu_->identity_domain(); break;
      case Translation::kNested: d = nested_domain(i); break;
      default: d = s.sva ? sva_domain(i) : paging_domain(i); break;
    }
    if (!d) return false;
    stream_domain_[i] = d;
  }
  // One master per device (SMMU, SID): the stream listing SubstreamID 0 gives its RID
  // domain (blocked when none does), every other listed SSID is attached at that PASID.
  std::map<std::pair<unsigned, uint32_t>, std::vector<size_t>> devices;
  std::vector<std::pair<unsigned, uint32_t>> order;
  for (size_t i = 0; i < sc_.streams.size(); ++i) {
    const auto key = std::make_pair(sc_.streams[i].smmu, sc_.streams[i].sid);
    if (!devices.count(key)) order.push_back(key);
    devices[key].push_back(i);
  }
  for (const auto& key : order) {
    const std::vector<size_t>& streams = devices[key];
    const StreamSpec& first = sc_.streams[streams.front()];
    driver::MasterConfig mc;
    mc.sids = {first.sid};
    mc.ats_capable = first.ats && ats_capable_(first.smmu, first.sid);
    driver::Domain* rid = &iommu_->blocked_domain();
    size_t rid_stream = streams.front();
    for (size_t i : streams) {
      const StreamSpec& s = sc_.streams[i];
      if (s.substreams()) mc.ssid_bits = devices_[s.smmu]->features().ssid_bits;
      if (std::find(s.ssids.begin(), s.ssids.end(), 0u) != s.ssids.end()) {
        rid = stream_domain_[i];
        rid_stream = i;
      }
    }
    const unsigned smmu = first.smmu;
    const uint32_t sid = first.sid;
    mc.set_ats_enable = [this, smmu, sid](bool on) { ats_enable_(smmu, sid, on); };
    std::unique_ptr<driver::Master> m;
    driver::SmmuStatus st = iommu_->probe_master(*devices_[smmu], mc, m);
    if (st == driver::SmmuStatus::kOk) st = iommu_->attach(*m, *rid);
    if (st != driver::SmmuStatus::kOk) return fail(stream_name(rid_stream) + ": attach: " + driver::to_string(st));
    for (size_t i : streams)
      for (uint32_t ssid : sc_.streams[i].ssids) {
        if (ssid == 0) continue;
        st = iommu_->attach_pasid(*m, ssid, *stream_domain_[i]);
        if (st != driver::SmmuStatus::kOk)
          return fail(stream_name(i) + ": attach at PASID " + std::to_string(ssid) + ": " +
                      driver::to_string(st));
      }
    masters_.push_back(std::move(m));
  }
  setup_ns_ = os_.now_ns() - t0;
  return true;
}

void DriverSetup::run_op(size_t index) {
  const DriverOpSpec& op = sc_.driver_ops.at(index);
  DriverOpResult& r = ops_.at(index);
  r.start_ns = os_.now_ns();
  r.started = true;
  driver::Domain* d = stream_domain_.count(op.stream) ? stream_domain_[op.stream] : nullptr;
  if (!d) {
    r.status = driver::SmmuStatus::kInvalidArgument;
    r.error = "the stream has no domain (set-up failed)";
  } else {
    const uint64_t g = uint64_t{1} << sc_.streams[op.stream].granule_shift;
    // The op's status is its first failure, page table or invalidation.
    auto note = [&r](driver::SmmuStatus st) {
      if (r.status == driver::SmmuStatus::kOk) r.status = st;
    };
    auto pgtable_failed = [&](const char* what, driver::PgtableStatus st) {
      if (st == driver::PgtableStatus::kOk) return;
      if (r.error.empty()) r.error = std::string(what) + ": " + driver::to_string(st);
      note(st == driver::PgtableStatus::kNoMemory ? driver::SmmuStatus::kNoMemory
                                                  : driver::SmmuStatus::kInvalidArgument);
    };
    driver::ProcessMm* mm = d->mm();  // SVA: the ops change the process's mappings
    auto mm_failed = [&](const char* what, driver::MmStatus st) {
      if (st == driver::MmStatus::kOk) return;
      if (r.error.empty()) r.error = std::string(what) + ": " + driver::to_string(st);
      note(st == driver::MmStatus::kNoMemory ? driver::SmmuStatus::kNoMemory
                                             : driver::SmmuStatus::kInvalidArgument);
    };
    auto unmap = [&] {
      if (mm) return mm_failed("unmap", mm->unmap(op.iova, op.size).status);
      const driver::Domain::UnmapOutcome out = d->unmap(op.iova, op.size);
      pgtable_failed("unmap", out.pgtable.status);
      note(out.inv);
    };
    auto map = [&] {
      if (mm) return mm_failed("map", mm->map(op.iova, op.pa, op.size, driver::UserProt{}));
      pgtable_failed("map", d->map(op.iova, op.pa, op.size, driver::IommuProt{}));
    };
    switch (op.op) {
      case DriverOpSpec::Op::kMap: map(); break;
      case DriverOpSpec::Op::kUnmap: unmap(); break;
      case DriverOpSpec::Op::kRemap:
        unmap();
        map();
        break;
      case DriverOpSpec::Op::kInvRange: note(d->inv_range(op.iova, op.size, g, true)); break;
    }
  }
  r.end_ns = os_.now_ns();
  r.finished = true;
}

}  // namespace smmu::platform

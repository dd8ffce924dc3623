#include "driver/iommu.h"

#include <algorithm>
#include <new>
#include <stdexcept>

#include "rtl_model/arch/cd.h"
#include "rtl_model/arch/ste.h"

namespace smmu::driver {

namespace {

// Tables and CDs are fetched write-back cacheable, inner shareable (coherent SMMU).
constexpr uint8_t kCacheWb = 1;
constexpr uint8_t kShIsh = 3;

TagType tag_type_of(const Domain& d) {
  return d.type() == DomainType::kS1Paging ? TagType::kAsid : TagType::kVmid;
}

bool granule_supported(const SmmuFeatures& f, unsigned shift) {
  return (shift == 12 && f.gran4k) || (shift == 14 && f.gran16k) || (shift == 16 && f.gran64k);
}

bool takes_invalidations(const Domain& d) {
  return d.is_paging() || d.type() == DomainType::kNested;
}

}  // namespace

// What attach decided and allocated before anything the SMMU sees changed.
struct Iommu::AttachPlan {
  Domain* old_domain = nullptr;
  std::optional<IotlbTag> old_tag;
  bool old_ats = false;
  std::optional<IotlbTag> new_tag;
  bool tag_acquired = false;  // from the SMMU's allocator (given back on unwind)
  bool new_ats = false;
  std::unique_ptr<InvArray> merged;  // the new domain's next array
};

Iommu::Iommu(Os& os, const IommuOptions& opts)
    : os_(os),
      opts_(opts),
      attach_lock_(os.make_mutex()),
      blocked_(new Domain(*this, DomainType::kBlocked)),
      identity_(new Domain(*this, DomainType::kIdentity)) {}

Iommu::~Iommu() = default;

void Iommu::add_smmu(SmmuDevice& smmu) {
  if (!smmu.probed()) throw std::invalid_argument("Iommu::add_smmu: the SMMU is not probed");
  LockGuard g(*attach_lock_);
  smmus_.push_back(&smmu);
}

// --- domains

SmmuStatus Iommu::alloc_paging_domain(const PagingDomainConfig& cfg, std::unique_ptr<Domain>& out) {
  if (cfg.nest_parent && cfg.stage != PgtableStage::kS2) return SmmuStatus::kInvalidArgument;
  std::unique_ptr<Domain> d(new Domain(
      *this, cfg.stage == PgtableStage::kS1 ? DomainType::kS1Paging : DomainType::kS2Paging));
  d->cfg_ = cfg;
  IoPgtableConfig pc;
  pc.stage = cfg.stage;
  pc.granule_shift = cfg.granule_shift;
  pc.ias = cfg.ias;
  pc.oas = cfg.oas;
  pc.ng = cfg.stage == PgtableStage::kS1;  // leaves tagged with the domain's ASID
  try {
    d->pgtable_ = IoPgtable::create(os_, pc);
  } catch (const std::invalid_argument&) {
    return SmmuStatus::kInvalidArgument;
  }
  if (!d->pgtable_) return SmmuStatus::kNoMemory;
  d->pgtable_lock_ = os_.make_mutex();
  d->invs_ = std::make_unique<DomainInvs>(os_);
  out = std::move(d);
  return SmmuStatus::kOk;
}

SmmuStatus Iommu::alloc_nested_domain(Vsmmu& vsmmu, const arch::Ste& guest,
                                      std::unique_ptr<Domain>& out) {
  // Only the guest's stage-1 fields may be set: everything else is the host's.
  arch::Ste allowed;
  allowed.valid = guest.valid;
  allowed.config = guest.config;
  allowed.s1fmt = guest.s1fmt;
  allowed.s1_context_ptr = guest.s1_context_ptr;
  allowed.s1cdmax = guest.s1cdmax;
  allowed.s1dss = guest.s1dss;
  allowed.s1cir = guest.s1cir;
  allowed.s1cor = guest.s1cor;
  allowed.s1csh = guest.s1csh;
  allowed.eats = guest.eats;
  if (allowed.encode() != guest.encode()) return SmmuStatus::kInvalidArgument;
  const auto cfg = static_cast<arch::SteConfig>(guest.config);
  if (guest.valid && cfg != arch::SteConfig::kAbort && cfg != arch::SteConfig::kBypass &&
      cfg != arch::SteConfig::kS1)
    return SmmuStatus::kInvalidArgument;
  if (guest.eats > 1) return SmmuStatus::kInvalidArgument;  // no split-stage ATS for guests
  std::unique_ptr<Domain> d(new Domain(*this, DomainType::kNested));
  d->vsmmu_ = &vsmmu;
  d->guest_ste_ = guest;
  d->cfg_ = vsmmu.parent().config();
  vsmmu.nested_.fetch_add(1);
  out = std::move(d);
  return SmmuStatus::kOk;
}

SmmuStatus Iommu::free_domain(std::unique_ptr<Domain>& domain) {
  if (!domain) return SmmuStatus::kOk;
  if (domain.get() == blocked_.get() || domain.get() == identity_.get())
    return SmmuStatus::kInvalidArgument;
  LockGuard g(*attach_lock_);
  if (domain->attached_masters() != 0) return SmmuStatus::kBusy;
  if (domain->type() == DomainType::kNested) domain->vsmmu_->nested_.fetch_sub(1);
  domain.reset();
  return SmmuStatus::kOk;
}

// --- vSMMUs

SmmuStatus Iommu::alloc_vsmmu(SmmuDevice& smmu, Domain& parent, std::unique_ptr<Vsmmu>& out) {
  if (parent.type() != DomainType::kS2Paging || !parent.nest_parent())
    return SmmuStatus::kInvalidArgument;
  LockGuard g(*attach_lock_);
  const SmmuStatus st = check_compatible(smmu, parent);
  if (st != SmmuStatus::kOk) return st;
  if (!smmu.features().nesting) return SmmuStatus::kIncompatible;
  const std::optional<IotlbTag> tag = smmu.tags().alloc_vsmmu_vmid();
  if (!tag) return SmmuStatus::kTagExhausted;
  stats_.tags_allocated.fetch_add(1);
  out.reset(new Vsmmu(*this, smmu, parent, *tag));
  return SmmuStatus::kOk;
}

SmmuStatus Iommu::free_vsmmu(std::unique_ptr<Vsmmu>& vsmmu) {
  if (!vsmmu) return SmmuStatus::kOk;
  LockGuard g(*attach_lock_);
  if (vsmmu->nested_domains() != 0) return SmmuStatus::kBusy;
  // Its VMID was flushed when the last master of its nested domains left.
  vsmmu->smmu().tags().free_vsmmu_vmid(vsmmu->tag_);
  stats_.tags_freed.fetch_add(1);
  vsmmu.reset();
  return SmmuStatus::kOk;
}

// --- masters

SmmuStatus Iommu::probe_master(SmmuDevice& smmu, const MasterConfig& cfg,
                               std::unique_ptr<Master>& out) {
  if (cfg.sids.empty()) return SmmuStatus::kInvalidArgument;
  MasterConfig c = cfg;
  c.ats_capable = cfg.ats_capable && smmu.features().ats;
  std::unique_ptr<Master> m(new Master(smmu, std::move(c)));
  if (std::adjacent_find(m->sids_.begin(), m->sids_.end()) != m->sids_.end())
    return SmmuStatus::kInvalidArgument;
  for (uint32_t sid : m->sids_) {
    const SmmuStatus st = smmu.ensure_ste(sid);
    if (st != SmmuStatus::kOk) return st;
  }
  out = std::move(m);
  return SmmuStatus::kOk;
}

void Iommu::release_master(std::unique_ptr<Master>& master) {
  if (!master) return;
  Domain& release = master->requires_direct() ? *identity_ : *blocked_;
  attach(*master, release);  // cannot fail: nothing to allocate
  if (master->cd_table_pa_) {
    // The STEs no longer point at the CD table, and their CFGI_STE + CMD_SYNC dropped
    // every CD cached through them.
    os_.dma_free(master->cd_table_pa_, 64);
    master->cd_table_pa_ = 0;
  }
  master.reset();
}

// --- attach

SmmuStatus Iommu::check_compatible(const SmmuDevice& smmu, const Domain& d) const {
  const SmmuFeatures& f = smmu.features();
  switch (d.type()) {
    case DomainType::kBlocked:
    case DomainType::kIdentity:
      return SmmuStatus::kOk;
    case DomainType::kNested:
      if (&d.vsmmu()->smmu() != &smmu || !f.nesting) return SmmuStatus::kIncompatible;
      return check_compatible(smmu, d.vsmmu()->parent());
    case DomainType::kS1Paging:
    case DomainType::kS2Paging:
      break;
  }
  const PagingDomainConfig& c = d.config();
  if (!granule_supported(f, c.granule_shift) || c.oas > f.oas_bits) return SmmuStatus::kIncompatible;
  if (d.type() == DomainType::kS1Paging) return f.s1 ? SmmuStatus::kOk : SmmuStatus::kIncompatible;
  // Stage 2: the IPA may not be wider than the SMMU's output size; a nesting parent
  // needs both stages.
  if (!f.s2 || c.ias > f.oas_bits || (c.nest_parent && !f.nesting)) return SmmuStatus::kIncompatible;
  return SmmuStatus::kOk;
}

bool Iommu::fill_master_spec(const Master& m, const Domain& d, const std::optional<IotlbTag>& tag,
                             bool ats, MasterInvSpec& spec) const {
  if (!takes_invalidations(d) || !tag) return false;
  spec.smmu = &m.smmu().handle();
  spec.tag_type = d.type() == DomainType::kS1Paging ? InvType::kS1Asid : InvType::kS2Vmid;
  spec.tag = tag->id;
  spec.nest_parent = d.type() == DomainType::kNested || d.nest_parent();
  spec.ats_enabled = ats;
  spec.ssid = 0;
  spec.sids = m.sids().data();
  spec.num_sids = m.sids().size();
  spec.pgsize_log2 = static_cast<uint8_t>(d.config().granule_shift);
  return true;
}

SmmuStatus Iommu::prepare(Master& m, Domain& d, AttachPlan& plan) {
  plan.old_domain = m.domain_;
  plan.old_tag = m.tag_;
  plan.old_ats = m.ats_enabled_;
  SmmuStatus st = check_compatible(m.smmu(), d);
  if (st != SmmuStatus::kOk) return st;
  SmmuDevice& smmu = m.smmu();

  if (d.type() == DomainType::kNested) {
    plan.new_tag = d.vsmmu()->tag_;
  } else if (d.is_paging()) {
    plan.new_tag = smmu.tags().acquire(&d, tag_type_of(d));
    if (!plan.new_tag) return SmmuStatus::kTagExhausted;
    plan.tag_acquired = true;
    if (smmu.tags().users(&d, tag_type_of(d)) == 1) stats_.tags_allocated.fetch_add(1);
  }
  // A guest asks for ATS in its vSTE (and only a translating one can have it).
  const arch::Ste& g = d.guest_ste();
  const bool domain_ats =
      d.type() == DomainType::kNested
          ? g.valid && g.config == static_cast<uint8_t>(arch::SteConfig::kS1) && g.eats == 1
          : d.is_paging();
  plan.new_ats = m.ats_capable() && domain_ats;

  MasterInvSpec spec;
  if (fill_master_spec(m, d, plan.new_tag, plan.new_ats, spec)) {
    if (!build_master_invs(m.scratch_, spec)) return SmmuStatus::kNoMemory;
    try {
      plan.merged = InvArray::merge(os_, d.invs()->locked(), m.scratch_.span());
    } catch (const std::bad_alloc&) {
      return SmmuStatus::kNoMemory;
    }
  }
  if (d.type() == DomainType::kS1Paging && !m.cd_table_pa_) {
    m.cd_table_pa_ = os_.dma_alloc(64, 64);
    if (!m.cd_table_pa_) return SmmuStatus::kNoMemory;
  }
  return SmmuStatus::kOk;
}

EntryWords Iommu::build_cd(const Domain& d, const IotlbTag& tag) const {
  arch::Cd cd;
  d.pgtable()->fill_cd(cd);
  cd.valid = true;
  cd.asid = tag.id;
  cd.r = true;  // record faults
  cd.a = true;  // abort (not stall) faulting transactions
  return cd.encode();
}

EntryWords Iommu::build_ste(const Master& m, const Domain& d, const std::optional<IotlbTag>& tag,
                            bool ats) const {
  arch::Ste ste;
  ste.valid = true;
  switch (d.type()) {
    case DomainType::kBlocked:
      ste.config = static_cast<uint8_t>(arch::SteConfig::kAbort);
      break;
    case DomainType::kIdentity:
      ste.config = static_cast<uint8_t>(arch::SteConfig::kBypass);
      break;
    case DomainType::kS1Paging:
      ste.config = static_cast<uint8_t>(arch::SteConfig::kS1);
      ste.s1fmt = 0;
      ste.s1cdmax = 0;
      ste.s1_context_ptr = m.cd_table_pa();
      ste.s1cir = ste.s1cor = kCacheWb;
      ste.s1csh = kShIsh;
      ste.s2vmid = 0;  // stage-1 entries are tagged with VMID 0 (TLBI_NH_* use it)
      break;
    case DomainType::kS2Paging:
      ste.config = static_cast<uint8_t>(arch::SteConfig::kS2);
      d.pgtable()->fill_ste(ste);
      ste.s2vmid = tag ? tag->id : 0;
      ste.s2r = true;
      break;
    case DomainType::kNested: {
      const arch::Ste& g = d.guest_ste();
      const auto gc = static_cast<arch::SteConfig>(g.config);
      d.vsmmu()->parent().pgtable()->fill_ste(ste);
      ste.s2vmid = tag ? tag->id : 0;
      ste.s2r = true;
      if (!g.valid || gc == arch::SteConfig::kAbort) {
        arch::Ste abort;
        abort.valid = true;
        abort.config = static_cast<uint8_t>(arch::SteConfig::kAbort);
        return abort.encode();
      }
      if (gc == arch::SteConfig::kBypass) {
        ste.config = static_cast<uint8_t>(arch::SteConfig::kS2);  // the guest bypasses: S2 only
        break;
      }
      ste.config = static_cast<uint8_t>(arch::SteConfig::kNested);
      ste.s1fmt = g.s1fmt;
      ste.s1_context_ptr = g.s1_context_ptr;
      ste.s1cdmax = g.s1cdmax;
      ste.s1dss = g.s1dss;
      ste.s1cir = g.s1cir;
      ste.s1cor = g.s1cor;
      ste.s1csh = g.s1csh;
      break;
    }
  }
  if (ats) ste.eats = static_cast<uint8_t>(arch::Eats::kFull);
  return ste.encode();
}

void Iommu::write_entries(Master& m, Domain& d, AttachPlan& plan) {
  SmmuDevice& smmu = m.smmu();
  auto sync_cds = [&smmu, &m] {
    CommandQueue::Batch b(smmu.cmdq());
    for (uint32_t sid : m.sids())
      b.add(arch::Command(arch::Opcode::kCfgiCd).set_sid(sid).set_ssid(0).set_leaf(true));
    b.submit(true);
  };
  const bool was_s1 = plan.old_domain && plan.old_domain->type() == DomainType::kS1Paging;
  if (d.type() == DomainType::kS1Paging) {
    // The CD first: a live one (the STE already uses the table) changes hitlessly.
    OsEntryWriterOps cd_ops(os_, m.cd_table_pa_, sync_cds);
    write_entry(EntryKind::kCd, build_cd(d, *plan.new_tag), cd_ops);
  }
  const EntryWords ste = build_ste(m, d, plan.new_tag, plan.new_ats);
  for (uint32_t sid : m.sids()) smmu.write_ste(sid, ste);
  if (was_s1 && d.type() != DomainType::kS1Paging) {
    // The STEs no longer use the CD: clear it so a stale ASID never outlives its tag.
    OsEntryWriterOps cd_ops(os_, m.cd_table_pa_, sync_cds);
    write_entry(EntryKind::kCd, EntryWords{}, cd_ops);
  }
  if (plan.new_ats && !plan.old_ats) {
    // Nothing from an earlier ATS session may survive into this one.
    atc_inv_master(m);
    if (m.cfg_.set_ats_enable) m.cfg_.set_ats_enable(true);
  }
}

void Iommu::atc_inv_master(Master& m) {
  CommandQueue::Batch b(m.smmu().cmdq());
  for (uint32_t sid : m.sids()) b.add(atc_inv_command(sid, 0, 0, 0));
  b.submit(true);
}

void Iommu::flush_and_free_tag(SmmuDevice& smmu, const IotlbTag& tag, bool owned_by_vsmmu) {
  const arch::Command c = tag_flush_command(tag, smmu.handle().e2h);
  smmu.cmdq().issue_and_wait(&c, 1, true);
  stats_.tags_flushed.fetch_add(1);
  if (owned_by_vsmmu) return;  // the vSMMU keeps its VMID until it is destroyed
  smmu.tags().free(tag);
  stats_.tags_freed.fetch_add(1);
}

void Iommu::remove_old(Master& m, AttachPlan& plan) {
  Domain* old = plan.old_domain;
  SmmuDevice& smmu = m.smmu();
  MasterInvSpec spec;
  bool vsmmu_vmid_idle = false;
  if (old && fill_master_spec(m, *old, plan.old_tag, plan.old_ats, spec)) {
    DomainInvs& invs = *old->invs();
    // build_master_invs cannot run out of room: the scratch list was sized for it.
    build_master_invs(m.scratch_, spec);
    invs.locked().unref(m.scratch_);
    if (old->type() == DomainType::kNested) {
      for (size_t i = 0; i < m.scratch_.size(); ++i)
        if (m.scratch_[i].type == InvType::kS2Vmid && m.scratch_[i].users.load() == 0)
          vsmmu_vmid_idle = true;
    }
  }
  // unref has waited out every reader issuing ATC invalidations from the old array, so
  // after this no invalidation reaches a device whose ATS is off.
  if (plan.old_ats && !plan.new_ats) {
    if (m.cfg_.set_ats_enable) m.cfg_.set_ats_enable(false);
    atc_inv_master(m);
  } else if (plan.old_ats && plan.new_ats) {
    atc_inv_master(m);  // ATS stays on: drop what the device cached from the old domain
  }
  if (old && old->is_paging() && plan.old_tag) {
    if (const std::optional<IotlbTag> last = smmu.tags().release(old, tag_type_of(*old)))
      flush_and_free_tag(smmu, *last, false);
  } else if (vsmmu_vmid_idle) {
    flush_and_free_tag(smmu, old->vsmmu()->tag_, true);
  }
  if (old && takes_invalidations(*old)) {
    DomainInvs& invs = *old->invs();
    try {
      if (std::unique_ptr<InvArray> purged = InvArray::purge(os_, invs.locked())) {
        invs.replace(std::move(purged));
        stats_.purges.fetch_add(1);
      }
    } catch (const std::bad_alloc&) {
      // The trash stays; readers skip it and the next merge drops it.
    }
  }
}

SmmuStatus Iommu::attach(Master& m, Domain& d) {
  LockGuard g(*attach_lock_);
  if (m.domain_ == &d) return SmmuStatus::kOk;
  AttachPlan plan;
  SmmuStatus st = prepare(m, d, plan);
  if (st != SmmuStatus::kOk) {
    plan.merged.reset();
    if (plan.tag_acquired) {
      // Allocated (or reused) here and never written to a CD or STE: nothing to flush
      // when this was its only user.
      if (const std::optional<IotlbTag> t = m.smmu().tags().release(&d, tag_type_of(d))) {
        m.smmu().tags().free(*t);
        stats_.tags_allocated.fetch_sub(1);
      }
    }
    stats_.attach_failures.fetch_add(1);
    return st;
  }
  // The new array first: an invalidation of the new domain that starts after the STE
  // write below must find this master (replace()'s barrier orders the two).
  if (plan.merged) d.invs()->replace(std::move(plan.merged));
  write_entries(m, d, plan);
  m.domain_ = &d;
  m.tag_ = plan.new_tag;
  m.ats_enabled_ = plan.new_ats;
  d.masters_.fetch_add(1);
  if (d.type() == DomainType::kNested) {
    auto& sids = d.vsmmu_->sids_;
    sids.insert(sids.end(), m.sids().begin(), m.sids().end());
  }
  if (Domain* old = plan.old_domain) {
    old->masters_.fetch_sub(1);
    if (old->type() == DomainType::kNested) {
      auto& sids = old->vsmmu_->sids_;
      for (uint32_t sid : m.sids()) {
        auto it = std::find(sids.begin(), sids.end(), sid);
        if (it != sids.end()) sids.erase(it);
      }
    }
  }
  remove_old(m, plan);
  stats_.attaches.fetch_add(1);
  return SmmuStatus::kOk;
}

// --- invalidation

SmmuStatus Iommu::issue_invalidation(const InvArray& invs, const InvRange& r, DomainInvStats& stats) {
  struct CountingSink final : InvBatchSink {
    DomainInvStats& stats;
    SmmuStatus status = SmmuStatus::kOk;
    explicit CountingSink(DomainInvStats& s) : stats(s) {}
    void submit(const InvBatch& b) override {
      stats.batches.fetch_add(1, std::memory_order_relaxed);
      if (b.needs_sync) stats.syncs.fetch_add(1, std::memory_order_relaxed);
      const SmmuStatus st = SmmuDevice::from_handle(b.smmu)->submit(b);
      if (status == SmmuStatus::kOk) status = st;
    }
  } sink(stats);
  if (!opts_.inv_all_then_wait) {
    for_each_inv_batch(invs.entries(), r, sink);
    return sink.status;
  }
  const std::vector<InvBatch> batches = build_inv_batches(invs.entries(), r);
  std::vector<const InvBatch*> ptrs;
  ptrs.reserve(batches.size());
  for (const InvBatch& b : batches) {
    ptrs.push_back(&b);
    stats.batches.fetch_add(1, std::memory_order_relaxed);
  }
  // Each SMMU's last batch of a round is synced, full ones included: count the SYNCs
  // the rounds issue.
  for (size_t i = 0; i < batches.size(); ++i)
    if (batches[i].needs_sync) stats.syncs.fetch_add(1, std::memory_order_relaxed);
  return SmmuDevice::issue_batches_all_then_wait(ptrs);
}

}  // namespace smmu::driver

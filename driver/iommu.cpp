// SPDX-License-Identifier: Apache-2.0
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

bool uses_asid(const Domain& d) {
  return d.type() == DomainType::kS1Paging || d.type() == DomainType::kSva;
}

TagType tag_type_of(const Domain& d) { return uses_asid(d) ? TagType::kAsid : TagType::kVmid; }

bool granule_supported(const SmmuFeatures& f, unsigned shift) {
  return (shift == 12 && f.gran4k) || (shift == 14 && f.gran16k) || (shift == 16 && f.gran64k);
}

bool takes_invalidations(const Domain& d) {
  return d.is_paging() || d.type() == DomainType::kNested || d.type() == DomainType::kSva;
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
  pc.free_empty_tables = cfg.free_empty_tables;
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

SmmuStatus Iommu::alloc_sva_domain(ProcessMm& mm, std::unique_ptr<Domain>& out) {
  std::unique_ptr<Domain> d(new Domain(*this, DomainType::kSva));
  d->cfg_.stage = PgtableStage::kS1;
  d->cfg_.granule_shift = ProcessMm::kPageShift;
  d->cfg_.ias = ProcessMm::kVaBits;
  d->cfg_.oas = arch::address_size_bits(mm.ips());
  d->invs_ = std::make_unique<DomainInvs>(os_);
  d->mm_ = &mm;
  d->notifier_ = std::make_unique<Domain::SvaNotifier>(*d);
  mm.register_notifier(*d->notifier_);
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
  c.ssid_bits = std::min(cfg.ssid_bits, smmu.features().ssid_bits);
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
  while (!master->pasids_.empty()) detach_pasid(*master, master->pasids_.begin()->first);
  Domain& release = master->requires_direct() ? *identity_ : *blocked_;
  attach(*master, release);  // cannot fail: nothing to allocate
  // The STEs no longer point at the CD table, and their CFGI_STE + CMD_SYNC dropped
  // every CD cached through them.
  master->cd_table_.reset();
  master.reset();
}

// --- attach

std::optional<IotlbTag> Iommu::acquire_tag(SmmuDevice& smmu, const Domain& d) {
  std::optional<IotlbTag> t = smmu.tags().acquire(&d, tag_type_of(d));
  if (t && smmu.tags().users(&d, tag_type_of(d)) == 1) stats_.tags_allocated.fetch_add(1);
  return t;
}

// Acquired by an attach that failed, so never written to a CD or STE: nothing to flush
// when this was its only user.
void Iommu::give_back_tag(SmmuDevice& smmu, const Domain& d) {
  if (const std::optional<IotlbTag> t = smmu.tags().release(&d, tag_type_of(d))) {
    smmu.tags().free(*t);
    stats_.tags_allocated.fetch_sub(1);
  }
}

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
    case DomainType::kSva:
      break;
  }
  const PagingDomainConfig& c = d.config();
  if (!granule_supported(f, c.granule_shift) || c.oas > f.oas_bits) return SmmuStatus::kIncompatible;
  if (uses_asid(d)) return f.s1 ? SmmuStatus::kOk : SmmuStatus::kIncompatible;
  // Stage 2: the IPA may not be wider than the SMMU's output size; a nesting parent
  // needs both stages.
  if (!f.s2 || c.ias > f.oas_bits || (c.nest_parent && !f.nesting)) return SmmuStatus::kIncompatible;
  return SmmuStatus::kOk;
}

bool Iommu::fill_master_spec(const Master& m, const Domain& d, const std::optional<IotlbTag>& tag,
                             bool ats, MasterInvSpec& spec) const {
  if (!takes_invalidations(d) || !tag) return false;
  spec.smmu = &m.smmu().handle();
  spec.tag_type = uses_asid(d) ? InvType::kS1Asid : InvType::kS2Vmid;
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
  const bool pasids = !m.pasids_.empty();
  // The STEs of a master with PASIDs in use must keep pointing at its CD table.
  if (pasids && (d.type() == DomainType::kS2Paging || d.type() == DomainType::kNested))
    return SmmuStatus::kBusy;
  SmmuDevice& smmu = m.smmu();

  if (d.type() == DomainType::kNested) {
    plan.new_tag = d.vsmmu()->tag_;
  } else if (d.is_paging()) {
    plan.new_tag = acquire_tag(smmu, d);
    if (!plan.new_tag) return SmmuStatus::kTagExhausted;
    plan.tag_acquired = true;
  }
  // A guest asks for ATS in its vSTE (and only a translating one can have it).
  const arch::Ste& g = d.guest_ste();
  const bool domain_ats =
      d.type() == DomainType::kNested
          ? g.valid && g.config == static_cast<uint8_t>(arch::SteConfig::kS1) && g.eats == 1
          : d.is_paging();
  plan.new_ats = m.ats_capable() && (domain_ats || pasids);

  MasterInvSpec spec;
  if (fill_master_spec(m, d, plan.new_tag, plan.new_ats, spec)) {
    if (!build_master_invs(m.scratch_, spec)) return SmmuStatus::kNoMemory;
    try {
      plan.merged = InvArray::merge(os_, d.invs()->locked(), m.scratch_.span());
    } catch (const std::bad_alloc&) {
      return SmmuStatus::kNoMemory;
    }
  }
  if (d.type() == DomainType::kS1Paging) {
    if ((st = ensure_cd(m, 0)) != SmmuStatus::kOk) return st;
  }
  return SmmuStatus::kOk;
}

SmmuStatus Iommu::ensure_cd(Master& m, uint32_t ssid) {
  if (!m.cd_table_) {
    m.cd_table_ = CdTable::create(os_, m.ssid_bits_, m.smmu().features().cd2l);
    if (!m.cd_table_) return SmmuStatus::kNoMemory;
  }
  bool linked = false;
  if (!m.cd_table_->ensure_cd(ssid, &linked)) return SmmuStatus::kNoMemory;
  // The SMMU may hold the invalid L1 descriptor the new leaf replaced.
  if (linked) sync_cd(m, ssid, false);
  return SmmuStatus::kOk;
}

void Iommu::sync_cd(Master& m, uint32_t ssid, bool leaf) {
  CommandQueue::Batch b(m.smmu().cpu_cmdq());
  for (uint32_t sid : m.sids())
    b.add(arch::Command(arch::Opcode::kCfgiCd).set_sid(sid).set_ssid(ssid).set_leaf(leaf));
  b.submit(true);
}

void Iommu::write_cd(Master& m, uint32_t ssid, const EntryWords& cd) {
  OsEntryWriterOps ops(os_, m.cd_table_->cd_pa(ssid), [this, &m, ssid] { sync_cd(m, ssid, true); });
  write_entry(EntryKind::kCd, cd, ops);
}

EntryWords Iommu::build_cd(const Domain& d, const IotlbTag& tag) const {
  arch::Cd cd;
  if (d.type() == DomainType::kSva)
    d.mm()->fill_cd(cd);  // the process's own table and attributes
  else
    d.pgtable()->fill_cd(cd);
  cd.valid = true;
  cd.asid = tag.id;
  cd.r = true;  // record faults
  cd.a = true;  // abort (not stall) faulting transactions
  return cd.encode();
}

// Stage 1 through the master's CD table; dss says what traffic without PASID does.
static void set_cd_table(arch::Ste& ste, const Master& m, arch::S1Dss dss) {
  const CdTable& t = *m.cd_table();
  ste.config = static_cast<uint8_t>(arch::SteConfig::kS1);
  ste.s1fmt = t.s1fmt();
  ste.s1cdmax = static_cast<uint8_t>(t.ssid_bits());
  ste.s1dss = t.ssid_bits() ? static_cast<uint8_t>(dss) : 0;  // ignored with one CD
  ste.s1_context_ptr = t.base_pa();
  ste.s1cir = ste.s1cor = kCacheWb;
  ste.s1csh = kShIsh;
  ste.s2vmid = 0;  // stage-1 entries are tagged with VMID 0 (TLBI_NH_* use it)
}

EntryWords Iommu::build_ste(const Master& m, const Domain& d, const std::optional<IotlbTag>& tag,
                            bool ats) const {
  arch::Ste ste;
  ste.valid = true;
  const bool pasids = !m.pasids_.empty();
  switch (d.type()) {
    case DomainType::kSva:  // bound at PASIDs only: attach refuses it
    case DomainType::kBlocked:
      if (pasids)
        set_cd_table(ste, m, arch::S1Dss::kTerminate);
      else
        ste.config = static_cast<uint8_t>(arch::SteConfig::kAbort);
      break;
    case DomainType::kIdentity:
      if (pasids)
        set_cd_table(ste, m, arch::S1Dss::kBypass);
      else
        ste.config = static_cast<uint8_t>(arch::SteConfig::kBypass);
      break;
    case DomainType::kS1Paging:
      set_cd_table(ste, m, arch::S1Dss::kSubstream0);
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
  const bool was_s1 = plan.old_domain && plan.old_domain->type() == DomainType::kS1Paging;
  // The CD first: a live one (the STE already uses the table) changes hitlessly.
  if (d.type() == DomainType::kS1Paging) write_cd(m, 0, build_cd(d, *plan.new_tag));
  const EntryWords ste = build_ste(m, d, plan.new_tag, plan.new_ats);
  for (uint32_t sid : m.sids()) smmu.write_ste(sid, ste);
  // The STEs no longer use CD 0: clear it so a stale ASID never outlives its tag.
  if (was_s1 && d.type() != DomainType::kS1Paging) write_cd(m, 0, EntryWords{});
  if (plan.new_ats && !plan.old_ats) {
    // Nothing from an earlier ATS session may survive into this one.
    atc_inv_master(m);
    if (m.cfg_.set_ats_enable) m.cfg_.set_ats_enable(true);
  }
}

void Iommu::atc_inv_master(Master& m, uint32_t ssid) {
  CommandQueue::Batch b(m.smmu().cpu_cmdq());
  for (uint32_t sid : m.sids()) b.add(atc_inv_command(sid, ssid, 0, 0));
  b.submit(true);
}

void Iommu::flush_and_free_tag(SmmuDevice& smmu, const IotlbTag& tag, bool owned_by_vsmmu) {
  const arch::Command c = tag_flush_command(tag, smmu.handle().e2h);
  smmu.cpu_cmdq().issue_and_wait(&c, 1, true);
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
  if (old && takes_invalidations(*old)) purge(*old);
}

void Iommu::purge(Domain& d) {
  DomainInvs& invs = *d.invs();
  try {
    if (std::unique_ptr<InvArray> purged = InvArray::purge(os_, invs.locked())) {
      invs.replace(std::move(purged));
      stats_.purges.fetch_add(1);
    }
  } catch (const std::bad_alloc&) {
    // The trash stays; readers skip it and the next merge drops it.
  }
}

SmmuStatus Iommu::attach(Master& m, Domain& d) {
  if (d.type() == DomainType::kSva) return SmmuStatus::kInvalidArgument;  // PASIDs only
  LockGuard g(*attach_lock_);
  if (m.domain_ == &d) return SmmuStatus::kOk;
  AttachPlan plan;
  SmmuStatus st = prepare(m, d, plan);
  if (st != SmmuStatus::kOk) {
    plan.merged.reset();
    if (plan.tag_acquired) give_back_tag(m.smmu(), d);
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

// --- PASIDs

// The STEs for the RID domain as the master stands (its PASIDs decide the form), and
// the device's ATS switched on first or off after, as attach does.
void Iommu::write_rid_ste(Master& m, bool ats) {
  Domain& rid = m.domain_ ? *m.domain_ : *blocked_;
  const EntryWords ste = build_ste(m, rid, m.tag_, ats);
  for (uint32_t sid : m.sids()) m.smmu().write_ste(sid, ste);
  if (ats && !m.ats_enabled_) {
    atc_inv_master(m);
    if (m.cfg_.set_ats_enable) m.cfg_.set_ats_enable(true);
  }
}

SmmuStatus Iommu::attach_pasid(Master& m, uint32_t ssid, Domain& d) {
  LockGuard g(*attach_lock_);
  if (ssid == 0 || (ssid >> m.ssid_bits_) != 0 || !uses_asid(d) ||
      (d.type() == DomainType::kSva && !d.mm()))
    return SmmuStatus::kInvalidArgument;
  if (m.domain_ && (m.domain_->type() == DomainType::kS2Paging || m.domain_->type() == DomainType::kNested))
    return SmmuStatus::kBusy;
  auto it = m.pasids_.find(ssid);
  const bool replacing = it != m.pasids_.end();
  if (replacing && it->second.domain == &d) return SmmuStatus::kOk;
  SmmuStatus st = check_compatible(m.smmu(), d);
  if (st != SmmuStatus::kOk) {
    stats_.attach_failures.fetch_add(1);
    return st;
  }
  SmmuDevice& smmu = m.smmu();
  const std::optional<IotlbTag> tag = acquire_tag(smmu, d);
  if (!tag) {
    stats_.attach_failures.fetch_add(1);
    return SmmuStatus::kTagExhausted;
  }
  // With a PASID in use the master runs with ATS on when it can (see attach).
  const bool ats = m.ats_capable();
  MasterInvSpec spec;
  fill_master_spec(m, d, tag, ats, spec);
  spec.ssid = ssid;
  std::unique_ptr<InvArray> merged;
  st = SmmuStatus::kNoMemory;
  if (build_master_invs(m.scratch_, spec)) {
    try {
      merged = InvArray::merge(os_, d.invs()->locked(), m.scratch_.span());
      if (!replacing) m.pasids_.emplace(ssid, Master::PasidAttachment{});
      st = ensure_cd(m, ssid);
    } catch (const std::bad_alloc&) {
    }
  }
  if (st != SmmuStatus::kOk) {
    if (!replacing) m.pasids_.erase(ssid);
    give_back_tag(smmu, d);
    stats_.attach_failures.fetch_add(1);
    return st;
  }
  const Master::PasidAttachment old = m.pasids_[ssid];
  m.pasids_[ssid] = {&d, *tag};
  // New array, then the CD (an invalidation that starts after it finds this PASID).
  d.invs()->replace(std::move(merged));
  write_cd(m, ssid, build_cd(d, *tag));
  if (m.pasids_.size() == 1 && !replacing &&
      !(m.domain_ && m.domain_->type() == DomainType::kS1Paging)) {
    // The first PASID of a blocked or identity master: its STEs take the CD table.
    write_rid_ste(m, ats);
    m.ats_enabled_ = ats;
  }
  d.masters_.fetch_add(1);
  if (old.domain) {
    old.domain->masters_.fetch_sub(1);
    remove_pasid(m, *old.domain, old.tag, ssid, false);
  }
  stats_.pasid_attaches.fetch_add(1);
  return SmmuStatus::kOk;
}

void Iommu::detach_pasid(Master& m, uint32_t ssid) {
  LockGuard g(*attach_lock_);
  auto it = m.pasids_.find(ssid);
  if (it == m.pasids_.end()) return;
  const Master::PasidAttachment old = it->second;
  // PASID traffic faults from here on (C_BAD_CD: the CD is invalid).
  write_cd(m, ssid, EntryWords{});
  m.pasids_.erase(it);
  bool ats_off = false;
  if (m.pasids_.empty() && !(m.domain_ && m.domain_->type() == DomainType::kS1Paging)) {
    // The last PASID of a blocked or identity master: back to its plain STEs, ATS off.
    ats_off = m.ats_enabled_;
    write_rid_ste(m, false);
    m.ats_enabled_ = false;
  }
  old.domain->masters_.fetch_sub(1);
  remove_pasid(m, *old.domain, old.tag, ssid, ats_off);
  stats_.pasid_detaches.fetch_add(1);
}

void Iommu::remove_pasid(Master& m, Domain& old, const IotlbTag& tag, uint32_t ssid, bool ats_off) {
  const bool ats = m.ats_capable();  // what attach_pasid built the entries with
  MasterInvSpec spec;
  fill_master_spec(m, old, tag, ats, spec);
  spec.ssid = ssid;
  build_master_invs(m.scratch_, spec);  // cannot run out of room: sized for it
  old.invs()->locked().unref(m.scratch_);
  // unref waited out every reader issuing ATC invalidations of the old array.
  if (ats_off) {
    if (m.cfg_.set_ats_enable) m.cfg_.set_ats_enable(false);
    atc_inv_master(m);
  } else if (ats) {
    atc_inv_master(m, ssid);
  }
  if (const std::optional<IotlbTag> last = m.smmu().tags().release(&old, TagType::kAsid))
    flush_and_free_tag(m.smmu(), *last, false);
  purge(old);
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

// SPDX-License-Identifier: Apache-2.0
#include "driver/domain.h"

#include "driver/iommu.h"

namespace smmu::driver {

const char* to_string(DomainType t) {
  switch (t) {
    case DomainType::kBlocked: return "blocked";
    case DomainType::kIdentity: return "identity";
    case DomainType::kS1Paging: return "s1";
    case DomainType::kS2Paging: return "s2";
    case DomainType::kNested: return "nested";
    case DomainType::kSva: return "sva";
  }
  return "unknown";
}

Domain::Domain(Iommu& iommu, DomainType type) : iommu_(iommu), os_(iommu.os()), type_(type) {}

Domain::~Domain() {
  if (mm_ && notifier_) mm_->unregister_notifier(*notifier_);
}

// The process changed [start, end): its entries are cleared and tables may have been
// unlinked, so walk caches go too (leaf = false), on every SMMU the domain is bound
// through, ATCs of its PASIDs included, before the process reuses the pages.
void Domain::SvaNotifier::invalidate_range(uint64_t start, uint64_t end) {
  if (end <= start) return;
  d_.inv_range(InvRange::range(start, end - start, ProcessMm::kPageSize, false));
}

// The address space is going away: nothing of it may stay cached. Its PASIDs should have
// been detached before; the CDs of any still bound point at tables about to be freed.
void Domain::SvaNotifier::release() {
  d_.inv_range(InvRange::all());
  d_.mm_ = nullptr;
}

DomainInvs* Domain::invs() const {
  if (type_ == DomainType::kNested) return vsmmu_ ? vsmmu_->parent().invs_.get() : nullptr;
  return invs_.get();
}

PgtableStatus Domain::map(uint64_t iova, uint64_t pa, uint64_t size, const IommuProt& prot) {
  if (!is_paging()) return PgtableStatus::kInvalidArgument;
  LockGuard g(*pgtable_lock_);
  return pgtable_->map(iova, pa, size, prot);
}

Domain::UnmapOutcome Domain::unmap(uint64_t iova, uint64_t size) {
  UnmapOutcome out;
  Gather gather;
  out.pgtable = unmap_noflush(iova, size, gather);
  if (gather.empty()) return out;
  if (gather.size()) {
    InvRange r = InvRange::range(gather.start, gather.size(), gather.granule(), gather.leaf);
    r.one_level = gather.leaf_shift == gather.max_leaf_shift;
    out.inv = inv_range(r);
  }
  // A walk may still be using the unlinked tables until the invalidation has completed;
  // when it did not complete, they are never reused (leaked rather than corrupted).
  if (out.inv == SmmuStatus::kOk) free_gathered_tables(os_, gather);
  return out;
}

UnmapResult Domain::unmap_noflush(uint64_t iova, uint64_t size, Gather& gather) {
  if (!is_paging()) return UnmapResult{PgtableStatus::kInvalidArgument, 0};
  LockGuard g(*pgtable_lock_);
  return pgtable_->unmap(iova, size, gather);
}

SmmuStatus Domain::inv_range(uint64_t iova, uint64_t size, uint64_t granule, bool leaf) {
  return inv_range(InvRange::range(iova, size, granule, leaf));
}

SmmuStatus Domain::inv_range(const InvRange& r) {
  if (!is_paging() && type_ != DomainType::kSva) return SmmuStatus::kInvalidArgument;
  if (!r.whole() && (r.granule < 4096 || (r.granule & (r.granule - 1)) != 0))
    return SmmuStatus::kInvalidArgument;
  inv_stats_.calls.fetch_add(1, std::memory_order_relaxed);
  SmmuStatus st = SmmuStatus::kOk;
  invs_->with_invs([&](const InvArray& invs) { st = iommu_.issue_invalidation(invs, r, inv_stats_); });
  if (st != SmmuStatus::kOk) inv_stats_.failures.fetch_add(1, std::memory_order_relaxed);
  return st;
}

}  // namespace smmu::driver

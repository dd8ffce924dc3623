// SPDX-License-Identifier: Apache-2.0
// An IOMMU domain: what a master's DMA is translated by. Paging domains own a page
// table (stage 1 or stage 2) and the invalidation array that says which SMMU instances
// and which ASIDs, VMIDs and ATCs hold translations of it; one domain may be attached
// to masters behind several SMMU instances (one page table in memory, a tag per
// instance). Blocked and identity domains have neither. A nested domain is a guest's
// stage-1 configuration (its vSTE) behind a vSMMU, over the vSMMU's nesting-parent S2
// domain: its invalidation entries live in the parent's array. An SVA domain is a
// process's address space (process_mm.h) bound at PASIDs: its stage-1 table is the
// process's, its ASIDs are per SMMU as for stage-1 domains, and it invalidates through
// its array whenever the process's MMU notifier says a range changed.
//
// Domains are created and attached through the Iommu (iommu.h). map/unmap/inv_range
// may run on any CPU at any time, concurrently with attach and detach of the domain.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>

#include "driver/command_queue.h"
#include "driver/invalidation_array.h"
#include "driver/invalidation_commands.h"
#include "driver/io_pgtable.h"
#include "driver/os.h"
#include "driver/process_mm.h"
#include "rtl_model/arch/ste.h"

namespace smmu::driver {

class Iommu;
class Vsmmu;

enum class DomainType : uint8_t { kBlocked, kIdentity, kS1Paging, kS2Paging, kNested, kSva };
const char* to_string(DomainType t);

struct PagingDomainConfig {
  PgtableStage stage = PgtableStage::kS1;
  unsigned granule_shift = 12;  // 12, 14, 16
  unsigned ias = 48;            // input address bits
  unsigned oas = 48;            // output address bits
  bool nest_parent = false;     // stage 2 only: may be a vSMMU's parent (S1 entries cleared too)
  bool free_empty_tables = true;  // IoPgtableConfig's: false for DMA API domains in lazy mode
};

// Invalidations a domain has asked for (figures and tests).
struct DomainInvStats {
  std::atomic<uint64_t> calls{0};    // inv_range / inv_all calls
  std::atomic<uint64_t> batches{0};  // batches handed to command queues
  std::atomic<uint64_t> syncs{0};    // of them, ending with CMD_SYNC
  std::atomic<uint64_t> failures{0}; // calls that got an error from a command queue
};

class Domain {
 public:
  ~Domain();
  Domain(const Domain&) = delete;
  Domain& operator=(const Domain&) = delete;

  DomainType type() const { return type_; }
  bool is_paging() const { return type_ == DomainType::kS1Paging || type_ == DomainType::kS2Paging; }
  bool nest_parent() const { return cfg_.nest_parent; }
  const PagingDomainConfig& config() const { return cfg_; }
  IoPgtable* pgtable() const { return pgtable_.get(); }  // paging domains
  Vsmmu* vsmmu() const { return vsmmu_; }                // nested domains
  const arch::Ste& guest_ste() const { return guest_ste_; }  // nested domains
  ProcessMm* mm() const { return mm_; }                       // SVA domains (nullptr once released)
  // Paging, SVA: its own array. Nested: the parent's. Blocked/identity: none (nullptr).
  DomainInvs* invs() const;
  unsigned attached_masters() const { return masters_.load(); }

  // --- page table (paging domains; kInvalidArgument otherwise)
  // Maps [iova, iova + size) to pa. No invalidation: nothing caches an invalid entry.
  PgtableStatus map(uint64_t iova, uint64_t pa, uint64_t size, const IommuProt& prot);
  struct UnmapOutcome {
    UnmapResult pgtable;
    SmmuStatus inv = SmmuStatus::kOk;
  };
  // Unmaps, invalidates what was unmapped on every SMMU, ATC included, and only then
  // frees the tables that became empty.
  UnmapOutcome unmap(uint64_t iova, uint64_t size);
  // Unmaps without invalidating (lazy DMA unmaps, dma_api.h): `gather` says what must be
  // invalidated and holds the tables to free; until the caller has invalidated (inv_all
  // or the gathered range) the SMMUs may still use the old entries and tables.
  UnmapResult unmap_noflush(uint64_t iova, uint64_t size, Gather& gather);

  // domain_inv_range: invalidates [iova, iova + size) (leaf: only leaf entries changed)
  // wherever the array says this domain is cached, batched per SMMU as
  // invalidation_commands.h says, waiting per SMMU or all SMMUs at once as the Iommu's
  // options say. size 0: everything of the domain.
  SmmuStatus inv_range(uint64_t iova, uint64_t size, uint64_t granule, bool leaf);
  SmmuStatus inv_range(const InvRange& r);  // paging and SVA domains
  SmmuStatus inv_all() { return inv_range(InvRange::all()); }

  const DomainInvStats& inv_stats() const { return inv_stats_; }

 private:
  friend class Iommu;
  Domain(Iommu& iommu, DomainType type);

  Iommu& iommu_;
  Os& os_;
  DomainType type_;
  PagingDomainConfig cfg_;
  std::unique_ptr<IoPgtable> pgtable_;
  std::unique_ptr<Lock> pgtable_lock_;  // serializes map/unmap on the page table
  std::unique_ptr<DomainInvs> invs_;
  Vsmmu* vsmmu_ = nullptr;
  arch::Ste guest_ste_;
  // SVA: the process's address space and the notifier through which it invalidates.
  class SvaNotifier final : public MmuNotifier {
   public:
    explicit SvaNotifier(Domain& d) : d_(d) {}
    void invalidate_range(uint64_t start, uint64_t end) override;
    void release() override;

   private:
    Domain& d_;
  };
  ProcessMm* mm_ = nullptr;
  std::unique_ptr<SvaNotifier> notifier_;
  std::atomic<unsigned> masters_{0};
  DomainInvStats inv_stats_;
};

}  // namespace smmu::driver

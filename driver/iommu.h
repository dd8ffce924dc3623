// SPDX-License-Identifier: Apache-2.0
// The driver's top level: the SMMU instances it manages, the domains, masters and
// vSMMUs, and the attach sequence that moves a master from one domain to another.
//
// Attach (one at a time, under the attach mutex), as the seed patches do it:
//   1. check the domain can be used by the master's SMMU (stage, granule, address sizes);
//   2. find or allocate the domain's IOTLB tag on that SMMU (ASID for stage 1, VMID for
//      stage 2; a nested domain uses its vSMMU's VMID);
//   3. build the master's invalidation entries (into its preallocated scratch list) and
//      merge them into a new copy of the new domain's array; allocate the master's CD
//      table at its first stage-1 attach;
//   -- any failure so far is unwound: the new array is dropped, the tag given back;
//   4. publish the new domain's array (RCU), so that an invalidation of the new domain
//      that starts after the STE write reaches this master;
//   5. write the CD and the STEs (hitless where possible; CFGI + CMD_SYNC per step);
//      enable ATS on the device when it goes on, invalidate its ATC when it stays on;
//   6. unref the master's entries in the old domain's array (in place, cannot fail; it
//      waits out readers issuing ATC invalidations), disable ATS on the device when it
//      goes off; flush every tag whose last user this was (TLBI by ASID or VMID +
//      CMD_SYNC) and free it (a vSMMU's VMID is flushed but kept);
//   7. purge the old array's trash (a new copy; left as it is when there is none).
// Attaching to the blocked or identity domain skips 2-3 and allocates nothing.
//
// At a PASID (attach_pasid, the seeds' set_dev_pasid): the same steps for one CD of the
// master's CD table, the entries built with the SSID (its ATS entries are ATC_INV with
// SSV and that SSID); the CD is written with CFGI_CD of that SSID. While any PASID is in
// use the STEs point at the CD table whatever the RID domain is: stage 1 with CD 0 for
// traffic without PASID (S1DSS = 0b10), or S1DSS bypass (identity) or terminate
// (blocked), and ATS on when the master can do it (a PASID may use it; IHI 0070 §13.6.4
// lets ATS of the RID skip stage 1 under S1DSS bypass). detach_pasid blocks the PASID:
// the CD cleared, the old domain's entries unreffed, the PASID's ATC entries
// invalidated, and the STEs back to the RID domain's plain form when it was the last.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <optional>
#include <vector>

#include "driver/command_queue.h"
#include "driver/domain.h"
#include "driver/master.h"
#include "driver/os.h"
#include "driver/smmu_device.h"
#include "driver/vsmmu.h"

namespace smmu::driver {

struct IommuOptions {
  // Invalidation across several SMMUs: issue every SMMU's batch (with its CMD_SYNC)
  // first and then wait for all of them, instead of waiting on each SMMU in turn.
  bool inv_all_then_wait = false;
};

struct IommuStats {
  std::atomic<uint64_t> attaches{0}, attach_failures{0};
  std::atomic<uint64_t> tags_allocated{0}, tags_flushed{0}, tags_freed{0};
  std::atomic<uint64_t> purges{0};
  std::atomic<uint64_t> pasid_attaches{0}, pasid_detaches{0};
};

class Iommu {
 public:
  explicit Iommu(Os& os, const IommuOptions& opts = {});
  ~Iommu();
  Iommu(const Iommu&) = delete;
  Iommu& operator=(const Iommu&) = delete;

  // An instance the driver manages: probed and reset by the caller. Not owned; it must
  // outlive every master and domain that uses it.
  void add_smmu(SmmuDevice& smmu);
  const std::vector<SmmuDevice*>& smmus() const { return smmus_; }

  // --- domains
  Domain& blocked_domain() { return *blocked_; }
  Domain& identity_domain() { return *identity_; }
  // A paging domain; its page table is allocated at once. kInvalidArgument for a bad
  // configuration (a nesting parent that is not stage 2, a geometry io-pgtable refuses),
  // kNoMemory.
  SmmuStatus alloc_paging_domain(const PagingDomainConfig& cfg, std::unique_ptr<Domain>& out);
  // A guest's stage-1 configuration behind `vsmmu`. guest_ste: V, Config (abort, bypass
  // or stage-1 translate), S1ContextPtr, S1Fmt, S1CDMax, S1DSS, S1CIR/COR/CSH, EATS;
  // the rest must be zero. kInvalidArgument otherwise.
  SmmuStatus alloc_nested_domain(Vsmmu& vsmmu, const arch::Ste& guest_ste,
                                 std::unique_ptr<Domain>& out);
  // An SVA domain over the process's address space (registers its MMU notifier); bind it
  // with attach_pasid. The mm must outlive the domain, or release it first (notifier).
  SmmuStatus alloc_sva_domain(ProcessMm& mm, std::unique_ptr<Domain>& out);
  // kBusy while masters are attached (the domain is kept); else frees it.
  SmmuStatus free_domain(std::unique_ptr<Domain>& domain);

  // --- vSMMUs: `parent` must be a nesting-parent S2 domain the SMMU can use.
  SmmuStatus alloc_vsmmu(SmmuDevice& smmu, Domain& parent, std::unique_ptr<Vsmmu>& out);
  // kBusy while it has nested domains; else frees its VMID and it.
  SmmuStatus free_vsmmu(std::unique_ptr<Vsmmu>& vsmmu);

  // --- masters
  // Sorts and checks the stream IDs, makes their STEs exist (aborting or bypassing per
  // the SMMU's options) and allocates the scratch list. The master starts unattached.
  SmmuStatus probe_master(SmmuDevice& smmu, const MasterConfig& cfg, std::unique_ptr<Master>& out);
  // Attaches the master to its release domain (identity when it requires direct
  // mappings, else blocked), then frees it.
  void release_master(std::unique_ptr<Master>& master);

  // The attach sequence above. On an error the master stays attached as it was.
  // kInvalidArgument for an SVA domain (it is bound at PASIDs).
  // kBusy for a stage-2 or nested domain while PASIDs are in use (their STEs need the
  // CD table).
  SmmuStatus attach(Master& master, Domain& domain);

  // A stage-1 or SVA domain at PASID ssid (1 .. 2^ssid_bits - 1) of the master; replaces
  // what was attached there. kInvalidArgument for a bad SSID or another domain type;
  // kBusy while the RID domain is stage 2 or nested; kTagExhausted, kNoMemory.
  SmmuStatus attach_pasid(Master& master, uint32_t ssid, Domain& domain);
  // Blocks PASID ssid (nothing attached there afterwards). Cannot fail.
  void detach_pasid(Master& master, uint32_t ssid);

  const IommuOptions& options() const { return opts_; }
  void set_inv_all_then_wait(bool on) { opts_.inv_all_then_wait = on; }
  const IommuStats& stats() const { return stats_; }
  Os& os() { return os_; }

 private:
  friend class Domain;
  friend class Vsmmu;

  struct AttachPlan;
  SmmuStatus check_compatible(const SmmuDevice& smmu, const Domain& domain) const;
  // The domain's tag on the SMMU, found or allocated (counted when new); given back after
  // a failed attach.
  std::optional<IotlbTag> acquire_tag(SmmuDevice& smmu, const Domain& d);
  void give_back_tag(SmmuDevice& smmu, const Domain& d);
  SmmuStatus prepare(Master& m, Domain& d, AttachPlan& plan);
  void write_entries(Master& m, Domain& d, AttachPlan& plan);
  void remove_old(Master& m, AttachPlan& plan);
  void flush_and_free_tag(SmmuDevice& smmu, const IotlbTag& tag, bool owned_by_vsmmu);
  bool fill_master_spec(const Master& m, const Domain& d, const std::optional<IotlbTag>& tag,
                        bool ats, MasterInvSpec& spec) const;
  EntryWords build_ste(const Master& m, const Domain& d, const std::optional<IotlbTag>& tag,
                       bool ats) const;
  EntryWords build_cd(const Domain& d, const IotlbTag& tag) const;
  // The master's CD table (made at its first stage-1 use) and the CD of ssid in it.
  SmmuStatus ensure_cd(Master& m, uint32_t ssid);
  void write_cd(Master& m, uint32_t ssid, const EntryWords& cd);
  void sync_cd(Master& m, uint32_t ssid, bool leaf);
  void purge(Domain& d);
  // Attach at a PASID, after the new domain's CD: the old one's entries unreffed, the
  // PASID's ATC entries invalidated (all of the master's when ats_off turns ATS off),
  // its tag flushed and freed when this was its last user, its array purged.
  void remove_pasid(Master& m, Domain& old, const IotlbTag& tag, uint32_t ssid, bool ats_off);
  void write_rid_ste(Master& m, bool ats);
  void atc_inv_master(Master& m, uint32_t ssid = 0);
  SmmuStatus issue_invalidation(const InvArray& invs, const InvRange& r, DomainInvStats& stats);

  Os& os_;
  IommuOptions opts_;
  std::vector<SmmuDevice*> smmus_;
  std::unique_ptr<Lock> attach_lock_;
  std::unique_ptr<Domain> blocked_, identity_;
  IommuStats stats_;
};

}  // namespace smmu::driver

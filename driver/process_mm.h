// SPDX-License-Identifier: Apache-2.0
// A process address space as the CPU's MMU sees it, for SVA (a device walking the
// process's own stage-1 tables through a PASID, IHI 0070 §3.4 / §5.4 CD). Not the DMA
// io-pgtable: this is the table a kernel builds for TTBR0_EL1 of one process.
//
// Format (Arm ARM D8, VMSAv8-64): 4 KiB granule, 48-bit VA (TCR_EL1.T0SZ = 16), so the
// walk starts at level 0 and takes 4 levels (D8.2, "Translation table walks"); TTBR0
// region only (VA[63:48] zero; the TTBR1 half is disabled, EPD1 = 1). Only level-3 page
// descriptors are written, no blocks. Every page is EL0 user data (D8.3 descriptor
// formats, D8.4 access permissions): AP[1] = 1 (EL0 access), AP[2] = 1 when read-only,
// UXN = !exec, PXN = 1 (the kernel never executes user pages), nG = 1 (tagged by the
// process's ASID), AF = 1 (no access-flag faults), SH = inner shareable, AttrIndx naming
// Normal write-back memory in kMair (D8.6 memory region attributes).
//
// Table pages come from Os::dma_alloc (4 KiB aligned, zeroed) and are written with
// Os::write64 (single-copy atomic), with dma_wmb wherever a device may walk them next.
//
// Unmapping follows break-before-make (Arm ARM D8, TLB maintenance; IHI 0070 §3.21.1.1
// for the SMMU's view of table updates): the entries are cleared, every
// registered MMU notifier's invalidate_range() runs (the SMMU driver invalidates its TLBs
// and walk caches there, synchronously, on the unmapping CPU), and only then are the
// pages released and the table pages that became empty freed. The old pages are thus
// never reused while a device may still translate to them.
//
// Anonymous memory: mmap_anonymous() backs a range with pages from the process's own
// pool (pages it took with dma_alloc and got back from unmaps), zeroed; unmap() returns
// them to the pool; remap() replaces them with other zeroed pages (as migration or
// copy-on-write would). Pages mapped with map() belong to the caller and are never freed.
//
// Concurrency: map/unmap/remap/lookup serialize on the mm's mutex (as mmap_lock would).
// The notifier list has a mutex of its own, held while notifiers run, so that once
// unregister_notifier() returns the notifier is never called again and may be freed.
// Notifiers run with the mm mutex held: they must not call back into this mm. Lock order
// is mm mutex -> notifier mutex -> whatever invalidate_range() takes, so register and
// unregister must not be called holding a lock that invalidate_range() takes.
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <unordered_map>
#include <vector>

#include "driver/os.h"
#include "rtl_model/arch/cd.h"
#include "rtl_model/arch/descriptor.h"

namespace smmu::driver {

// What a secondary MMU (an SMMU translating for this process) implements to stay
// coherent with the process's tables, as Linux's mmu_notifier does.
class MmuNotifier {
 public:
  virtual ~MmuNotifier() = default;
  // [start, end) is no longer mapped as it was: its entries are already cleared (and
  // table pages covering it may be unlinked), its pages not yet released. Return only
  // once no TLB or walk cache entry for the range can be used any more.
  virtual void invalidate_range(uint64_t start, uint64_t end) = 0;
  // The mm goes away: stop translating through it. Runs once, after which the notifier
  // is detached; do not call unregister_notifier() from here.
  virtual void release() = 0;
};

// Permissions of a user mapping; user data is always readable.
struct UserProt {
  bool write = true;
  bool exec = false;  // EL0 execute (UXN = 0)
};

enum class MmStatus : uint8_t { kOk, kInvalidArgument, kNoMemory, kAlreadyMapped, kNotMapped };
const char* to_string(MmStatus s);

struct ProcessMmConfig {
  uint16_t asid = 1;      // the CPU ASID of the process (the CD's ASID for SVA)
  unsigned pa_bits = 48;  // physical address size: 32, 36, 40, 42, 44 or 48 (TCR.IPS)
};

struct MmUnmapResult {
  MmStatus status = MmStatus::kOk;
  uint64_t unmapped = 0;  // bytes that were mapped in the range
};

// A page found by lookup().
struct UserPage {
  uint64_t pa = 0;    // output address of the looked-up VA (page base | offset)
  uint64_t desc = 0;  // the level-3 page descriptor
};

class ProcessMm {
 public:
  static constexpr unsigned kVaBits = 48;
  static constexpr unsigned kPageShift = 12;
  static constexpr uint64_t kPageSize = uint64_t{1} << kPageShift;
  // MAIR_EL1 of the process (Arm ARM D8.6, MAIR encodings): Attr0 Device-nGnRnE,
  // Attr1 Normal inner/outer write-back non-transient read/write-allocate, Attr2 Normal
  // non-cacheable. User pages use Attr1.
  static constexpr uint64_t kMair = 0x44'ff'00;
  static constexpr uint8_t kNormalAttrIndx = 1;

  // Throws std::invalid_argument naming the bad field; nullptr when the level-0 table
  // cannot be allocated.
  static std::unique_ptr<ProcessMm> create(Os& os, const ProcessMmConfig& cfg);
  // Calls release() on every registered notifier, then frees the tables, the anonymous
  // pages and the pool.
  ~ProcessMm();
  ProcessMm(const ProcessMm&) = delete;
  ProcessMm& operator=(const ProcessMm&) = delete;

  // Maps [va, va + size) to the caller's [pa, pa + size) (page aligned, size > 0, inside
  // the VA and PA sizes). kAlreadyMapped when any page is mapped, kNoMemory when tables
  // cannot be allocated; nothing changes unless kOk.
  MmStatus map(uint64_t va, uint64_t pa, uint64_t size, const UserProt& prot);
  // Maps [va, va + size) to zeroed pages of the process's own (pool first, then
  // dma_alloc). Same failures as map(); nothing changes unless kOk.
  MmStatus mmap_anonymous(uint64_t va, uint64_t size, const UserProt& prot);
  // Unmaps whatever is mapped in [va, va + size) (holes are fine): clears the entries,
  // runs the notifiers for the range (not when nothing was mapped), then frees the table
  // pages that became empty and returns anonymous pages to the pool.
  MmUnmapResult unmap(uint64_t va, uint64_t size);
  // Gives every page of [va, va + size) new zeroed pages with the same permissions
  // (break-before-make: clear, notify, write the new entries, release the old pages).
  // kNotMapped unless the whole range is anonymous memory; nothing changes unless kOk.
  MmStatus remap(uint64_t va, uint64_t size);

  std::optional<UserPage> lookup(uint64_t va) const;

  // A notifier registered twice is called once; unregister returns whether it was there.
  void register_notifier(MmuNotifier& n);
  bool unregister_notifier(MmuNotifier& n);

  // --- what the SMMU's CD needs (IHI 0070 §5.4; each is the TCR_EL1 field of that name)
  uint64_t ttbr0() const { return root_; }  // level-0 table base PA (TTBR0_EL1.BADDR)
  uint16_t asid() const { return cfg_.asid; }
  uint8_t t0sz() const { return 64 - kVaBits; }
  uint8_t tg0() const { return 0; }    // 4 KiB
  uint8_t irgn0() const { return 1; }  // walks: inner write-back read/write-allocate
  uint8_t orgn0() const { return 1; }  // outer write-back read/write-allocate
  uint8_t sh0() const { return 3; }    // inner shareable
  uint8_t ips() const { return ips_; }
  bool epd1() const { return true; }   // no TTBR1 half: its walks fault
  uint64_t mair() const { return kMair; }
  // The CD's translation fields: TTB0, T0SZ, TG0, IRGN0, ORGN0, SH0, EPD0 = 0, EPD1 = 1,
  // IPS, AA64, MAIR. ASID, V and the fault controls are the caller's.
  void fill_cd(arch::Cd& cd) const;

  // For tests and statistics; not locked.
  size_t table_count() const { return tables_.size(); }  // level-0 table included
  size_t pool_pages() const { return pool_.size(); }
  size_t anonymous_pages() const { return anon_.size(); }

 private:
  struct TableInfo {
    int level = 0;
    unsigned valid = 0;  // valid descriptors in the table
  };
  struct MapPass;
  struct UnmapPass;

  ProcessMm(Os& os, const ProcessMmConfig& cfg, uint8_t ips);

  bool range_ok(uint64_t va, uint64_t size) const;
  static uint64_t index(uint64_t va, int level);
  static arch::S1LeafAttrs page_attributes(const UserProt& prot);
  void write_entry(uint64_t table, uint64_t slot, uint64_t old_desc, uint64_t desc);
  uint64_t leaf_slot(uint64_t va) const;  // 0 when a table on the way is missing

  MmStatus map_locked(uint64_t va, uint64_t size, const arch::S1LeafAttrs& attrs, uint64_t pa,
                      std::vector<uint64_t>* pages);
  MmStatus map_level(uint64_t table, int level, uint64_t va, uint64_t end, MapPass& pass);
  void unmap_level(uint64_t table, int level, uint64_t va, uint64_t end, UnmapPass& pass);
  bool take_pages(size_t n, std::vector<uint64_t>& pages);
  void notify(uint64_t start, uint64_t end);

  Os& os_;
  ProcessMmConfig cfg_;
  uint8_t ips_ = 0;
  uint64_t root_ = 0;
  std::unique_ptr<Lock> mm_lock_;
  std::unique_ptr<Lock> notifier_lock_;
  std::vector<MmuNotifier*> notifiers_;
  std::unordered_map<uint64_t, TableInfo> tables_;  // by physical address
  std::map<uint64_t, uint64_t> anon_;                // anonymous pages: VA -> PA
  std::vector<uint64_t> pool_;                       // free pages of the process
};

}  // namespace smmu::driver

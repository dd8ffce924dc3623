// SPDX-License-Identifier: Apache-2.0
#include "driver/process_mm.h"

#include <algorithm>
#include <stdexcept>
#include <string>


namespace smmu::driver {

namespace {

constexpr int kLevels = 4;  // 4 KiB granule, 48-bit VA: levels 0..3 (Arm ARM D8.2)
constexpr unsigned kIndexBits = 9;  // 512 entries of 8 bytes per 4 KiB table
constexpr uint64_t kEntries = uint64_t{1} << kIndexBits;

// VA bits resolved below `level`: a level-L entry maps 2^(12 + 9 * (3 - L)) bytes.
constexpr unsigned level_shift(int level) {
  return ProcessMm::kPageShift + kIndexBits * static_cast<unsigned>(kLevels - 1 - level);
}

constexpr bool page_aligned(uint64_t v) { return (v & (ProcessMm::kPageSize - 1)) == 0; }

constexpr bool is_table(uint64_t desc, int level) {
  return arch::descriptor_type(desc, level) == arch::DescriptorType::kTable;
}

uint64_t next_table(uint64_t desc) { return arch::descriptor_address(desc, ProcessMm::kPageShift); }

}  // namespace

const char* to_string(MmStatus s) {
  switch (s) {
    case MmStatus::kOk: return "ok";
    case MmStatus::kInvalidArgument: return "invalid argument";
    case MmStatus::kNoMemory: return "out of memory";
    case MmStatus::kAlreadyMapped: return "already mapped";
    case MmStatus::kNotMapped: return "not mapped";
  }
  return "unknown";
}

// --- life cycle

std::unique_ptr<ProcessMm> ProcessMm::create(Os& os, const ProcessMmConfig& cfg) {
  // TCR_EL1.IPS encodings 0..5 (32..48 bits); 52 bits needs LPA2 with a 4 KiB granule.
  int ips = -1;
  for (uint8_t ps = 0; ps <= 5; ++ps)
    if (arch::address_size_bits(ps) == cfg.pa_bits) ips = ps;
  if (ips < 0)
    throw std::invalid_argument("process mm pa_bits " + std::to_string(cfg.pa_bits) +
                                ": must be 32, 36, 40, 42, 44 or 48");
  std::unique_ptr<ProcessMm> mm(new ProcessMm(os, cfg, static_cast<uint8_t>(ips)));
  mm->root_ = os.dma_alloc(kPageSize, kPageSize);  // zeroed: every entry invalid
  if (mm->root_ == 0) return nullptr;
  mm->tables_[mm->root_] = TableInfo{0, 0};
  return mm;
}

ProcessMm::ProcessMm(Os& os, const ProcessMmConfig& cfg, uint8_t ips)
    : os_(os), cfg_(cfg), ips_(ips), mm_lock_(os.make_mutex()), notifier_lock_(os.make_mutex()) {}

ProcessMm::~ProcessMm() {
  {
    // As exit_mmap's mmu_notifier_release: every secondary MMU stops using the tables
    // before they are freed.
    LockGuard g(*notifier_lock_);
    for (MmuNotifier* n : notifiers_) n->release();
    notifiers_.clear();
  }
  for (const auto& [va, pa] : anon_) os_.dma_free(pa, kPageSize);
  for (uint64_t pa : pool_) os_.dma_free(pa, kPageSize);
  for (const auto& [pa, info] : tables_) os_.dma_free(pa, kPageSize);
}

// --- encodings

uint64_t ProcessMm::index(uint64_t va, int level) {
  return (va >> level_shift(level)) & (kEntries - 1);
}

// A stage-1 level-3 page descriptor's attributes for EL0 data (Arm ARM D8.3 descriptor
// formats, D8.4 access permissions, D8.6 memory attributes).
arch::S1LeafAttrs ProcessMm::page_attributes(const UserProt& prot) {
  arch::S1LeafAttrs a;
  a.attr_indx = kNormalAttrIndx;
  // AP[1] (bit 6) = 1: EL0 may access; AP[2] (bit 7) = 1: read-only at every EL.
  a.ap = static_cast<uint8_t>((prot.write ? 0 : 2) | 1);
  a.sh = 3;     // inner shareable
  a.af = true;  // the OS sets AF up front: no access-flag faults (no HTTU here)
  a.ng = true;  // non-global: TLB entries are tagged with the process's ASID
  a.uxn = !prot.exec;
  a.pxn = true;  // privileged code never executes user pages
  return a;
}

void ProcessMm::fill_cd(arch::Cd& cd) const {
  cd.t0sz = t0sz();
  cd.tg0 = tg0();
  cd.irgn0 = irgn0();
  cd.orgn0 = orgn0();
  cd.sh0 = sh0();
  cd.epd0 = false;
  cd.epd1 = epd1();
  cd.ips = ips_;
  cd.aa64 = true;
  cd.ttb0 = root_;
  cd.mair = kMair;
}

// --- table bookkeeping

bool ProcessMm::range_ok(uint64_t va, uint64_t size) const {
  return size != 0 && page_aligned(va) && page_aligned(size) && va + size > va &&
         ((va + size - 1) >> kVaBits) == 0;
}

void ProcessMm::write_entry(uint64_t table, uint64_t slot, uint64_t old_desc, uint64_t desc) {
  os_.write64(slot, desc);  // 64-bit single-copy atomic: a walker sees old or new
  TableInfo& info = tables_.at(table);
  if ((old_desc & 1) && !(desc & 1)) --info.valid;
  if (!(old_desc & 1) && (desc & 1)) ++info.valid;
}

uint64_t ProcessMm::leaf_slot(uint64_t va) const {
  uint64_t table = root_;
  for (int level = 0; level < kLevels - 1; ++level) {
    const uint64_t desc = os_.read64(table + index(va, level) * 8);
    if (!is_table(desc, level)) return 0;
    table = next_table(desc);
  }
  return table + index(va, kLevels - 1) * 8;
}

std::optional<UserPage> ProcessMm::lookup(uint64_t va) const {
  if ((va >> kVaBits) != 0) return std::nullopt;
  LockGuard g(*mm_lock_);
  const uint64_t slot = leaf_slot(va);
  if (slot == 0) return std::nullopt;
  const uint64_t desc = os_.read64(slot);
  if (arch::descriptor_type(desc, kLevels - 1) != arch::DescriptorType::kPage) return std::nullopt;
  return UserPage{next_table(desc) | (va & (kPageSize - 1)), desc};
}

// --- map

// The first pass only reads: it finds a mapped page in the way and counts the tables
// the second pass will create, so that map is all-or-nothing.
struct ProcessMm::MapPass {
  bool dry = true;
  size_t tables_needed = 0;
  std::vector<uint64_t> new_tables;
  arch::S1LeafAttrs attrs;
  uint64_t va = 0, pa = 0;                       // contiguous: page at v is pa + (v - va)
  const std::vector<uint64_t>* pages = nullptr;  // or one page per 4 KiB of the range

  uint64_t pa_of(uint64_t v) const {
    const uint64_t off = v - va;
    return pages ? (*pages)[off >> kPageShift] : pa + off;
  }
};

MmStatus ProcessMm::map(uint64_t va, uint64_t pa, uint64_t size, const UserProt& prot) {
  if (!range_ok(va, size) || !page_aligned(pa) || pa + size < pa ||
      ((pa + size - 1) >> cfg_.pa_bits) != 0)
    return MmStatus::kInvalidArgument;
  LockGuard g(*mm_lock_);
  return map_locked(va, size, page_attributes(prot), pa, nullptr);
}

MmStatus ProcessMm::mmap_anonymous(uint64_t va, uint64_t size, const UserProt& prot) {
  if (!range_ok(va, size)) return MmStatus::kInvalidArgument;
  LockGuard g(*mm_lock_);
  std::vector<uint64_t> pages;
  const MmStatus st = map_locked(va, size, page_attributes(prot), 0, &pages);
  if (st != MmStatus::kOk) return st;
  for (size_t i = 0; i < pages.size(); ++i) anon_[va + (uint64_t{i} << kPageShift)] = pages[i];
  return MmStatus::kOk;
}

// n zeroed pages: from the pool (zeroed here, they held a previous mapping's data), then
// from dma_alloc (zeroed already). All or none.
bool ProcessMm::take_pages(size_t n, std::vector<uint64_t>& pages) {
  static const std::vector<unsigned char> kZero(kPageSize, 0);
  while (pages.size() < n) {
    uint64_t pa = 0;
    if (!pool_.empty()) {
      pa = pool_.back();
      pool_.pop_back();
      os_.mem_write(pa, kZero.data(), kZero.size());
    } else {
      pa = os_.dma_alloc(kPageSize, kPageSize);
      if (pa == 0) {
        pool_.insert(pool_.end(), pages.begin(), pages.end());
        pages.clear();
        return false;
      }
    }
    pages.push_back(pa);
  }
  return true;
}

// pages == nullptr: map the caller's contiguous pages from pa; otherwise take one page
// of the process's per 4 KiB into *pages (after the first pass found no overlap).
MmStatus ProcessMm::map_locked(uint64_t va, uint64_t size, const arch::S1LeafAttrs& attrs, uint64_t pa,
                               std::vector<uint64_t>* pages) {
  MapPass pass;
  pass.attrs = attrs;
  pass.va = va;
  pass.pa = pa;
  pass.pages = pages;
  const MmStatus st = map_level(root_, 0, va, va + size, pass);
  if (st != MmStatus::kOk) return st;
  for (size_t i = 0; i < pass.tables_needed; ++i) {
    const uint64_t t = os_.dma_alloc(kPageSize, kPageSize);  // zeroed: every entry invalid
    if (t == 0) break;
    pass.new_tables.push_back(t);
  }
  if (pass.new_tables.size() < pass.tables_needed || (pages && !take_pages(size >> kPageShift, *pages))) {
    for (uint64_t t : pass.new_tables) os_.dma_free(t, kPageSize);
    return MmStatus::kNoMemory;
  }
  pass.dry = false;
  map_level(root_, 0, va, va + size, pass);
  if (!pass.new_tables.empty()) throw std::logic_error("process mm: table count mismatch");
  // The new pages are visible to a device's walker before the caller tells anyone.
  os_.dma_wmb();
  return MmStatus::kOk;
}

// table == 0 (first pass only): a table the second pass creates, still empty.
MmStatus ProcessMm::map_level(uint64_t table, int level, uint64_t va, uint64_t end, MapPass& pass) {
  const uint64_t span = uint64_t{1} << level_shift(level);
  for (uint64_t v = va; v < end;) {
    const uint64_t next = std::min(end, (v & ~(span - 1)) + span);
    const uint64_t slot = table + index(v, level) * 8;
    const uint64_t desc = table ? os_.read64(slot) : 0;
    if (level == kLevels - 1) {
      if (desc & 1) return MmStatus::kAlreadyMapped;
      if (!pass.dry) write_entry(table, slot, desc, arch::make_s1_leaf(pass.pa_of(v), level, pass.attrs));
    } else {
      // Only tables are written above level 3; anything else valid is in the way.
      if ((desc & 1) && !is_table(desc, level)) return MmStatus::kAlreadyMapped;
      uint64_t child = is_table(desc, level) ? next_table(desc) : 0;
      if (child == 0) {
        if (pass.dry) {
          ++pass.tables_needed;
        } else {
          child = pass.new_tables.back();
          pass.new_tables.pop_back();
          tables_[child] = TableInfo{level + 1, 0};
          // The zeroed table reaches the device before the descriptor leading to it.
          os_.dma_wmb();
          write_entry(table, slot, desc, arch::make_table_descriptor(child));
        }
      }
      const MmStatus st = map_level(child, level + 1, v, next, pass);
      if (st != MmStatus::kOk) return st;
    }
    v = next;
  }
  return MmStatus::kOk;
}

// --- unmap

struct ProcessMm::UnmapPass {
  std::vector<std::pair<uint64_t, uint64_t>> cleared;  // (VA, PA) of the pages unmapped
  std::vector<uint64_t> empty_tables;                   // unlinked, to free after notifying
};

MmUnmapResult ProcessMm::unmap(uint64_t va, uint64_t size) {
  if (!range_ok(va, size)) return {MmStatus::kInvalidArgument, 0};
  LockGuard g(*mm_lock_);
  UnmapPass pass;
  unmap_level(root_, 0, va, va + size, pass);
  if (pass.cleared.empty() && pass.empty_tables.empty()) return {MmStatus::kOk, 0};
  // Break: the cleared entries reach the device before its TLBs are invalidated.
  os_.dma_wmb();
  notify(va, va + size);
  // Only now, with no cached translation left anywhere, do pages and tables go.
  for (uint64_t t : pass.empty_tables) os_.dma_free(t, kPageSize);
  for (const auto& [v, pa] : pass.cleared) {
    const auto it = anon_.find(v);
    if (it != anon_.end() && it->second == pa) {
      pool_.push_back(pa);
      anon_.erase(it);
    }
  }
  return {MmStatus::kOk, uint64_t{pass.cleared.size()} << kPageShift};
}

void ProcessMm::unmap_level(uint64_t table, int level, uint64_t va, uint64_t end, UnmapPass& pass) {
  const uint64_t span = uint64_t{1} << level_shift(level);
  for (uint64_t v = va; v < end;) {
    const uint64_t next = std::min(end, (v & ~(span - 1)) + span);
    const uint64_t slot = table + index(v, level) * 8;
    const uint64_t desc = os_.read64(slot);
    if (level == kLevels - 1) {
      if (arch::descriptor_type(desc, level) == arch::DescriptorType::kPage) {
        write_entry(table, slot, desc, 0);
        pass.cleared.emplace_back(v, next_table(desc));
      }
    } else if (is_table(desc, level)) {
      const uint64_t child = next_table(desc);
      unmap_level(child, level + 1, v, next, pass);
      const auto it = tables_.find(child);
      if (it != tables_.end() && it->second.valid == 0) {
        // Empty: unlink it now; it is freed after the notifiers, since a walk cache may
        // still hold the descriptor that leads to it.
        write_entry(table, slot, desc, 0);
        pass.empty_tables.push_back(child);
        tables_.erase(it);
      }
    }
    v = next;
  }
}

// --- remap

MmStatus ProcessMm::remap(uint64_t va, uint64_t size) {
  if (!range_ok(va, size)) return MmStatus::kInvalidArgument;
  LockGuard g(*mm_lock_);
  const size_t n = size >> kPageShift;
  std::vector<uint64_t> slots(n);
  for (size_t i = 0; i < n; ++i) {
    const uint64_t v = va + (uint64_t{i} << kPageShift);
    if (anon_.find(v) == anon_.end()) return MmStatus::kNotMapped;
    slots[i] = leaf_slot(v);
  }
  // The new pages are taken while the old ones are still mapped, so they differ.
  std::vector<uint64_t> pages;
  if (!take_pages(n, pages)) return MmStatus::kNoMemory;

  // Break: clear every entry and invalidate. The tables stay (every entry is refilled
  // below), so their valid counts are left as they are.
  std::vector<uint64_t> old_desc(n);
  for (size_t i = 0; i < n; ++i) {
    old_desc[i] = os_.read64(slots[i]);
    os_.write64(slots[i], 0);
  }
  os_.dma_wmb();
  notify(va, va + size);
  // Make: the same attributes, the new pages.
  std::vector<uint64_t> old_pages(n);
  for (size_t i = 0; i < n; ++i) {
    const auto attrs = arch::S1LeafAttrs::decode(old_desc[i]);
    os_.write64(slots[i], arch::make_s1_leaf(pages[i], kLevels - 1, attrs));
    uint64_t& owned = anon_[va + (uint64_t{i} << kPageShift)];
    old_pages[i] = owned;
    owned = pages[i];
  }
  os_.dma_wmb();
  pool_.insert(pool_.end(), old_pages.begin(), old_pages.end());
  return MmStatus::kOk;
}

// --- notifiers

void ProcessMm::register_notifier(MmuNotifier& n) {
  LockGuard g(*notifier_lock_);
  if (std::find(notifiers_.begin(), notifiers_.end(), &n) == notifiers_.end())
    notifiers_.push_back(&n);
}

bool ProcessMm::unregister_notifier(MmuNotifier& n) {
  // Waits for a notification in progress: once this returns, n is never called again.
  LockGuard g(*notifier_lock_);
  const auto it = std::find(notifiers_.begin(), notifiers_.end(), &n);
  if (it == notifiers_.end()) return false;
  notifiers_.erase(it);
  return true;
}

void ProcessMm::notify(uint64_t start, uint64_t end) {
  LockGuard g(*notifier_lock_);
  for (MmuNotifier* n : notifiers_) n->invalidate_range(start, end);
}

}  // namespace smmu::driver

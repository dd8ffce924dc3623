// SPDX-License-Identifier: Apache-2.0
#include "driver/iova_allocator.h"

#include <iterator>
#include <stdexcept>
#include <string>

namespace smmu::driver {

namespace {
void require(bool ok, const char* field) {
  if (!ok) throw std::invalid_argument(std::string("iova allocator: bad ") + field);
}
}  // namespace

IovaAllocator::IovaAllocator(Os& os, const IovaConfig& cfg) : os_(os), cfg_(cfg) {
  require(cfg.granule_shift >= 12 && cfg.granule_shift <= 16, "granule_shift");
  const uint64_t granule = uint64_t{1} << cfg.granule_shift;
  // pfn 0 means "none" inside: the space starts at page 1 or above.
  require(cfg.base >= granule && cfg.base % granule == 0, "base");
  require(cfg.limit > cfg.base && cfg.limit % granule == 0, "limit");
  require(cfg.cpus >= 1 && cfg.cpus <= 4096, "cpus");
  require(cfg.mag_size >= 1 && cfg.mag_size <= 4096, "mag_size");
  require(cfg.max_cached_order <= 10, "max_cached_order");
  base_pfn_ = cfg.base >> cfg.granule_shift;
  limit_pfn_ = cfg.limit >> cfg.granule_shift;
  hint_ = limit_pfn_;
  tree_lock_ = os.make_spinlock();
  sizes_.resize(cfg.max_cached_order + 1);
  for (SizeCache& s : sizes_) {
    s.depot_lock = os.make_spinlock();
    s.cpus.resize(cfg.cpus);
    for (CpuCache& c : s.cpus) {
      c.lock = os.make_spinlock();
      c.loaded = new_magazine();
      c.prev = new_magazine();
    }
  }
}

IovaAllocator::~IovaAllocator() = default;

std::unique_ptr<IovaAllocator::Magazine> IovaAllocator::new_magazine() const {
  auto m = std::make_unique<Magazine>();
  m->pfns.reserve(cfg_.mag_size);
  return m;
}

unsigned IovaAllocator::order_of(uint64_t pages) {
  unsigned order = 0;
  while ((uint64_t{1} << order) < pages) ++order;
  return order;
}

uint64_t IovaAllocator::pages_for(uint64_t size) const {
  const uint64_t granule = uint64_t{1} << cfg_.granule_shift;
  uint64_t pages = (size + granule - 1) >> cfg_.granule_shift;
  if (pages == 0) pages = 1;
  const unsigned order = order_of(pages);
  // Cacheable sizes are rounded up so that a cached range fits any request of its order.
  if (order <= cfg_.max_cached_order) pages = uint64_t{1} << order;
  return pages;
}

// --- the tree

// The highest start below `top` for `pages` pages aligned to their power-of-two size
// that fits between allocated ranges and above base; 0 when there is none.
uint64_t IovaAllocator::find_gap(uint64_t top, uint64_t pages) const {
  const uint64_t align = uint64_t{1} << order_of(pages);
  uint64_t hi = top;
  auto it = ranges_.lower_bound(hi);  // first range starting at or above hi
  for (;;) {
    const bool bottom = it == ranges_.begin();
    const auto below = bottom ? ranges_.end() : std::prev(it);
    const uint64_t lo = bottom ? base_pfn_ : below->second;
    if (lo < hi && hi - lo >= pages) {
      const uint64_t start = (hi - pages) & ~(align - 1);
      if (start >= lo) return start;
    }
    if (bottom) return 0;
    hi = std::min(hi, below->first);
    it = below;
  }
}

uint64_t IovaAllocator::tree_alloc(uint64_t pages) {
  if (pages > limit_pfn_ - base_pfn_) return 0;
  uint64_t start = find_gap(hint_, pages);
  if (start == 0 && hint_ != limit_pfn_) start = find_gap(limit_pfn_, pages);  // wrap to the top
  if (start == 0) return 0;
  ranges_.emplace(start, start + pages);
  tree_pages_ += pages;
  hint_ = start;
  return start;
}

void IovaAllocator::tree_free(uint64_t pfn) {
  const auto it = ranges_.find(pfn);
  if (it == ranges_.end()) return;  // not ours: a caller bug, ignored rather than corrupting
  tree_pages_ -= it->second - it->first;
  // The freed gap must be seen by the next search.
  if (it->second > hint_) hint_ = it->second;
  ranges_.erase(it);
}

uint64_t IovaAllocator::alloc_range(uint64_t pages) {
  LockGuard g(*tree_lock_);
  os_.delay_ns(cfg_.range_op_ns);
  const uint64_t pfn = tree_alloc(pages);
  if (pfn) ++stats_.range_allocs;
  return pfn;
}

void IovaAllocator::free_range(uint64_t pfn) {
  LockGuard g(*tree_lock_);
  os_.delay_ns(cfg_.range_op_ns);
  tree_free(pfn);
  ++stats_.range_frees;
}

void IovaAllocator::free_magazine(Magazine& m) {
  if (m.pfns.empty()) return;
  LockGuard g(*tree_lock_);
  for (uint64_t pfn : m.pfns) {
    os_.delay_ns(cfg_.range_op_ns);
    tree_free(pfn);
    ++stats_.range_frees;
  }
  m.pfns.clear();
}

uint64_t IovaAllocator::tree_pages() const { return tree_pages_; }

// --- the per-CPU caches

IovaAllocator::CpuCache& IovaAllocator::cpu_cache(unsigned order) {
  return sizes_[order].cpus[os_.cpu_id() % cfg_.cpus];
}

bool IovaAllocator::cache_pop(unsigned order, uint64_t& pfn) {
  CpuCache& c = cpu_cache(order);
  LockGuard g(*c.lock);
  os_.delay_ns(cfg_.cache_op_ns);
  if (c.loaded->pfns.empty()) {
    if (!c.prev->pfns.empty()) {
      std::swap(c.loaded, c.prev);
    } else {
      SizeCache& s = sizes_[order];
      LockGuard d(*s.depot_lock);
      if (s.depot.empty()) return false;
      // The empty loaded magazine is dropped; the depot's full one replaces it.
      c.loaded = std::move(s.depot.back());
      s.depot.pop_back();
      ++stats_.depot_hits;
    }
  }
  pfn = c.loaded->pfns.back();
  c.loaded->pfns.pop_back();
  return true;
}

void IovaAllocator::cache_push(unsigned order, uint64_t pfn) {
  CpuCache& c = cpu_cache(order);
  std::unique_ptr<Magazine> spill;  // a full magazine the depot had no room for
  {
    LockGuard g(*c.lock);
    os_.delay_ns(cfg_.cache_op_ns);
    if (c.loaded->pfns.size() >= cfg_.mag_size) {
      if (c.prev->pfns.empty()) {
        std::swap(c.loaded, c.prev);
      } else {
        SizeCache& s = sizes_[order];
        {
          LockGuard d(*s.depot_lock);
          if (s.depot.size() < cfg_.depot_max) {
            s.depot.push_back(std::move(c.loaded));
          } else {
            spill = std::move(c.loaded);
          }
        }
        c.loaded = new_magazine();
      }
    }
    c.loaded->pfns.push_back(pfn);
  }
  if (spill) free_magazine(*spill);
}

// --- the interface

uint64_t IovaAllocator::alloc(uint64_t size) {
  const uint64_t pages = pages_for(size);
  const unsigned order = order_of(pages);
  ++stats_.allocs;
  uint64_t pfn = 0;
  if (order <= cfg_.max_cached_order && cache_pop(order, pfn)) {
    ++stats_.cache_hits;
    return pfn << cfg_.granule_shift;
  }
  pfn = alloc_range(pages);
  if (pfn == 0) {
    // Space held in caches (any CPU's) may be what is missing.
    flush_caches();
    pfn = alloc_range(pages);
  }
  if (pfn == 0) {
    ++stats_.failures;
    return 0;
  }
  return pfn << cfg_.granule_shift;
}

void IovaAllocator::free(uint64_t iova, uint64_t size) {
  const uint64_t pages = pages_for(size);
  const unsigned order = order_of(pages);
  ++stats_.frees;
  const uint64_t pfn = iova >> cfg_.granule_shift;
  if (order <= cfg_.max_cached_order) {
    cache_push(order, pfn);
  } else {
    free_range(pfn);
  }
}

void IovaAllocator::flush_caches() {
  ++stats_.cache_flushes;
  for (SizeCache& s : sizes_) {
    for (CpuCache& c : s.cpus) {
      LockGuard g(*c.lock);
      free_magazine(*c.loaded);
      free_magazine(*c.prev);
    }
    std::vector<std::unique_ptr<Magazine>> depot;
    {
      LockGuard d(*s.depot_lock);
      depot.swap(s.depot);
    }
    for (auto& m : depot) free_magazine(*m);
  }
}

uint64_t IovaAllocator::cached() const {
  uint64_t n = 0;
  for (const SizeCache& s : sizes_) {
    for (const CpuCache& c : s.cpus) n += c.loaded->pfns.size() + c.prev->pfns.size();
    for (const auto& m : s.depot) n += m->pfns.size();
  }
  return n;
}

}  // namespace smmu::driver

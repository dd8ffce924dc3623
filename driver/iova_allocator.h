// SPDX-License-Identifier: Apache-2.0
// IOVA space for the DMA API (dma_api.h), allocated as the kernel's iova allocator does:
// a range allocator (allocated ranges in an ordered tree under one lock, searched from
// the top of the space down, each range aligned to its power-of-two size) behind a
// per-CPU cache of recently freed ranges of the small sizes ("magazines": a CPU keeps a
// loaded and a previous magazine per size, and swaps full or empty ones with a shared
// depot). A CPU's cache serves most map/unmap pairs without touching the shared lock,
// which is why it exists; the tree is the fallback.
//
// Times are charged to the calling CPU (Os::delay_ns): a tree operation costs
// range_op_ns while holding the tree lock (so CPUs queue behind each other there), a
// magazine operation cache_op_ns. Sizes are in pages of 2^granule_shift bytes.
//
// Freeing a range says the IOVA may be handed out again: the caller (the DMA API) frees
// only once no SMMU can still translate it (strict: after the unmap's invalidation;
// lazy: after the flush queue's flush).
#pragma once

#include <atomic>
#include <cstdint>
#include <map>
#include <memory>
#include <vector>

#include "driver/os.h"

namespace smmu::driver {

struct IovaConfig {
  uint64_t base = 0x1000'0000;       // first IOVA handed out
  uint64_t limit = 0x1'0000'0000;    // one past the last
  unsigned granule_shift = 12;
  unsigned cpus = 1;                 // per-CPU caches (a CPU id beyond uses id % cpus)
  unsigned mag_size = 127;           // ranges per magazine (Linux IOVA_MAG_SIZE)
  unsigned max_cached_order = 5;     // sizes up to 2^order pages are cached (Linux: 32 pages)
  unsigned depot_max = 32;           // full magazines the depot keeps per size
  uint64_t range_op_ns = 150;        // one tree insert or erase, under the tree lock
  uint64_t cache_op_ns = 10;         // one magazine push or pop
};

struct IovaStats {
  std::atomic<uint64_t> allocs{0}, frees{0};
  std::atomic<uint64_t> cache_hits{0};      // allocations served by the CPU's magazines
  std::atomic<uint64_t> depot_hits{0};      // ... by a magazine taken from the depot
  std::atomic<uint64_t> range_allocs{0};    // tree insertions
  std::atomic<uint64_t> range_frees{0};     // tree erasures
  std::atomic<uint64_t> failures{0};        // allocations that found no space
  std::atomic<uint64_t> cache_flushes{0};   // every cache emptied to retry a failed allocation
};

class IovaAllocator {
 public:
  // Throws std::invalid_argument naming the bad field.
  IovaAllocator(Os& os, const IovaConfig& cfg);
  ~IovaAllocator();
  IovaAllocator(const IovaAllocator&) = delete;
  IovaAllocator& operator=(const IovaAllocator&) = delete;

  // A range of at least `size` bytes (rounded up to pages, and cacheable sizes to a power
  // of two), aligned to its size; 0 when the space is exhausted.
  uint64_t alloc(uint64_t size);
  // Gives back what alloc(size) returned (same size).
  void free(uint64_t iova, uint64_t size);

  // Returns every cached range to the tree (alloc does it once before failing).
  void flush_caches();

  // Pages in the tree (handed out, or cached for reuse).
  uint64_t tree_pages() const;
  // Ranges currently cached in magazines and the depot.
  uint64_t cached() const;
  const IovaConfig& config() const { return cfg_; }
  const IovaStats& stats() const { return stats_; }
  // The pages alloc(size) hands out.
  uint64_t pages_for(uint64_t size) const;

 private:
  struct Magazine {
    std::vector<uint64_t> pfns;
  };
  struct CpuCache {  // one size on one CPU
    std::unique_ptr<Lock> lock;
    std::unique_ptr<Magazine> loaded, prev;
  };
  struct SizeCache {  // one size
    std::vector<CpuCache> cpus;
    std::unique_ptr<Lock> depot_lock;
    std::vector<std::unique_ptr<Magazine>> depot;
  };

  static unsigned order_of(uint64_t pages);
  // Tree operations (tree_lock_ held).
  uint64_t tree_alloc(uint64_t pages);  // a first pfn, or 0 (pfn 0 is never in the space)
  void tree_free(uint64_t pfn);
  uint64_t find_gap(uint64_t top, uint64_t pages) const;
  uint64_t alloc_range(uint64_t pages);
  void free_range(uint64_t pfn);
  void free_magazine(Magazine& m);  // to the tree
  // Cache operations on the calling CPU; false when it could not serve.
  bool cache_pop(unsigned order, uint64_t& pfn);
  void cache_push(unsigned order, uint64_t pfn);
  CpuCache& cpu_cache(unsigned order);
  std::unique_ptr<Magazine> new_magazine() const;

  Os& os_;
  IovaConfig cfg_;
  uint64_t base_pfn_, limit_pfn_;
  std::unique_ptr<Lock> tree_lock_;
  std::map<uint64_t, uint64_t> ranges_;  // first pfn -> one past the last
  uint64_t tree_pages_ = 0;
  uint64_t hint_;  // searches start below it (just below the last allocation)
  std::vector<SizeCache> sizes_;  // by order, 0..max_cached_order
  IovaStats stats_;
};

}  // namespace smmu::driver

// SPDX-License-Identifier: Apache-2.0
// The walk cache: table (non-leaf) descriptors kept so that a later walk of a nearby
// address can skip the levels above. Leaves are not cached here (the TLBs do that).
// Every tag field is public, so invalidation commands (TLBI by ASID, VMID, VA, IPA) can
// select exactly the entries they must remove.
#pragma once

#include <cstdint>
#include <functional>

#include "rtl_model/arch/descriptor.h"
#include "rtl_model/common/set_associative_cache.h"

namespace smmu::model {

struct WalkCacheParams {
  unsigned sets = 128;  // power of two
  unsigned ways = 4;
  ReplacementPolicy policy = ReplacementPolicy::kLru;
};

// One cached table descriptor: the descriptor read at `level` for the input addresses
// [input_base, input_base + 2^input_shift()), pointing to the table of level + 1.
struct WalkCacheEntry {
  // --- tag
  uint8_t stage = 1;           // 1: stage-1 table descriptor, 2: stage-2 table descriptor
  uint16_t vmid = 0;           // stage 2: STE.S2VMID; stage 1: the VMID of a nested stream
                               // (0 when stage 2 is bypassed)
  uint16_t asid = 0;           // stage 1: CD.ASID; always 0 for stage 2
  int level = 0;               // level of the cached table descriptor (0..2)
  unsigned granule_shift = 12; // 12, 14, 16
  // Input address (stage 1: VA with bits [63:input size] made equal to the TTB half's
  // select, i.e. all zeros for TTB0 and all ones for TTB1, top-byte tag included; stage 2:
  // IPA), bits below input_shift() cleared.
  uint64_t input_base = 0;

  // --- data
  uint64_t next_table = 0;      // next-level table as the descriptor holds it (an IPA
                                // for stage 1 of a nested stream, else a PA)
  uint64_t next_table_pa = 0;   // its physical address (stage-2 translated when nested)
  // False when stage 2 maps the next table with a page smaller than the table, so one
  // PA does not cover it all: the walker then translates the descriptor IPA again.
  bool next_table_pa_valid = true;
  arch::S1TableAttrs attrs;     // stage 1: table attributes accumulated down to here

  // log2 of the input range this entry covers (the span of one entry at `level`).
  unsigned input_shift() const { return arch::Granule{granule_shift}.level_shift(level); }
  uint64_t input_last() const { return input_base + ((uint64_t{1} << input_shift()) - 1); }
  bool covers(uint64_t addr) const { return (addr >> input_shift()) == (input_base >> input_shift()); }
  // Whether [first, last] (inclusive) overlaps this entry's input range.
  bool overlaps(uint64_t first, uint64_t last) const {
    return first <= input_last() && last >= input_base;
  }
};

// What a lookup matches on. Levels min_level..2 are probed, deepest first.
struct WalkCacheKey {
  uint8_t stage = 1;
  uint16_t vmid = 0;
  uint16_t asid = 0;            // ignored for stage 2
  unsigned granule_shift = 12;
  uint64_t input = 0;           // canonical VA (stage 1) or IPA (stage 2)
  int min_level = 0;            // the walk's start level
};

class WalkCache {
 public:
  // Throws std::invalid_argument naming walk_cache.sets / walk_cache.ways when bad.
  explicit WalkCache(const WalkCacheParams& p);

  // One logical lookup: the deepest entry for the key, or nullptr. Counts one hit or
  // one miss (the caller adds one lookup time, whatever the number of sets probed).
  // The entry stays valid until the next insert, invalidation or clear.
  const WalkCacheEntry* lookup(const WalkCacheKey& key);
  void insert(const WalkCacheEntry& e);
  unsigned invalidate_if(const std::function<bool(const WalkCacheEntry&)>& pred);
  void clear();
  void for_each(const std::function<void(const WalkCacheEntry&)>& fn) const;

  uint64_t hits() const { return hits_; }
  uint64_t misses() const { return misses_; }
  uint64_t evictions() const { return cache_.evictions(); }
  unsigned occupancy() const { return cache_.occupancy(); }
  unsigned capacity() const { return cache_.capacity(); }
  unsigned sets() const { return cache_.sets(); }

  // The set an entry of this level and input address lives in: a hash of the input bits
  // above the entry's span and of the level, so the levels of one walk spread.
  unsigned set_index(uint64_t input, int level, unsigned granule_shift) const;

 private:
  SetAssociativeCache<WalkCacheEntry> cache_;
  uint64_t hits_ = 0, misses_ = 0;
};

}  // namespace smmu::model

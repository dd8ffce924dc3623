// SPDX-License-Identifier: Apache-2.0
#include "rtl_model/smmu/walk_cache.h"

#include <stdexcept>
#include <string>

namespace smmu::model {

namespace {
WalkCacheParams checked(const WalkCacheParams& p) {
  if (p.sets == 0 || (p.sets & (p.sets - 1)) != 0)
    throw std::invalid_argument("walk_cache.sets must be a power of two, got " +
                                std::to_string(p.sets));
  if (p.ways == 0) throw std::invalid_argument("walk_cache.ways must be > 0");
  return p;
}

// splitmix64 finaliser: every input bit reaches the low bits that pick the set.
uint64_t mix(uint64_t x) {
  x ^= x >> 30;
  x *= 0xbf58476d1ce4e5b9ull;
  x ^= x >> 27;
  x *= 0x94d049bb133111ebull;
  x ^= x >> 31;
  return x;
}

// Whether a cached entry has the tag of e once e's input base is aligned to `base`.
bool same_tag(const WalkCacheEntry& a, const WalkCacheEntry& e, uint64_t base) {
  return a.input_base == base && a.level == e.level && a.stage == e.stage &&
         a.vmid == e.vmid && a.asid == e.asid && a.granule_shift == e.granule_shift;
}
}  // namespace

WalkCache::WalkCache(const WalkCacheParams& p)
    : cache_(checked(p).sets, p.ways, p.policy) {}

unsigned WalkCache::set_index(uint64_t input, int level, unsigned granule_shift) const {
  unsigned shift = arch::Granule{granule_shift}.level_shift(level);
  return cache_.set_of(mix((input >> shift) ^ (uint64_t(level) << 58)));
}

const WalkCacheEntry* WalkCache::lookup(const WalkCacheKey& key) {
  arch::Granule g{key.granule_shift};
  for (int level = 2; level >= key.min_level && level >= 0; --level) {
    unsigned shift = g.level_shift(level);
    uint64_t base = (key.input >> shift) << shift;
    const WalkCacheEntry* e =
        cache_.find(set_index(key.input, level, key.granule_shift), [&](const WalkCacheEntry& c) {
          return c.input_base == base && c.level == level && c.stage == key.stage &&
                 c.vmid == key.vmid && (key.stage == 2 || c.asid == key.asid) &&
                 c.granule_shift == key.granule_shift;
        });
    if (e) {
      ++hits_;
      return e;
    }
  }
  ++misses_;
  return nullptr;
}

void WalkCache::insert(const WalkCacheEntry& e) {
  const unsigned shift = e.input_shift();
  const uint64_t base = (e.input_base >> shift) << shift;
  WalkCacheEntry& slot = cache_.slot_for_insert(
      set_index(base, e.level, e.granule_shift),
      [&](const WalkCacheEntry& o) { return same_tag(o, e, base); });
  slot = e;
  slot.input_base = base;
}

unsigned WalkCache::invalidate_if(const std::function<bool(const WalkCacheEntry&)>& pred) {
  return cache_.invalidate_if(pred);
}

void WalkCache::clear() { cache_.clear(); }

void WalkCache::for_each(const std::function<void(const WalkCacheEntry&)>& fn) const {
  cache_.for_each(fn);
}

}  // namespace smmu::model

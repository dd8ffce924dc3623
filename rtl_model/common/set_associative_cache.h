// SPDX-License-Identifier: Apache-2.0
// A set-associative cache of arbitrary entries, the storage behind every SMMU cache
// (micro TLB, main TLB, walk cache, config cache). The caller picks the set and says
// which entry matches; the cache handles ways, replacement and counting.
#pragma once

#include <cstdint>
#include <functional>
#include <stdexcept>
#include <string>
#include <vector>

namespace smmu::model {

enum class ReplacementPolicy { kLru, kFifo, kRandom };

// Parses "lru", "fifo", "random"; throws std::invalid_argument naming the value.
ReplacementPolicy parse_replacement_policy(const std::string& name);
const char* to_string(ReplacementPolicy p);

template <typename Entry>
class SetAssociativeCache {
 public:
  SetAssociativeCache(unsigned sets, unsigned ways, ReplacementPolicy policy)
      : sets_(sets), ways_(ways), policy_(policy), lines_(size_t{sets} * ways) {
    if (sets == 0 || ways == 0 || (sets & (sets - 1)) != 0)
      throw std::invalid_argument("cache sets must be a power of two and ways > 0");
  }

  unsigned sets() const { return sets_; }
  unsigned ways() const { return ways_; }
  unsigned capacity() const { return sets_ * ways_; }
  unsigned set_of(uint64_t hash) const { return static_cast<unsigned>(hash & (sets_ - 1)); }

  // The first valid entry of the set for which match(entry) holds, or nullptr.
  // A hit refreshes the entry's LRU age. Does not count hits/misses: callers do, since
  // one logical lookup may probe several sets (one per page size).
  // way_out, when given, receives the way of the hit.
  template <typename Match>
  Entry* find(unsigned set, Match&& match, unsigned* way_out = nullptr) {
    Line* base = &lines_[size_t{set} * ways_];
    for (unsigned w = 0; w < ways_; ++w) {
      Line& l = base[w];
      if (l.valid && match(l.entry)) {
        touch(l);
        if (way_out) *way_out = w;
        return &l.entry;
      }
    }
    return nullptr;
  }

  // Like find, for one way only (a caller's guess of where the entry is).
  template <typename Match>
  Entry* probe(unsigned set, unsigned way, Match&& match) {
    Line& l = lines_[size_t{set} * ways_ + way];
    if (!l.valid || !match(l.entry)) return nullptr;
    touch(l);
    return &l.entry;
  }

  // Inserts into the set, replacing an entry for which same(entry) holds if any (so
  // refills do not duplicate), else an invalid way, else the policy's victim.
  // Returns true when a valid, different entry was evicted.
  template <typename Same>
  bool insert(unsigned set, const Entry& e, Same&& same) {
    bool evicted = false;
    slot_for_insert(set, same, &evicted) = e;
    return evicted;
  }

  // insert() without the entry: the way it would take, marked valid and most recent,
  // for the caller to fill in place. *evicted (when given) says whether a valid,
  // different entry was dropped.
  template <typename Same>
  Entry& slot_for_insert(unsigned set, Same&& same, bool* evicted_out = nullptr) {
    Line* base = &lines_[size_t{set} * ways_];
    // One pass: the first entry that is the same wins, else the first invalid way, else
    // the policy's victim; LRU and FIFO track the oldest way (the first of equals) as
    // they go, which is the oldest of all when no way is invalid.
    uint64_t Line::*age = policy_ == ReplacementPolicy::kLru ? &Line::last_use : &Line::inserted;
    Line* victim = nullptr;
    Line* free_way = nullptr;
    Line* oldest = base;
    for (unsigned w = 0; w < ways_; ++w) {
      Line& l = base[w];
      if (!l.valid) {
        if (!free_way) free_way = &l;
      } else if (same(l.entry)) {
        victim = &l;
        break;
      } else if (l.*age < oldest->*age) {
        oldest = &l;
      }
    }
    if (!victim) victim = free_way;
    bool evicted = false;
    if (!victim) {
      victim = policy_ == ReplacementPolicy::kRandom ? &base[random_way()] : oldest;
      evicted = true;
      ++evictions_;
    }
    victim->valid = true;
    victim->last_use = victim->inserted = ++clock_;
    if (evicted_out) *evicted_out = evicted;
    return victim->entry;
  }

  // Removes every entry for which pred(entry) holds; returns how many.
  template <typename Pred>
  unsigned invalidate_if(Pred&& pred) {
    unsigned n = 0;
    for (Line& l : lines_)
      if (l.valid && pred(l.entry)) {
        l.valid = false;
        ++n;
      }
    return n;
  }

  void clear() {
    for (Line& l : lines_) l.valid = false;
  }

  template <typename Fn>
  void for_each(Fn&& fn) const {
    for (const Line& l : lines_)
      if (l.valid) fn(l.entry);
  }

  unsigned occupancy() const {
    unsigned n = 0;
    for (const Line& l : lines_) n += l.valid;
    return n;
  }
  uint64_t evictions() const { return evictions_; }

 private:
  struct Line {
    bool valid = false;
    uint64_t last_use = 0;
    uint64_t inserted = 0;
    Entry entry{};
  };

  unsigned random_way() {
    // xorshift64: deterministic, so timing stays reproducible.
    rng_ ^= rng_ << 13;
    rng_ ^= rng_ >> 7;
    rng_ ^= rng_ << 17;
    return static_cast<unsigned>(rng_ % ways_);
  }

  // Makes the line the most recently used. A line that already is (its last use is the
  // latest tick) keeps its stamp: the order of every line stays the same, and the hit
  // path of a repeated lookup writes nothing.
  void touch(Line& l) {
    if (l.last_use != clock_) l.last_use = ++clock_;
  }

  unsigned sets_, ways_;
  ReplacementPolicy policy_;
  std::vector<Line> lines_;
  uint64_t clock_ = 0;
  uint64_t evictions_ = 0;
  uint64_t rng_ = 0x9e3779b97f4a7c15ull;
};

}  // namespace smmu::model

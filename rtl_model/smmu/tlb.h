// SPDX-License-Identifier: Apache-2.0
// The SMMU's translation caches: one shared set-associative main TLB and a small fully
// associative micro TLB per upstream port. Entries carry every tag an invalidation
// command selects on (VMID, ASID/global, stage, address, granule, level) so that
// invalidation can be exact.
#pragma once

#include <cstdint>
#include <functional>

#include "rtl_model/common/set_associative_cache.h"
#include "rtl_model/smmu/translation_types.h"

namespace smmu::model {

struct TlbEntry {
  // --- tag
  uint16_t vmid = 0;
  uint16_t asid = 0;
  bool global = true;        // stage-1 nG == 0: matches every ASID
  bool s1 = false;           // translation includes stage 1
  bool s2 = false;           // translation includes stage 2
  uint64_t va = 0;           // input address, aligned down to 2^size_shift
  uint8_t size_shift = 12;   // log2 of the span this entry translates
  // Leaf of the stage that owns the input address (stage 1, or stage 2 when S2-only):
  uint8_t granule_shift = 12;
  int8_t level = 3;
  // Nested entries: the stage-2 leaf behind them, for TLBI_S2_IPA.
  uint64_t ipa = 0;          // IPA aligned down to 2^size_shift (nested, S2-only: = va)
  uint8_t s2_granule_shift = 0;
  int8_t s2_level = -1;
  // --- data
  uint64_t pa = 0;           // output address aligned down to 2^size_shift
  Permissions perms;

  bool covers(uint64_t addr) const { return ((addr ^ va) >> size_shift) == 0; }
  uint64_t translate(uint64_t addr) const {
    return pa | (addr & ((uint64_t{1} << size_shift) - 1));
  }
};

// What a lookup matches on: the translation regime of the stream and the address.
struct TlbKey {
  uint16_t vmid = 0;
  uint16_t asid = 0;
  bool s1 = false;
  bool s2 = false;
  uint64_t va = 0;

  bool matches(const TlbEntry& e) const {
    return e.vmid == vmid && e.s1 == s1 && e.s2 == s2 && (e.global || !s1 || e.asid == asid) &&
           e.covers(va);
  }
};

struct TlbParams {
  unsigned sets = 512;
  unsigned ways = 4;
  ReplacementPolicy policy = ReplacementPolicy::kLru;
};

// Shared main TLB. Entries of different sizes (pages, blocks) live side by side: the set
// is chosen from the address bits above the entry's size, and a lookup probes once per
// size currently present, smallest first.
class MainTlb {
 public:
  explicit MainTlb(const TlbParams& p);

  const TlbEntry* lookup(const TlbKey& key);
  void insert(const TlbEntry& e);
  unsigned invalidate_if(const std::function<bool(const TlbEntry&)>& pred);
  void clear();
  template <typename Fn>
  void for_each(Fn&& fn) const { cache_.for_each(fn); }

  unsigned capacity() const { return cache_.capacity(); }
  unsigned occupancy() const { return cache_.occupancy(); }
  uint64_t evictions() const { return cache_.evictions(); }

 private:
  unsigned set_for(uint64_t va, unsigned size_shift, uint16_t vmid) const;

  SetAssociativeCache<TlbEntry> cache_;
  uint64_t sizes_present_ = 0;  // bit n set: some entry may have size_shift n
};

// A micro TLB entry also names the stream it was filled for, and the CD it came through,
// so a hit needs no config lookup and CFGI commands can find what they make stale. It
// carries the stream's fault configuration (CD.{R, A}, STE.S2R) for a permission fault
// on a hit; CFGI_STE / CFGI_CD remove the entry, so a changed R, A or S2R takes effect.
struct MicroTlbEntry {
  uint32_t sid = 0;
  uint32_t ssid = 0;
  bool ssv = false;
  bool has_cd = false;    // the translation used a CD (stage 1)
  uint32_t cd_index = 0;  // which one (the SubstreamID, or 0 for S1DSS = substream 0)
  TlbEntry tlb;
  FaultConfig faults;
  uint8_t allowed = 0;    // allowed_accesses(tlb.perms), set by MicroTlb::insert
};

struct MicroTlbParams {
  unsigned entries = 32;
  ReplacementPolicy policy = ReplacementPolicy::kLru;
};

class MicroTlb {
 public:
  explicit MicroTlb(const MicroTlbParams& p);

  // On the hit path of every transaction: the way of the last hit is probed first,
  // since device traffic mostly stays on its page.
  const MicroTlbEntry* lookup(uint32_t sid, uint32_t ssid, bool ssv, uint64_t va) {
    auto match = [&](const MicroTlbEntry& e) {
      return e.tlb.covers(va) && e.sid == sid && e.ssv == ssv && (!ssv || e.ssid == ssid);
    };
    if (const MicroTlbEntry* e = cache_.probe(0, last_hit_, match)) return e;
    return cache_.find(0, match, &last_hit_);
  }
  void insert(const MicroTlbEntry& e);
  unsigned invalidate_if(const std::function<bool(const MicroTlbEntry&)>& pred);
  void clear();
  template <typename Fn>
  void for_each(Fn&& fn) const { cache_.for_each(fn); }
  unsigned occupancy() const { return cache_.occupancy(); }

 private:
  SetAssociativeCache<MicroTlbEntry> cache_;  // one set: fully associative
  unsigned last_hit_ = 0;
};

}  // namespace smmu::model

namespace smmu::model {

// The translation a TLB entry gives for va (bypass when it holds neither stage).
inline Translation translation_of(const TlbEntry& e, uint64_t va) {
  Translation t;
  t.kind = (e.s1 || e.s2) ? Translation::Kind::kTranslated : Translation::Kind::kBypass;
  t.out_addr = e.translate(va);
  t.va_base = e.va;
  t.pa_base = e.pa;
  t.ipa_base = e.ipa;
  t.size_shift = e.size_shift;
  t.perms = e.perms;
  return t;
}

}  // namespace smmu::model

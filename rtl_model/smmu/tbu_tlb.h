// SPDX-License-Identifier: Apache-2.0
// A TBU's main TLB: shared by the TBU's ports, behind their micro TLBs. Like them it is
// tagged by stream (a TBU has no stream configuration to find the VMID or ASID), and
// each entry keeps the translation's tags so the TCU's invalidations select exactly.
// Set-associative: the set comes from the address bits above the entry's size mixed
// with the StreamID, and a lookup probes once per size present, smallest first.
#pragma once

#include <cstdint>
#include <functional>

#include "rtl_model/common/set_associative_cache.h"
#include "rtl_model/smmu/tlb.h"

namespace smmu::model {

class TbuMainTlb {
 public:
  explicit TbuMainTlb(const TlbParams& p);

  const MicroTlbEntry* lookup(uint32_t sid, uint32_t ssid, bool ssv, uint64_t va);
  void insert(const MicroTlbEntry& e);
  unsigned invalidate_if(const std::function<bool(const MicroTlbEntry&)>& pred);
  void clear();

  unsigned capacity() const { return cache_.capacity(); }
  unsigned sets() const { return sets_; }
  unsigned occupancy() const { return cache_.occupancy(); }
  uint64_t evictions() const { return cache_.evictions(); }

 private:
  unsigned set_for(uint64_t va, unsigned size_shift, uint32_t sid) const;

  unsigned sets_;
  SetAssociativeCache<MicroTlbEntry> cache_;
  uint64_t sizes_present_ = 0;  // bit n set: some entry may have size_shift n
};

}  // namespace smmu::model

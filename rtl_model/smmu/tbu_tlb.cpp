// SPDX-License-Identifier: Apache-2.0
#include "rtl_model/smmu/tbu_tlb.h"

namespace smmu::model {

TbuMainTlb::TbuMainTlb(const TlbParams& p) : sets_(p.sets), cache_(p.sets, p.ways, p.policy) {}

unsigned TbuMainTlb::set_for(uint64_t va, unsigned size_shift, uint32_t sid) const {
  const uint64_t page = va >> size_shift;
  // Mix the StreamID in so that devices using the same IOVAs do not all share one set.
  return cache_.set_of(page ^ (page >> 17) ^ (uint64_t{sid} * 0x9e37));
}

const MicroTlbEntry* TbuMainTlb::lookup(uint32_t sid, uint32_t ssid, bool ssv, uint64_t va) {
  for (uint64_t sizes = sizes_present_; sizes; sizes &= sizes - 1) {
    const unsigned shift = static_cast<unsigned>(__builtin_ctzll(sizes));
    const MicroTlbEntry* e = cache_.find(set_for(va, shift, sid), [&](const MicroTlbEntry& t) {
      return t.tlb.size_shift == shift && t.tlb.covers(va) && t.sid == sid && t.ssv == ssv &&
             (!ssv || t.ssid == ssid);
    });
    if (e) return e;
  }
  return nullptr;
}

void TbuMainTlb::insert(const MicroTlbEntry& e) {
  sizes_present_ |= uint64_t{1} << e.tlb.size_shift;
  cache_.insert(set_for(e.tlb.va, e.tlb.size_shift, e.sid), e, [&](const MicroTlbEntry& t) {
    return t.sid == e.sid && t.ssv == e.ssv && t.ssid == e.ssid && t.tlb.va == e.tlb.va &&
           t.tlb.size_shift == e.tlb.size_shift;
  });
}

unsigned TbuMainTlb::invalidate_if(const std::function<bool(const MicroTlbEntry&)>& pred) {
  return cache_.invalidate_if(pred);
}

void TbuMainTlb::clear() { cache_.clear(); }

}  // namespace smmu::model

// SPDX-License-Identifier: Apache-2.0
#include "rtl_model/smmu/tlb.h"

namespace smmu::model {

MainTlb::MainTlb(const TlbParams& p) : cache_(p.sets, p.ways, p.policy) {}

unsigned MainTlb::set_for(uint64_t va, unsigned size_shift, uint16_t vmid) const {
  uint64_t page = va >> size_shift;
  // Mix the VMID in so that guests using the same IOVAs do not all share one set.
  return cache_.set_of(page ^ (page >> 17) ^ (uint64_t{vmid} * 0x9e37));
}

const TlbEntry* MainTlb::lookup(const TlbKey& key) {
  for (uint64_t sizes = sizes_present_; sizes; sizes &= sizes - 1) {
    unsigned shift = static_cast<unsigned>(__builtin_ctzll(sizes));
    unsigned set = set_for(key.va, shift, key.vmid);
    const TlbEntry* e =
        cache_.find(set, [&](const TlbEntry& t) { return t.size_shift == shift && key.matches(t); });
    if (e) return e;
  }
  return nullptr;
}

void MainTlb::insert(const TlbEntry& e) {
  sizes_present_ |= uint64_t{1} << e.size_shift;
  cache_.insert(set_for(e.va, e.size_shift, e.vmid), e, [&](const TlbEntry& t) {
    return t.size_shift == e.size_shift && t.va == e.va && t.vmid == e.vmid && t.s1 == e.s1 &&
           t.s2 == e.s2 && t.global == e.global && t.asid == e.asid;
  });
}

unsigned MainTlb::invalidate_if(const std::function<bool(const TlbEntry&)>& pred) {
  return cache_.invalidate_if(pred);
}

void MainTlb::clear() { cache_.clear(); }

MicroTlb::MicroTlb(const MicroTlbParams& p) : cache_(1, p.entries, p.policy) {}

void MicroTlb::insert(const MicroTlbEntry& entry) {
  MicroTlbEntry e = entry;
  e.allowed = allowed_accesses(e.tlb.perms);
  cache_.insert(0, e, [&](const MicroTlbEntry& t) {
    // The address first: it tells entries apart soonest.
    return t.tlb.va == e.tlb.va && t.sid == e.sid && t.ssv == e.ssv && t.ssid == e.ssid &&
           t.tlb.size_shift == e.tlb.size_shift;
  });
}

unsigned MicroTlb::invalidate_if(const std::function<bool(const MicroTlbEntry&)>& pred) {
  return cache_.invalidate_if(pred);
}

void MicroTlb::clear() { cache_.clear(); }

}  // namespace smmu::model

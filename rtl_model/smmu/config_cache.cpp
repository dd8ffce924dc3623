// SPDX-License-Identifier: Apache-2.0
#include "rtl_model/smmu/config_cache.h"

namespace smmu::model {

ConfigCache::ConfigCache(const ConfigCacheParams& p) : cache_(p.sets, p.ways, p.policy) {}

unsigned ConfigCache::set_for(uint32_t sid, uint32_t ssid, bool cd) const {
  uint64_t h = sid ^ (uint64_t{ssid} * 0x9e3779b1u) ^ (cd ? 0x5bd1e995u : 0);
  return cache_.set_of(h ^ (h >> 16));
}

const ConfigCacheEntry* ConfigCache::find_ste(uint32_t sid) {
  return cache_.find(set_for(sid, 0, false), [&](const ConfigCacheEntry& e) {
    return e.kind == ConfigCacheEntry::Kind::kSte && e.sid == sid;
  });
}

const ConfigCacheEntry* ConfigCache::find_cd(uint32_t sid, uint32_t ssid) {
  return cache_.find(set_for(sid, ssid, true), [&](const ConfigCacheEntry& e) {
    return e.kind == ConfigCacheEntry::Kind::kCd && e.sid == sid && e.ssid == ssid;
  });
}

void ConfigCache::insert(const ConfigCacheEntry& e) {
  bool cd = e.kind == ConfigCacheEntry::Kind::kCd;
  cache_.insert(set_for(e.sid, cd ? e.ssid : 0, cd), e, [&](const ConfigCacheEntry& t) {
    return t.kind == e.kind && t.sid == e.sid && (!cd || t.ssid == e.ssid);
  });
}

unsigned ConfigCache::invalidate_if(const std::function<bool(const ConfigCacheEntry&)>& pred) {
  return cache_.invalidate_if(pred);
}

void ConfigCache::clear() { cache_.clear(); }

}  // namespace smmu::model

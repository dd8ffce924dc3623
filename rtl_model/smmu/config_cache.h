// SPDX-License-Identifier: Apache-2.0
// Config cache: STEs by StreamID and CDs by (StreamID, SubstreamID), decoded and
// validated, so a hit skips both the fetch and the checks.
#pragma once

#include <cstdint>
#include <functional>

#include "rtl_model/arch/cd.h"
#include "rtl_model/arch/ste.h"
#include "rtl_model/common/set_associative_cache.h"
#include "rtl_model/smmu/translation_types.h"

namespace smmu::model {

struct ConfigCacheEntry {
  enum class Kind : uint8_t { kSte, kCd } kind = Kind::kSte;
  uint32_t sid = 0;
  uint32_t ssid = 0;   // kCd only
  // kSte
  arch::Ste ste;
  StageConfig s2;      // decoded when the STE enables stage 2
  // kCd
  arch::Cd cd;
  Stage1Regime s1;
};

struct ConfigCacheParams {
  unsigned sets = 16;
  unsigned ways = 4;
  ReplacementPolicy policy = ReplacementPolicy::kLru;
};

class ConfigCache {
 public:
  explicit ConfigCache(const ConfigCacheParams& p);

  const ConfigCacheEntry* find_ste(uint32_t sid);
  const ConfigCacheEntry* find_cd(uint32_t sid, uint32_t ssid);
  void insert(const ConfigCacheEntry& e);
  unsigned invalidate_if(const std::function<bool(const ConfigCacheEntry&)>& pred);
  void clear();
  template <typename Fn>
  void for_each(Fn&& fn) const { cache_.for_each(fn); }
  unsigned occupancy() const { return cache_.occupancy(); }

 private:
  unsigned set_for(uint32_t sid, uint32_t ssid, bool cd) const;
  SetAssociativeCache<ConfigCacheEntry> cache_;
};

}  // namespace smmu::model

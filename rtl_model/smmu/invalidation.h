// SPDX-License-Identifier: Apache-2.0
// What each invalidation command selects, as predicates over the entries of every cache
// the SMMU has. Kept apart from the command engine so the selection rules can be tested
// on their own, entry by entry.
//
// Rules (where the architecture leaves a choice, the choice made here):
// - NH commands select entries that include stage 1 (S1-only and nested) of the VMID;
//   by ASID they keep global (nG = 0) entries; by VA they select the ASID's and global
//   entries; VAA selects every ASID.
// - TLBI_S2_IPA selects stage-2-only entries (and, without LEAF, stage-2 walk-cache
//   entries); combined stage 1+2 entries are left to TLBI_NH_ALL / S12_VMALL, as the
//   architecture allows (software follows an S2_IPA with one of those for nested).
// - Range TLBI (TG != 0): (NUM+1) * 2^SCALE pages of granule TG from ADDR. An entry of
//   another granule, or (TTL != 0) of another leaf level, is not selected: the
//   architecture does not require it to be. Without TG, the entry covering ADDR.
// - LEAF = 1 keeps walk-cache entries. Walk-cache entries are matched on tags and on
//   address overlap only (TTL and TG are hints about leaves).
// - EL2 regimes (STE.STRW = EL2) are translated as EL1 in this model, so no entry is
//   EL2 and TLBI_EL2_* select nothing.
// - CFGI_STE selects the STE and every CD cached for the StreamID; CFGI_CD one CD; both
//   also select micro-TLB entries filled through what they select.
#pragma once

#include <cstdint>
#include <string>

#include "rtl_model/arch/command.h"
#include "rtl_model/smmu/config_cache.h"
#include "rtl_model/smmu/tlb.h"
#include "rtl_model/smmu/walk_cache.h"

namespace smmu::model {

struct TlbInvalidation {
  enum class Stages : uint8_t { kNone, kStage1, kStage2Only, kAll };
  Stages stages = Stages::kNone;
  bool match_vmid = false;
  uint16_t vmid = 0;
  enum class Asid : uint8_t { kAny, kNonGlobalOnly, kOrGlobal };
  Asid asid_rule = Asid::kAny;
  uint16_t asid = 0;
  bool has_range = false;
  uint64_t first = 0, last = 0;  // inclusive input-address range
  unsigned tg_shift = 0;         // 0: any granule
  int ttl = 0;                   // 0: any leaf level
  bool leaf_only = false;        // keep walk-cache entries
  uint64_t pages = 0;            // pages named by an address-based command (cost)

  bool selects(const TlbEntry& e) const;
  bool selects(const WalkCacheEntry& e) const;
};

struct ConfigInvalidation {
  bool any = false;              // selects something at all
  uint32_t sid_first = 0, sid_last = 0;
  bool ste = false;              // the STEs (and all their CDs)
  bool all_cds = false;          // every CD of the StreamIDs (CFGI_CD_ALL)
  uint32_t ssid = 0;             // otherwise this CD only (CFGI_CD)

  bool selects(const ConfigCacheEntry& e) const;
  bool selects(const MicroTlbEntry& e) const;
};

// Decodes an invalidation command. ril: IDR3.RIL; without it the range fields (NUM,
// SCALE, TG, TTL) must be zero. Returns false (why set) for a malformed command, which
// the command queue reports as CERROR_ILL.
bool decode_tlbi(const arch::Command& c, bool ril, TlbInvalidation& out, std::string* why);
bool decode_cfgi(const arch::Command& c, unsigned sid_bits, ConfigInvalidation& out);

}  // namespace smmu::model

// SPDX-License-Identifier: Apache-2.0
#include "rtl_model/smmu/invalidation.h"

namespace smmu::model {

using arch::Opcode;

namespace {

bool overlaps(uint64_t base, unsigned shift, uint64_t first, uint64_t last) {
  const uint64_t end = shift >= 64 ? ~uint64_t{0} : base + ((uint64_t{1} << shift) - 1);
  return base <= last && end >= first;
}

unsigned tg_to_shift(uint8_t tg) {
  switch (tg) {
    case 1: return 12;
    case 2: return 14;
    case 3: return 16;
    default: return 0;
  }
}

// The address range of NH_VA/VAA, EL2_VA/VAA and S2_IPA.
bool decode_range(const arch::Command& c, uint64_t addr, bool ril, TlbInvalidation& out,
                  std::string* why) {
  out.has_range = true;
  out.leaf_only = c.leaf();
  if (!ril && (c.num() || c.scale() || c.tg() || c.ttl())) {
    if (why) *why = "range fields set without IDR3.RIL";
    return false;
  }
  if (c.tg() == 0) {
    // A single address: whatever entry translates it.
    out.first = out.last = addr;
    out.pages = 1;
    return true;
  }
  // 16K granule, TTL = 0b01 (level 1) is reserved without LPA2 (IDR5.DS = 0, as here):
  // CERROR_ILL (IHI 0070 §4.4.1.1).
  if (c.tg() == 2 && c.ttl() == 1) {
    if (why) *why = "TTL 1 with a 16K granule without LPA2";
    return false;
  }
  out.tg_shift = tg_to_shift(c.tg());
  out.ttl = c.ttl();
  out.pages = uint64_t{c.num() + 1u} << c.scale();
  const uint64_t bytes = out.pages << out.tg_shift;
  out.first = addr;
  out.last = bytes == 0 || addr + bytes - 1 < addr ? ~uint64_t{0} : addr + bytes - 1;
  return true;
}

}  // namespace

bool TlbInvalidation::selects(const TlbEntry& e) const {
  switch (stages) {
    case Stages::kNone: return false;
    case Stages::kStage1: if (!e.s1) return false; break;
    case Stages::kStage2Only: if (!e.s2 || e.s1) return false; break;
    case Stages::kAll: if (!e.s1 && !e.s2) return false; break;  // bypass: config only
  }
  if (match_vmid && e.vmid != vmid) return false;
  switch (asid_rule) {
    case Asid::kAny: break;
    case Asid::kNonGlobalOnly: if (e.global || e.asid != asid) return false; break;
    case Asid::kOrGlobal: if (!e.global && e.asid != asid) return false; break;
  }
  if (has_range) {
    if (!overlaps(e.va, e.size_shift, first, last)) return false;
    if (tg_shift && e.granule_shift != tg_shift) return false;
    if (ttl && e.level != ttl) return false;
  }
  return true;
}

bool TlbInvalidation::selects(const WalkCacheEntry& e) const {
  if (leaf_only) return false;
  switch (stages) {
    case Stages::kNone: return false;
    case Stages::kStage1: if (e.stage != 1) return false; break;
    case Stages::kStage2Only: if (e.stage != 2) return false; break;
    case Stages::kAll: break;
  }
  if (match_vmid && e.vmid != vmid) return false;
  // Walk-cache entries have no global bit: an ASID-based command selects its ASID's.
  if (asid_rule != Asid::kAny && e.stage == 1 && e.asid != asid) return false;
  if (has_range && !e.overlaps(first, last)) return false;
  return true;
}

bool ConfigInvalidation::selects(const ConfigCacheEntry& e) const {
  if (!any || e.sid < sid_first || e.sid > sid_last) return false;
  if (ste || all_cds) return ste || e.kind == ConfigCacheEntry::Kind::kCd;
  return e.kind == ConfigCacheEntry::Kind::kCd && e.ssid == ssid;
}

bool ConfigInvalidation::selects(const MicroTlbEntry& e) const {
  if (!any || e.sid < sid_first || e.sid > sid_last) return false;
  if (ste) return true;
  return e.has_cd && (all_cds || e.cd_index == ssid);
}

bool decode_tlbi(const arch::Command& c, bool ril, TlbInvalidation& out, std::string* why) {
  out = TlbInvalidation{};
  using S = TlbInvalidation::Stages;
  using A = TlbInvalidation::Asid;
  switch (c.opcode()) {
    case Opcode::kTlbiNhAll:
      out.stages = S::kStage1;
      out.match_vmid = true;
      out.vmid = c.vmid();
      return true;
    case Opcode::kTlbiNhAsid:
      out.stages = S::kStage1;
      out.match_vmid = true;
      out.vmid = c.vmid();
      out.asid_rule = A::kNonGlobalOnly;
      out.asid = c.asid();
      return true;
    case Opcode::kTlbiNhVa:
      out.stages = S::kStage1;
      out.match_vmid = true;
      out.vmid = c.vmid();
      out.asid_rule = A::kOrGlobal;
      out.asid = c.asid();
      return decode_range(c, c.addr(), ril, out, why);
    case Opcode::kTlbiNhVaa:
      out.stages = S::kStage1;
      out.match_vmid = true;
      out.vmid = c.vmid();
      return decode_range(c, c.addr(), ril, out, why);
    case Opcode::kTlbiS12Vmall:
      out.stages = S::kAll;
      out.match_vmid = true;
      out.vmid = c.vmid();
      return true;
    case Opcode::kTlbiS2Ipa:
      out.stages = S::kStage2Only;
      out.match_vmid = true;
      out.vmid = c.vmid();
      return decode_range(c, c.ipa(), ril, out, why);
    case Opcode::kTlbiNsnhAll:
      out.stages = S::kAll;
      return true;
    case Opcode::kTlbiEl2All:
    case Opcode::kTlbiEl2Asid:
      out.stages = S::kNone;  // no EL2 entries exist in this model
      return true;
    case Opcode::kTlbiEl2Va:
    case Opcode::kTlbiEl2Vaa:
      out.stages = S::kNone;
      return decode_range(c, c.addr(), ril, out, why);
    default:
      if (why) *why = "not a TLB invalidation";
      return false;
  }
}

bool decode_cfgi(const arch::Command& c, unsigned sid_bits, ConfigInvalidation& out) {
  out = ConfigInvalidation{};
  out.any = true;
  out.sid_first = out.sid_last = c.sid();
  switch (c.opcode()) {
    case Opcode::kCfgiSte:
      out.ste = true;
      return true;
    case Opcode::kCfgiSteRange: {
      out.ste = true;
      const unsigned span = c.range() + 1u;  // 2^(RANGE+1) StreamIDs, aligned
      if (c.range() == arch::kCfgiAllRange || span >= 32 || span >= sid_bits) {
        out.sid_first = 0;
        out.sid_last = ~uint32_t{0};
      } else {
        const uint32_t mask = (uint32_t{1} << span) - 1;
        out.sid_first = c.sid() & ~mask;
        out.sid_last = out.sid_first | mask;
      }
      return true;
    }
    case Opcode::kCfgiCd:
      out.ssid = c.ssid();
      return true;
    case Opcode::kCfgiCdAll:
      out.all_cds = true;
      return true;
    default:
      out.any = false;
      return false;
  }
}

}  // namespace smmu::model

// SPDX-License-Identifier: Apache-2.0
#include "rtl_model/smmu/config_fetch.h"

#include "rtl_model/arch/bits.h"

namespace smmu::model {

using arch::EventId;

ConfigFetcher::ConfigFetcher(MemoryPort& mem, TableWalker& walker, ConfigCache& cache,
                             const SmmuTranslationCaps& caps, unsigned sid_bits,
                             unsigned ssid_bits, sc_core::sc_time lookup_time)
    : mem_(mem),
      walker_(walker),
      cache_(cache),
      caps_(caps),
      sid_bits_(sid_bits),
      ssid_bits_(ssid_bits),
      lookup_time_(lookup_time) {}

namespace {
bool fail(ConfigFault& f, EventId id, uint64_t fetch_addr = 0) {
  f = ConfigFault{};
  f.id = id;
  f.fetch_addr = fetch_addr;
  return false;
}

bool bad_stream_id(ConfigFault& f, const StreamTableConfig& st) {
  fail(f, EventId::kBadStreamId);
  f.record = st.record_invalid_sid;
  return false;
}
}  // namespace

unsigned ConfigFetcher::s1cdmax(const arch::Ste& ste) const {
  // SSIDSIZE = 0: S1CDMax is IGNORED, the STE points at one CD (IHI 0070 §5.2).
  return ssid_bits_ == 0 ? 0 : ste.s1cdmax;
}

bool ConfigFetcher::ste_is_valid(const arch::Ste& ste, StageConfig& s2) const {
  if (!ste.valid) return false;
  switch (ste.kind()) {
    case arch::SteConfig::kAbort:
    case arch::SteConfig::kBypass:
      return true;
    default:
      break;
  }
  if (ste.stage1() && !caps_.s1) return false;
  if (ste.stage2() && !caps_.s2) return false;
  // S2VMID tags every translating STE when stage 2 is implemented.
  if (caps_.s2 && !caps_.vmid16 && (ste.s2vmid >> 8) != 0) return false;
  if (ste.stage1()) {
    // IHI 0070 §5.2: S1CDMax beyond SSIDSIZE; a 2-level CD table (S1Fmt != 0 with
    // substreams) without CD2L; S1STALLD = 1 when the stall model is not configurable
    // (IDR0.STALL_MODEL = 0b01); with Hyp, STRW = 0bx1 is reserved. S1Fmt = 0b11 is
    // Reserved and behaves as 0b00 (linear), so it is not an error.
    if (s1cdmax(ste) > ssid_bits_) return false;
    if (s1cdmax(ste) != 0 && ste.s1fmt != 0 && ste.s1fmt != 3 && !caps_.cd2l) return false;
    if (ste.s1stalld) return false;
    if (!ste.stage2() && caps_.hyp && (ste.strw & 1)) return false;
  }
  if (ste.stage2() && !decode_ste_stage2(ste, caps_, s2, nullptr)) return false;
  return true;
}

bool ConfigFetcher::ste_for(const StreamTableConfig& st, uint32_t sid,
                            const ConfigCacheEntry*& entry, ConfigFault& fault,
                            sc_core::sc_time& delay) {
  if ((entry = cache_.find_ste(sid))) {
    ++stats_.ste_hits;
    return true;
  }
  ++stats_.ste_misses;
  const StepScope fetch_step(recorder_, "STE fetch", delay);
  // StreamIDs beyond the table (or beyond SIDSIZE) are bad.
  if (st.log2size < 32 && (uint64_t{sid} >> st.log2size) != 0) return bad_stream_id(fault, st);
  if (sid_bits_ < 32 && (uint64_t{sid} >> sid_bits_) != 0) return bad_stream_id(fault, st);

  uint64_t ste_addr;
  if (st.two_level) {
    uint64_t l1_addr = st.base + (uint64_t{sid} >> st.split) * 8;
    uint64_t raw;
    bool read_ok;
    {
      const StepScope read_step(recorder_, "L1 STD read", delay);
      read_ok = mem_.read64(l1_addr, raw, delay);
    }
    if (!read_ok) return fail(fault, EventId::kSteFetch, l1_addr);
    auto l1 = arch::L1StreamDescriptor::decode(raw);
    uint64_t index = sid & ((uint64_t{1} << st.split) - 1);
    // SPAN 0 is invalid; a SPAN above SPLIT+1 is treated as invalid too.
    if (l1.span == 0 || l1.span > st.split + 1 || index >= (uint64_t{1} << (l1.span - 1)))
      return bad_stream_id(fault, st);
    ste_addr = l1.l2ptr + index * 64;
  } else {
    ste_addr = st.base + uint64_t{sid} * 64;
  }
  arch::SteWords words;
  ++stats_.ste_fetches;
  bool ste_read;
  {
    const StepScope read_step(recorder_, "STE read", delay);
    ste_read = mem_.read(ste_addr, words.data(), 64, delay);
  }
  if (!ste_read) return fail(fault, EventId::kSteFetch, ste_addr);

  ConfigCacheEntry e;
  e.kind = ConfigCacheEntry::Kind::kSte;
  e.sid = sid;
  e.ste = arch::Ste::decode(words);
  if (!ste_is_valid(e.ste, e.s2)) return fail(fault, EventId::kBadSte);
  cache_.insert(e);
  entry = cache_.find_ste(sid);
  return true;
}

bool ConfigFetcher::cd_table_address(const ConfigCacheEntry& ste, uint64_t addr, uint64_t& pa,
                                     ConfigFault& fault, sc_core::sc_time& delay) {
  if (!ste.ste.stage2()) {
    pa = addr;
    return true;
  }
  Access read;
  WalkResult r = walker_.translate_stage2(addr, ste.s2, read, FaultClass::kCdFetch, delay);
  if (!r.ok()) {
    fault = ConfigFault{};
    // A stage-2 fault on the CD fetch is reported as that fault with S2 and CLASS = CD.
    switch (r.fault) {
      case FaultType::kTranslation: fault.id = EventId::kTranslation; break;
      case FaultType::kAddrSize: fault.id = EventId::kAddrSize; break;
      case FaultType::kAccess: fault.id = EventId::kAccess; break;
      case FaultType::kPermission: fault.id = EventId::kPermission; break;
      default: fault.id = EventId::kWalkEabt; break;
    }
    fault.s2 = r.fault_stage2;
    fault.ipa = addr;
    fault.fetch_addr = r.fetch_addr;
    fault.faults.s2_record = ste.ste.s2r;
    return false;
  }
  pa = r.out_addr;
  return true;
}

bool ConfigFetcher::fetch_cd(const ConfigCacheEntry& ste, uint32_t sid, uint32_t ssid,
                             const ConfigCacheEntry*& entry, ConfigFault& fault,
                             sc_core::sc_time& delay) {
  ++stats_.cd_misses;
  const StepScope fetch_step(recorder_, "CD fetch", delay);
  const arch::Ste& s = ste.ste;
  uint64_t cd_ipa;
  // S1Fmt = 0b11 is Reserved and behaves as 0b00 (linear).
  if (s1cdmax(s) != 0 && (s.s1fmt == 1 || s.s1fmt == 2)) {
    // 2-level: S1FMT 1 has 4 KiB leaves (64 CDs), S1FMT 2 64 KiB leaves (1024 CDs).
    unsigned split = s.s1fmt == 1 ? 6 : 10;
    uint64_t l1_ipa = s.s1_context_ptr + (uint64_t{ssid} >> split) * 8;
    uint64_t l1_pa;
    if (!cd_table_address(ste, l1_ipa, l1_pa, fault, delay)) return false;
    uint64_t raw;
    bool read_ok;
    {
      const StepScope read_step(recorder_, "L1 CD read", delay);
      read_ok = mem_.read64(l1_pa, raw, delay);
    }
    if (!read_ok) return fail(fault, EventId::kCdFetch, l1_pa);
    auto l1 = arch::L1CdDescriptor::decode(raw);
    if (!l1.valid) return fail(fault, EventId::kBadSubstreamId);
    cd_ipa = l1.l2ptr + (ssid & ((uint64_t{1} << split) - 1)) * 64;
  } else {
    cd_ipa = s.s1_context_ptr + uint64_t{ssid} * 64;
  }
  uint64_t cd_pa;
  if (!cd_table_address(ste, cd_ipa, cd_pa, fault, delay)) return false;
  arch::CdWords words;
  ++stats_.cd_fetches;
  bool cd_read;
  {
    const StepScope read_step(recorder_, "CD read", delay);
    cd_read = mem_.read(cd_pa, words.data(), 64, delay);
  }
  if (!cd_read) return fail(fault, EventId::kCdFetch, cd_pa);

  ConfigCacheEntry e;
  e.kind = ConfigCacheEntry::Kind::kCd;
  e.sid = sid;
  e.ssid = ssid;
  e.cd = arch::Cd::decode(words);
  if (!decode_cd_regime(e.cd, caps_, e.s1, nullptr)) return fail(fault, EventId::kBadCd);
  cache_.insert(e);
  entry = cache_.find_cd(sid, ssid);
  return true;
}

bool ConfigFetcher::resolve(const StreamTableConfig& st, uint32_t sid, uint32_t ssid, bool ssv,
                            StreamConfig& out, ConfigFault& fault, sc_core::sc_time& delay) {
  {
    const StepScope lookup_step(recorder_, "config cache lookup", delay);
    delay += lookup_time_;
  }
  const ConfigCacheEntry* ste = nullptr;
  if (!ste_for(st, sid, ste, fault, delay)) return false;
  const arch::Ste& s = ste->ste;

  out = StreamConfig{};
  out.eats = s.eats;
  switch (s.kind()) {
    case arch::SteConfig::kAbort:
      fault = ConfigFault{};
      fault.record = false;
      return false;
    case arch::SteConfig::kBypass:
      if (ssv) return fail(fault, EventId::kBadSubstreamId);
      out.kind = StreamConfig::Kind::kBypass;
      out.eats = 0;  // Config = bypass: EATS is effectively 0b00 (IHI 0070 §5.2 Config)
      return true;
    default:
      break;
  }
  out.kind = StreamConfig::Kind::kTranslate;
  out.s2 = s.stage2();
  out.vmid = caps_.s2 ? s.s2vmid : 0;
  if (out.s2) {
    out.s2_config = ste->s2;
    out.faults.s2_record = s.s2r;
  }

  if (!s.stage1()) {
    if (ssv) return fail(fault, EventId::kBadSubstreamId);
    return true;
  }
  // Stage 1: pick the CD (IHI 0070 §5.2 S1CDMax, S1DSS; §7.3.7, §7.3.9). With a single
  // CD (S1CDMax = 0) traffic uses CD 0 and SubstreamIDs are bad. With a CD table,
  // SubstreamIDs select their CD, except SubstreamID 0 under S1DSS = 0b10 (CD 0 is
  // reserved for traffic without one: F_STREAM_DISABLED); traffic without a SubstreamID
  // follows S1DSS, whose Reserved value 0b11 behaves as 0b00 (terminate).
  const unsigned cdmax = s1cdmax(s);
  const auto dss = static_cast<arch::S1Dss>(s.s1dss);
  uint32_t cd_index = 0;
  if (cdmax == 0) {
    if (ssv) return fail(fault, EventId::kBadSubstreamId);
  } else if (ssv) {
    if ((uint64_t{ssid} >> cdmax) != 0) return fail(fault, EventId::kBadSubstreamId);
    if (ssid == 0 && dss == arch::S1Dss::kSubstream0) return fail(fault, EventId::kStreamDisabled);
    cd_index = ssid;
  } else {
    switch (dss) {
      case arch::S1Dss::kBypass: return true;  // stage 1 bypassed; stage 2 (if any) applies
      case arch::S1Dss::kSubstream0: cd_index = 0; break;
      default: return fail(fault, EventId::kStreamDisabled);  // 0b00, and 0b11 as 0b00
    }
  }
  const ConfigCacheEntry* cd = cache_.find_cd(sid, cd_index);
  if (cd) {
    ++stats_.cd_hits;
  } else {
    // Fetch from a copy of the STE: the CD insert may evict the STE entry from the cache.
    const ConfigCacheEntry ste_copy = *ste;
    if (!fetch_cd(ste_copy, sid, cd_index, cd, fault, delay)) return false;
  }
  out.s1 = true;
  out.cd_index = cd_index;
  out.s1_regime = cd->s1;
  out.asid = cd->cd.asid;
  out.faults.s1_record = cd->cd.r;
  out.faults.s1_abort = cd->cd.a;  // A = 0 only decodes with RAZ/WI termination
  return true;
}

}  // namespace smmu::model

// SPDX-License-Identifier: Apache-2.0
#include "rtl_model/smmu/smmu_param_table.h"

#include <cmath>

#include "rtl_model/arch/registers.h"

namespace smmu::model {

namespace {

using P = SmmuParams;
using F = SmmuFeatures;
using T = SmmuTiming;

// Accessors by member pointers, so that an entry names its field once; the owner
// (SmmuParams or TbuLayout) is the class of the first member pointer.
template <typename M>
struct OwnerOf;
template <typename C, typename M>
struct OwnerOf<M C::*> {
  using type = C;
};
template <auto Field>
auto top() {
  using O = typename OwnerOf<decltype(Field)>::type;
  return ParamAccess<O>(&param_member<O, Field>);
}
template <auto Group, auto Field>
auto in() {
  using O = typename OwnerOf<decltype(Group)>::type;
  return ParamAccess<O>(&param_nested<O, Group, Field>);
}
template <auto Field>
ParamAccess<TbuLayout> tbu_tlb() {
  return &param_optional<TbuLayout, &TbuLayout::main_tlb, Field>;
}

// Bounds: a typo, not a plan, beyond them (caches would allocate gigabytes of lines).
constexpr uint64_t kMaxCycles = 1 << 20;
constexpr uint64_t kMaxSlots = 1 << 16;
constexpr uint64_t kMaxSets = 1 << 14;
constexpr uint64_t kMaxWays = 64;
constexpr uint64_t kMaxMicroTlbEntries = kMaxWays * 4;
constexpr uint64_t kMaxClockPeriodPs = 1000'000;  // 1 us
constexpr uint64_t kMaxDtiTokens = 1 << 16;

SmmuParam feature(const char* key, ParamAccess<P> get, const char* doc) {
  return {key, get, 0, 0, {}, false, "", doc};
}
SmmuParam cycles(const char* key, ParamAccess<P> get, const char* doc) {
  return {key, get, 0, kMaxCycles, {}, false, "cycles", doc};
}

}  // namespace

const std::vector<SmmuParam>& smmu_param_table() {
  static const std::vector<SmmuParam> kTable = [] {
    const uint64_t max_queue = arch::reg::kMaxQueueLog2Size;
    const uint64_t max_ecmdqs = uint64_t{1} << arch::reg::kMaxLog2NumQ;
    std::vector<SmmuParam> t = {
        {"grant_dmi", top<&P::grant_dmi>(), 0, 0, {}, false, "",
         "allow upstream DMI for pages that translate to DMI memory (traffic[] with dmi)"},
        feature("features.stage1", in<&P::features, &F::stage1>(), "stage-1 translation (IDR0.S1P)"),
        feature("features.stage2", in<&P::features, &F::stage2>(), "stage-2 translation (IDR0.S2P)"),
        feature("features.ats", in<&P::features, &F::ats>(), "PCIe ATS (IDR0.ATS)"),
        feature("features.msi", in<&P::features, &F::msi>(), "MSIs (IDR0.MSI)"),
        feature("features.sev", in<&P::features, &F::sev>(), "CMD_SYNC may send SEV (IDR0.SEV)"),
        feature("features.hyp", in<&P::features, &F::hyp>(), "EL2 (E2H) translation regimes (IDR0.HYP)"),
        feature("features.range_invalidation", in<&P::features, &F::range_invalidation>(),
                "range TLB invalidation (IDR3.RIL)"),
        feature("features.two_level_stream_table", in<&P::features, &F::two_level_stream_table>(),
                "2-level stream tables (IDR0.ST_LEVEL)"),
        feature("features.two_level_cd_table", in<&P::features, &F::two_level_cd_table>(),
                "2-level CD tables (IDR0.CD2L)"),
        feature("features.coherent", in<&P::features, &F::coherent>(), "coherent table walks (IDR0.COHACC)"),
        feature("features.asid16", in<&P::features, &F::asid16>(), "16-bit ASIDs (IDR0.ASID16)"),
        feature("features.vmid16", in<&P::features, &F::vmid16>(), "16-bit VMIDs (IDR0.VMID16)"),
        feature("features.gran4k", in<&P::features, &F::gran4k>(), "4 KiB granule (IDR5.GRAN4K); at least one granule"),
        feature("features.gran16k", in<&P::features, &F::gran16k>(), "16 KiB granule (IDR5.GRAN16K)"),
        feature("features.gran64k", in<&P::features, &F::gran64k>(), "64 KiB granule (IDR5.GRAN64K)"),
        feature("features.raz_wi_termination", in<&P::features, &F::raz_wi_termination>(),
                "IDR0.TERM_MODEL = 0: a stage-1 fault of a CD with A = 0 completes RAZ/WI; false: abort only, CD.A = 0 is C_BAD_CD"),
        feature("features.va52", in<&P::features, &F::va52>(),
                "IDR5.VAX: 52-bit VAs (TxSZ down to 12) with the 64K granule; needs gran64k"),
        {"features.oas_bits", in<&P::features, &F::oas_bits>(), 0, 0, {32, 36, 40, 42, 44, 48, 52}, false, "bits",
         "output address size (IDR5.OAS); 52 needs gran64k; must reach the top of memory"},
        {"features.sid_bits", in<&P::features, &F::sid_bits>(), 0, 32, {}, false, "bits", "StreamID width (IDR1.SIDSIZE)"},
        {"features.ssid_bits", in<&P::features, &F::ssid_bits>(), 0, 20, {}, false, "bits",
         "SubstreamID width (IDR1.SSIDSIZE)"},
        {"features.cmdq_log2_entries", in<&P::features, &F::cmdq_log2_entries>(), 0, max_queue, {}, false, "log2 entries",
         "largest command queue software may set (IDR1.CMDQS)"},
        {"features.evtq_log2_entries", in<&P::features, &F::evtq_log2_entries>(), 0, max_queue, {}, false, "log2 entries",
         "largest event queue software may set (IDR1.EVTQS)"},
        {"features.ecmdqs", in<&P::features, &F::ecmdqs>(), 0, max_ecmdqs, {}, true, "queues",
         "Enhanced Command queues in one control page (IHI 0070 §3.5.6, IDR1.ECMDQ); needs coherent and msi"},
        {"timing.clock_period", in<&P::timing, &T::clock_period>(), 1, kMaxClockPeriodPs, {}, false, "",
         "the SMMU clock: every cycle count below is of it"},
        cycles("timing.micro_tlb_cycles", in<&P::timing, &T::micro_tlb_cycles>(), "micro-TLB lookup at the port"),
        cycles("timing.link_cycles", in<&P::timing, &T::link_cycles>(),
               "the default TBU's DTI link to the TCU, each way (a micro-TLB miss, a CMD_SYNC after invalidations, ATS requests)"),
        cycles("timing.config_cache_cycles", in<&P::timing, &T::config_cache_cycles>(), "STE/CD lookup"),
        cycles("timing.main_tlb_cycles", in<&P::timing, &T::main_tlb_cycles>(), "main TLB lookup"),
        cycles("timing.walk_cache_cycles", in<&P::timing, &T::walk_cache_cycles>(), "walk-cache lookup (one per stage walk)"),
        cycles("timing.register_cycles", in<&P::timing, &T::register_cycles>(), "MMIO register access"),
        {"timing.translation_slots", in<&P::timing, &T::translation_slots>(), 1, kMaxSlots, {}, false, "translations",
         "translations in the TCU at once (occupancy)"},
        {"timing.walk_slots", in<&P::timing, &T::walk_slots>(), 1, kMaxSlots, {}, false, "walks",
         "table walks at once (occupancy)"},
        cycles("timing.command_cycles", in<&P::timing, &T::command_cycles>(), "decode and issue of any command"),
        {"timing.command_fetch_batch", in<&P::timing, &T::command_fetch_batch>(), 1, kMaxCommandFetchBatch, {}, false,
         "commands", "contiguous commands read per queue access (one turn of a queue)"},
        cycles("timing.invalidation_cycles_per_set", in<&P::timing, &T::invalidation_cycles_per_set>(),
               "scan of one set (of the largest cache) by a tag-wide invalidation"),
        cycles("timing.invalidation_cycles_per_page", in<&P::timing, &T::invalidation_cycles_per_page>(),
               "probe of one page by an address-based TLBI (capped by a full scan)"),
        {"timing.atc_inv_timeout", in<&P::timing, &T::atc_inv_timeout>(), 0, kMaxParamTimePs, {}, false, "",
         "an ATC_INV unanswered by then fails the CMD_SYNC with ATC_INV_SYNC"},
        {"micro_tlb.entries", in<&P::micro_tlb, &MicroTlbParams::entries>(), 1, kMaxMicroTlbEntries, {}, false,
         "entries", "each port's micro TLB (fully associative)"},
        {"micro_tlb.policy", in<&P::micro_tlb, &MicroTlbParams::policy>(), 0, 0, {}, false, "", "its replacement policy"},
        {"main_tlb.sets", in<&P::main_tlb, &TlbParams::sets>(), 1, kMaxSets, {}, true, "sets", "the TCU's main TLB"},
        {"main_tlb.ways", in<&P::main_tlb, &TlbParams::ways>(), 1, kMaxWays, {}, false, "ways", "its associativity"},
        {"main_tlb.policy", in<&P::main_tlb, &TlbParams::policy>(), 0, 0, {}, false, "", "its replacement policy"},
        {"walk_cache.sets", in<&P::walk_cache, &WalkCacheParams::sets>(), 1, kMaxSets, {}, true, "sets",
         "the walk cache (table descriptors)"},
        {"walk_cache.ways", in<&P::walk_cache, &WalkCacheParams::ways>(), 1, kMaxWays, {}, false, "ways",
         "its associativity"},
        {"walk_cache.policy", in<&P::walk_cache, &WalkCacheParams::policy>(), 0, 0, {}, false, "",
         "its replacement policy"},
        {"config_cache.sets", in<&P::config_cache, &ConfigCacheParams::sets>(), 1, kMaxSets, {}, true, "sets",
         "the configuration cache (STEs and CDs)"},
        {"config_cache.ways", in<&P::config_cache, &ConfigCacheParams::ways>(), 1, kMaxWays, {}, false, "ways",
         "its associativity"},
        {"config_cache.policy", in<&P::config_cache, &ConfigCacheParams::policy>(), 0, 0, {}, false, "",
         "its replacement policy"},
    };
    return t;
  }();
  return kTable;
}

const std::vector<TbuParam>& tbu_param_table() {
  static const std::vector<TbuParam> kTable = {
      {"dti_latency", top<&TbuLayout::dti_latency>(), 0, kMaxParamTimePs, {}, false, "",
       "one way, TBU <-> TCU: a miss costs it twice, so does the answer to a CMD_SYNC's DTI sync"},
      {"micro_tlb.entries", in<&TbuLayout::micro_tlb, &MicroTlbParams::entries>(), 1, kMaxMicroTlbEntries, {},
       false, "entries", "each port's micro TLB", "the SMMU's"},
      {"micro_tlb.policy", in<&TbuLayout::micro_tlb, &MicroTlbParams::policy>(), 0, 0, {}, false, "",
       "its replacement policy", "the SMMU's"},
      {"main_tlb.sets", tbu_tlb<&TlbParams::sets>(), 1, kMaxSets, {}, true, "sets",
       "the TBU's own TLB shared by its ports, before the DTI request (main_tlb absent or null: none)"},
      {"main_tlb.ways", tbu_tlb<&TlbParams::ways>(), 1, kMaxWays, {}, false, "ways", "its associativity"},
      {"main_tlb.policy", tbu_tlb<&TlbParams::policy>(), 0, 0, {}, false, "", "its replacement policy"},
      {"max_translations", top<&TbuLayout::max_translations>(), 0, kMaxDtiTokens, {}, false, "tokens",
       "DTI tokens: misses in flight at once (0: no limit); a miss beyond waits (token_stalls)"},
  };
  return kTable;
}

uint64_t param_time_ps(const sc_core::sc_time& t) {
  return static_cast<uint64_t>(std::llround(t.to_seconds() * 1e12));
}

std::string format_param_time(uint64_t ps) {
  static const struct {
    const char* name;
    uint64_t ps;
  } kUnits[] = {{"s", 1000'000'000'000}, {"ms", 1000'000'000}, {"us", 1000'000}, {"ns", 1000}};
  if (ps != 0)
    for (const auto& u : kUnits)
      if (ps % u.ps == 0) return std::to_string(ps / u.ps) + " " + u.name;
  return ps == 0 ? "0 ns" : std::to_string(ps) + " ps";
}

std::string param_range_text(size_t type, uint64_t min, uint64_t max, const std::vector<uint64_t>& allowed,
                             bool pow2) {
  switch (type) {
    case 0: return "true, false";
    case 2: return format_param_time(min) + " .. " + format_param_time(max);
    case 3: return "lru, fifo, random";
    default: break;
  }
  if (!allowed.empty()) {
    std::string s;
    for (uint64_t v : allowed) s += (s.empty() ? "" : ", ") + std::to_string(v);
    return s;
  }
  const std::string span = std::to_string(min) + " .. " + std::to_string(max);
  if (!pow2) return span;
  return min == 0 ? "0 or a power of two up to " + std::to_string(max) : "a power of two in " + span;
}

}  // namespace smmu::model

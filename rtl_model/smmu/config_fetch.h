// SPDX-License-Identifier: Apache-2.0
// Finding a stream's configuration: the STE (linear or 2-level stream table) and, when
// stage 1 is in use, the CD (linear or 2-level CD table, SubstreamID and S1DSS rules),
// through the config cache. Bad or unreachable configuration becomes the architectural
// event (C_BAD_STREAMID, F_STE_FETCH, C_BAD_STE, F_STREAM_DISABLED, C_BAD_SUBSTREAMID,
// F_CD_FETCH, C_BAD_CD), or a silent abort for STE.Config = abort.
#pragma once

#include <cstdint>
#include <systemc>

#include "rtl_model/arch/event.h"
#include "rtl_model/smmu/config_cache.h"
#include "rtl_model/smmu/memory_port.h"
#include "rtl_model/smmu/regime.h"
#include "rtl_model/smmu/step_recorder.h"
#include "rtl_model/smmu/table_walker.h"

namespace smmu::model {

// STRTAB_BASE / STRTAB_BASE_CFG as the SMMU uses them.
struct StreamTableConfig {
  uint64_t base = 0;
  bool two_level = false;
  unsigned split = 8;
  unsigned log2size = 0;
  // CR2.RECINVSID: a StreamID the table does not have is recorded as C_BAD_STREAMID;
  // without it the transaction aborts unrecorded (IHI 0070 6.3.12).
  bool record_invalid_sid = true;
};

// A stream's configuration, ready for translation.
struct StreamConfig {
  enum class Kind : uint8_t { kAbort, kBypass, kTranslate } kind = Kind::kAbort;
  bool s1 = false;           // stage 1 applies to this transaction (not bypassed by S1DSS)
  bool s2 = false;
  Stage1Regime s1_regime;
  StageConfig s2_config;
  uint16_t vmid = 0;         // tags TLB entries: STE.S2VMID when stage 2 is implemented
  uint16_t asid = 0;
  uint32_t cd_index = 0;     // the CD used when s1
  uint8_t eats = 0;
  FaultConfig faults;        // CD.{R, A} (when s1) and STE.S2R (when s2)
};

// The outcome of a failed lookup: which event, with the fields it reports.
struct ConfigFault {
  bool record = true;        // false: abort without an event (STE.Config = abort, CR2.RECINVSID = 0)
  arch::EventId id = arch::EventId::kBadSte;
  uint64_t fetch_addr = 0;   // F_STE_FETCH, F_CD_FETCH
  bool s2 = false;           // the CD fetch failed in stage 2 (nested)
  uint64_t ipa = 0;
  // A stage-2 Translation-related fault of a CD fetch follows STE.S2R (IHI 0070 §3.12:
  // configurable "during the process of fetching a CD from IPA space").
  FaultConfig faults;
};

struct ConfigFetchStats {
  uint64_t ste_hits = 0, ste_misses = 0, cd_hits = 0, cd_misses = 0;
  uint64_t ste_fetches = 0, cd_fetches = 0;
};

class ConfigFetcher {
 public:
  ConfigFetcher(MemoryPort& mem, TableWalker& walker, ConfigCache& cache,
                const SmmuTranslationCaps& caps, unsigned sid_bits, unsigned ssid_bits,
                sc_core::sc_time lookup_time);

  // Resolves the configuration of (sid, ssid/ssv); adds lookup and fetch time to delay.
  bool resolve(const StreamTableConfig& st, uint32_t sid, uint32_t ssid, bool ssv,
               StreamConfig& out, ConfigFault& fault, sc_core::sc_time& delay);

  const ConfigFetchStats& stats() const { return stats_; }
  // The cache lookup, STE and CD fetches and their reads as steps (nullptr: none).
  void set_recorder(StepRecorder* r) { recorder_ = r; }

 private:
  bool ste_for(const StreamTableConfig& st, uint32_t sid, const ConfigCacheEntry*& entry,
               ConfigFault& fault, sc_core::sc_time& delay);
  // A CD the cache missed: fetched, checked and inserted; entry points at it in the cache.
  bool fetch_cd(const ConfigCacheEntry& ste, uint32_t sid, uint32_t ssid,
                const ConfigCacheEntry*& entry, ConfigFault& fault, sc_core::sc_time& delay);
  bool ste_is_valid(const arch::Ste& ste, StageConfig& s2) const;
  unsigned s1cdmax(const arch::Ste& ste) const;  // effective S1CDMax
  // A CD-table address: a PA, or an IPA translated by stage 2 when the STE is nested.
  bool cd_table_address(const ConfigCacheEntry& ste, uint64_t addr, uint64_t& pa,
                        ConfigFault& fault, sc_core::sc_time& delay);

  MemoryPort& mem_;
  TableWalker& walker_;
  ConfigCache& cache_;
  SmmuTranslationCaps caps_;
  unsigned sid_bits_, ssid_bits_;
  sc_core::sc_time lookup_time_;
  ConfigFetchStats stats_;
  StepRecorder* recorder_ = nullptr;
};

}  // namespace smmu::model

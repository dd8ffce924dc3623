// SPDX-License-Identifier: Apache-2.0
// Everything that configures one SMMU instance: the features it advertises in its ID
// registers, the sizes of its caches, and its timing. Defaults follow gem5's SMMUv3
// where it has one (see README, "SMMU parameters"). Their scenario keys, accepted values
// and meanings are smmu_param_table.cpp: a new parameter goes there too.
#pragma once

#include <optional>
#include <systemc>
#include <vector>

#include "rtl_model/smmu/config_cache.h"
#include "rtl_model/smmu/tlb.h"
#include "rtl_model/smmu/walk_cache.h"

namespace smmu::model {

// What the SMMU implements; encoded into IDR0..IDR5.
struct SmmuFeatures {
  bool stage1 = true;
  bool stage2 = true;
  bool ats = true;
  bool msi = true;
  bool sev = true;
  bool hyp = true;                // EL2 (E2H) translation regimes
  bool range_invalidation = true; // IDR3.RIL
  bool two_level_stream_table = true;
  bool two_level_cd_table = true;
  bool coherent = true;           // IDR0.COHACC
  bool asid16 = true;
  bool vmid16 = true;
  bool gran4k = true, gran16k = true, gran64k = true;
  // IDR0.TERM_MODEL = 0: a stage-1 fault of a CD with A = 0 completes RAZ/WI (reads
  // return zero, writes are ignored). false: TERM_MODEL = 1, abort only, and a CD with
  // A = 0 is ILLEGAL (C_BAD_CD) (IHI 0070 §5.5, §6.3.1).
  bool raz_wi_termination = true;
  // IDR5.VAX = 0b01: 52-bit VAs with the 64K granule (CD.TxSZ down to 12). Needs gran64k
  // (no LPA2: IDR5.DS = 0).
  bool va52 = false;
  unsigned oas_bits = 48;         // one of 32, 36, 40, 42, 44, 48, 52 (52 needs gran64k)
  unsigned sid_bits = 16;         // IDR1.SIDSIZE
  unsigned ssid_bits = 20;        // IDR1.SSIDSIZE
  unsigned cmdq_log2_entries = 8; // IDR1.CMDQS: largest command queue software may set
  unsigned evtq_log2_entries = 7; // IDR1.EVTQS
  // Enhanced Command queues (IHI 0070 §3.5.6) in one Non-secure control page: 0 (none,
  // IDR1.ECMDQ = 0) or a power of two up to 256 (IDR6.CMDQ_CONTROL_PAGE_LOG2NUMQ). Needs
  // coherent and msi (§6.3.2).
  unsigned ecmdqs = 0;
};

// The most commands one queue read fetches (the TCU's command buffer).
constexpr unsigned kMaxCommandFetchBatch = 64;

struct SmmuTiming {
  sc_core::sc_time clock_period{1, sc_core::SC_NS};
  // The micro TLB sits at the port (the TBU); a miss crosses a link to the shared part
  // (the TCU: config cache, main TLB, walker) and the answer crosses it back.
  unsigned micro_tlb_cycles = 1;
  unsigned link_cycles = 8;          // one way, TBU <-> TCU
  unsigned config_cache_cycles = 2;
  unsigned main_tlb_cycles = 3;
  unsigned walk_cache_cycles = 2;
  unsigned register_cycles = 2;      // an MMIO register access
  unsigned translation_slots = 64;   // translations the TCU works on at once
  unsigned walk_slots = 16;          // table walks in flight at once
  // Command queue.
  unsigned command_cycles = 2;           // decode and issue of any command
  unsigned command_fetch_batch = 8;      // contiguous commands read per queue access
  unsigned invalidation_cycles_per_set = 1;   // scanning one set of the largest cache
  unsigned invalidation_cycles_per_page = 1;  // probing one page of an address-based TLBI
  sc_core::sc_time atc_inv_timeout{100, sc_core::SC_US};  // unanswered ATC_INV: ATC_INV_SYNC

  sc_core::sc_time cycles(unsigned n) const { return clock_period * static_cast<double>(n); }
};

// One TBU of a distributed layout: the SMMU ports it serves and its own parameters (its
// clock, micro-TLB and invalidation cycles are the SMMU's timing).
struct TbuLayout {
  std::vector<unsigned> ports;             // SMMU port numbers, in binding order
  sc_core::sc_time dti_latency{8, sc_core::SC_NS};  // one way, TBU <-> TCU
  MicroTlbParams micro_tlb;
  std::optional<TlbParams> main_tlb;       // none: micro-TLB misses go to the TCU
  unsigned max_translations = 0;           // DTI tokens (0: no limit)
};

struct SmmuParams {
  SmmuFeatures features;
  SmmuTiming timing;
  MicroTlbParams micro_tlb;
  TlbParams main_tlb;
  WalkCacheParams walk_cache;
  ConfigCacheParams config_cache;
  bool grant_dmi = true;  // allow upstream DMI for pages that translate to DMI memory
  // The TCU reads tables (STEs, CDs, descriptors) through DMI where memory grants it:
  // the same times, fewer host instructions. false: every read is a b_transport.
  bool walk_dmi = true;
  // Empty: one TBU serves every port (micro_tlb per port, DTI latency link_cycles).
  std::vector<TbuLayout> tbus;
};

}  // namespace smmu::model

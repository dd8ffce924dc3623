// SPDX-License-Identifier: Apache-2.0
// The DTI-like conversation between a TBU and its TCU, as TLM transactions. Arm's
// Distributed Translation Interface (AMBA DTI, used by MMU-600/700) carries translation
// requests from each TBU to the TCU, and invalidations and syncs from the TCU to every
// connected TBU. This model keeps its messages and their timing, not its flit encoding.
//
// Two links per TBU, bound together by bind_dti() so that link i of the TCU's two
// multi-sockets is the same TBU:
// - TBU -> TCU (the TBU's `dti` initiator socket, the TCU's `dti` target socket): a
//   payload (any command, address = the input address) carrying a DtiRequest.
//     kConnect / kDisconnect: the TBU joins or leaves; only connected TBUs are sent
//       invalidations, so a TBU empties its TLBs before it disconnects. The answer of
//       kConnect carries the TCU's global state.
//     kTranslate: a TLB miss. The answer is the Translation and, when the TBU may cache
//       it, the entry (with every tag an invalidation selects on).
//     kCheckTranslated: a pre-translated (ATS) transaction with CR0.ATSCHK = 1.
//     kFaultReport: a fault the TBU found on a TLB hit (a permission fault). The TCU
//       records the event (or not, per the stream's fault configuration) and answers how
//       the transaction terminates (abort or RAZ/WI).
//   The TBU adds its link latency before the call and again after it; the TCU adds its
//   own time (slots, config, TLB, walk) to the annotated delay. Nothing waits.
// - TCU -> TBU (the TCU's `dti_inv` initiator socket, the TBU's `dti_inv` target
//   socket): a payload carrying a DtiMessage, sent at sc_time_stamp() + delay.
//     kTlbInvalidate / kConfigInvalidate: the TBU removes what the command selects at
//       once (so nothing stale is ever used) and answers how many entries went.
//     kSync: the TBU answers when it has finished every invalidation sent before it.
//     kGlobalState: SMMUEN, GBPA and ATSCHK changed (the TBU needs them on its hit
//       path); applied at once, no answer time.
//   For invalidations and syncs the TBU returns, as the annotated delay, the time from
//   now at which its acknowledgement reaches the TCU: send time + link latency + its
//   own work (queued behind earlier invalidations) + link latency. A CMD_SYNC completes
//   only when every TBU sent invalidations since the last sync has acknowledged a sync.
#pragma once

#include <cstdint>
#include <tlm>

#include "rtl_model/arch/event.h"
#include "rtl_model/smmu/tlb.h"
#include "rtl_model/smmu/translation_types.h"

namespace smmu::model {

struct TlbInvalidation;
struct ConfigInvalidation;

// What a TBU needs of the TCU's registers to handle traffic without asking it.
struct DtiGlobalState {
  bool smmu_enabled = false;  // CR0.SMMUEN
  bool gbpa_abort = false;    // GBPA.ABORT: traffic while SMMUEN = 0 aborts
  bool atschk = false;        // CR0.ATSCHK: pre-translated traffic is checked by the TCU
  bool ats = false;           // IDR0.ATS
  unsigned oas_bits = 48;     // IDR5.OAS: bypassed input above it aborts (IHI 0070 §3.4)
};

struct DtiRequest : tlm::tlm_extension<DtiRequest> {
  enum class Kind : uint8_t { kConnect, kDisconnect, kTranslate, kCheckTranslated, kFaultReport };
  Kind kind = Kind::kTranslate;
  // --- request (kTranslate, kCheckTranslated, kFaultReport)
  uint32_t sid = 0, ssid = 0;
  bool ssv = false;
  Access access;
  bool probe = false;         // DMI or debug lookup: no counting, filling or recording
  arch::EventRecord event;    // kFaultReport: id, S2, CLASS, IPA of the fault
  FaultConfig faults;         // kFaultReport: the stream's, from the TLB entry

  // --- answer
  Translation result;         // kTranslate, kFaultReport (kind); kCheckTranslated (ok, out_addr)
  bool cacheable = false;     // kTranslate: `entry` may be cached by the TBU
  MicroTlbEntry entry;
  DtiGlobalState state;       // kConnect

  tlm::tlm_extension_base* clone() const override { return new DtiRequest(*this); }
  void copy_from(const tlm::tlm_extension_base& other) override {
    *this = static_cast<const DtiRequest&>(other);
  }
};

struct DtiMessage : tlm::tlm_extension<DtiMessage> {
  enum class Kind : uint8_t { kTlbInvalidate, kConfigInvalidate, kSync, kGlobalState };
  Kind kind = Kind::kSync;
  const TlbInvalidation* tlbi = nullptr;     // kTlbInvalidate
  const ConfigInvalidation* cfgi = nullptr;  // kConfigInvalidate
  DtiGlobalState state;                      // kGlobalState
  bool revoke_dmi = false;                   // kGlobalState: what translates may have changed
  // --- answer
  unsigned invalidated = 0;  // TLB entries removed

  tlm::tlm_extension_base* clone() const override { return new DtiMessage(*this); }
  void copy_from(const tlm::tlm_extension_base& other) override {
    *this = static_cast<const DtiMessage&>(other);
  }
};

}  // namespace smmu::model

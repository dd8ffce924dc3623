// SPDX-License-Identifier: Apache-2.0
// The ATS conversation between a PCIe endpoint and the SMMU, as TLM transactions:
// - Translation Request: the endpoint sends a payload (any command; address = the
//   untranslated address) carrying an AtsTranslationRequest extension on the SMMU's
//   `ats` socket; the SMMU fills in the completion fields. The PCIe round trip is the
//   endpoint's to add; the SMMU adds its lookup or walk time.
// - Invalidation: the SMMU's ATC_INV sends a write on its `ats_inv` socket to every
//   endpoint, whose data is the 16-byte ATC_INV command (arch::Command words). The
//   endpoint that owns the StreamID removes what the command names and answers
//   TLM_OK_RESPONSE with the round trip as annotated delay (no wait()); one that does
//   not own it answers TLM_ADDRESS_ERROR_RESPONSE at once; one that will never answer
//   leaves TLM_INCOMPLETE_RESPONSE (the SMMU's CMD_SYNC then times out: ATC_INV_SYNC).
#pragma once

#include <cstdint>
#include <tlm>

namespace smmu::model {

struct AtsTranslationRequest : tlm::tlm_extension<AtsTranslationRequest> {
  // --- request
  uint32_t sid = 0;
  uint32_t ssid = 0;
  bool ssv = false;       // a PASID prefix
  bool no_write = false;  // NW: the device asks for read access only
  // PASID prefix Execute Requested / Privileged Mode Requested: 0 without a PASID
  // (IHI 0070 §13.7.1: the SMMU takes such a request as Data, Unprivileged).
  bool exec = false;
  bool priv = false;

  // --- completion
  enum class Status : uint8_t {
    kPending,       // not answered
    kSuccess,       // see read/write: both false means "no access" (a failed translation)
    kUnsupported,   // UR: ATS is not allowed for this stream (or not enabled)
  };
  Status status = Status::kPending;
  uint64_t translated = 0;  // output address of the region's base
  uint8_t size_shift = 12;  // the completion covers 2^size_shift bytes, aligned
  bool read = false;
  bool write = false;
  bool exe = false;         // Exe: execute allowed too (never without exec; implies read)
  // Priv: the privilege level R/W/Exe apply to, always the request's (§13.7); the ATC
  // must not use the entry for the other level (PCIe ATS: no correlation between them).
  bool entry_priv = false;

  tlm::tlm_extension_base* clone() const override { return new AtsTranslationRequest(*this); }
  void copy_from(const tlm::tlm_extension_base& other) override {
    *this = static_cast<const AtsTranslationRequest&>(other);
  }
};

}  // namespace smmu::model

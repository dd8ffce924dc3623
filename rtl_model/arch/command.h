// SPDX-License-Identifier: Apache-2.0
// Command queue entries (16 bytes, two 64-bit words, opcode in dw0[7:0]).
//
// A Command is the two words themselves, with typed accessors: the driver builds one
// with chained setters, the model reads the fields it needs from what it fetched. Field
// positions are those of the command that defines the field; the setters do not check
// that the field belongs to the opcode (command_reserved_bits_clear does).
#pragma once

#include <array>
#include <cstdint>

#include "rtl_model/arch/bits.h"

namespace smmu::arch {

enum class Opcode : uint8_t {
  kPrefetchConfig = 0x01,
  kPrefetchAddr = 0x02,
  kCfgiSte = 0x03,
  kCfgiSteRange = 0x04,  // RANGE = 31 is CFGI_ALL
  kCfgiCd = 0x05,
  kCfgiCdAll = 0x06,
  kTlbiNhAll = 0x10,
  kTlbiNhAsid = 0x11,
  kTlbiNhVa = 0x12,
  kTlbiNhVaa = 0x13,
  kTlbiEl2All = 0x20,
  kTlbiEl2Asid = 0x21,
  kTlbiEl2Va = 0x22,
  kTlbiEl2Vaa = 0x23,
  kTlbiS12Vmall = 0x28,
  kTlbiS2Ipa = 0x2a,
  kTlbiNsnhAll = 0x30,
  kAtcInv = 0x40,
  kPriResp = 0x41,
  kResume = 0x44,
  kStallTerm = 0x45,  // from the architecture (not in the fact sheet)
  kSync = 0x46,
};

bool opcode_known(uint8_t op);
// Architectural name without the CMD_ prefix ("TLBI_NH_VA"); "UNKNOWN" otherwise.
const char* to_string(Opcode op);

// CMD_CFGI_STE_RANGE.RANGE that invalidates every STE (CMD_CFGI_ALL).
constexpr uint8_t kCfgiAllRange = 31;
// CMD_ATC_INV.SIZE that invalidates the whole ATC.
constexpr uint8_t kAtcInvSizeAll = 52;

// CMD_SYNC.CS: how completion is signalled.
enum class SyncCs : uint8_t { kNone = 0, kIrq = 1, kSev = 2 };
// CMD_PRI_RESP.RESP.
enum class PriResp : uint8_t { kDeny = 0, kFail = 1, kSuccess = 2 };
// CMD_RESUME.RESP (Action).
enum class ResumeResp : uint8_t { kTerm = 0, kRetry = 1, kAbort = 2 };

struct Command {
  std::array<uint64_t, 2> dw{};

  constexpr Command() = default;
  constexpr explicit Command(Opcode op) : dw{static_cast<uint8_t>(op), 0} {}
  static constexpr Command from_words(uint64_t dw0, uint64_t dw1) {
    Command c;
    c.dw = {dw0, dw1};
    return c;
  }

  constexpr uint8_t raw_opcode() const { return static_cast<uint8_t>(dw[0]); }
  constexpr Opcode opcode() const { return static_cast<Opcode>(raw_opcode()); }

  // --- dw0
  constexpr bool ssv() const { return bit(dw[0], 11); }
  constexpr bool global() const { return bit(dw[0], 9); }                 // ATC_INV
  constexpr uint32_t ssid() const { return get(0, 31, 12); }
  constexpr uint32_t sid() const { return get(0, 63, 32); }
  constexpr uint8_t num() const { return get(0, 16, 12); }                // range TLBI
  constexpr uint8_t scale() const { return get(0, 24, 20); }              // range TLBI
  constexpr uint16_t vmid() const { return get(0, 47, 32); }
  constexpr uint16_t asid() const { return get(0, 63, 48); }
  constexpr uint8_t cs() const { return get(0, 13, 12); }                 // CMD_SYNC
  constexpr uint8_t msh() const { return get(0, 23, 22); }                // CMD_SYNC
  constexpr uint8_t msiattr() const { return get(0, 27, 24); }            // CMD_SYNC
  constexpr uint32_t msidata() const { return get(0, 63, 32); }           // CMD_SYNC
  // --- dw1
  constexpr bool leaf() const { return bit(dw[1], 0); }
  constexpr uint8_t range() const { return get(1, 4, 0); }                // CFGI_STE_RANGE
  constexpr uint8_t ttl() const { return get(1, 9, 8); }
  constexpr uint8_t tg() const { return get(1, 11, 10); }
  constexpr uint64_t addr() const { return address_bits(dw[1], 63, 12); }  // byte address
  constexpr uint64_t ipa() const { return address_bits(dw[1], 51, 12); }   // byte address
  constexpr uint64_t msiaddr() const { return address_bits(dw[1], 51, 2); }  // byte address
  constexpr uint16_t grpid() const { return get(1, 8, 0); }               // PRI_RESP
  constexpr uint16_t stag() const { return get(1, 15, 0); }               // RESUME
  // SIZE: [5:0] for ATC_INV, [4:0] for PREFETCH_ADDR.
  constexpr uint8_t size() const { return get(1, size_hi(), 0); }
  // RESP: dw1[13:12] for PRI_RESP, dw0[13:12] for RESUME.
  constexpr uint8_t resp() const { return get(resp_word(), 13, 12); }

  constexpr Command& set_ssv(bool v) { return put(0, 11, 11, v); }
  constexpr Command& set_global(bool v) { return put(0, 9, 9, v); }
  constexpr Command& set_ssid(uint32_t v) { return put(0, 31, 12, v); }
  constexpr Command& set_sid(uint32_t v) { return put(0, 63, 32, v); }
  constexpr Command& set_num(uint8_t v) { return put(0, 16, 12, v); }
  constexpr Command& set_scale(uint8_t v) { return put(0, 24, 20, v); }
  constexpr Command& set_vmid(uint16_t v) { return put(0, 47, 32, v); }
  constexpr Command& set_asid(uint16_t v) { return put(0, 63, 48, v); }
  constexpr Command& set_cs(uint8_t v) { return put(0, 13, 12, v); }
  constexpr Command& set_cs(SyncCs v) { return set_cs(static_cast<uint8_t>(v)); }
  constexpr Command& set_msh(uint8_t v) { return put(0, 23, 22, v); }
  constexpr Command& set_msiattr(uint8_t v) { return put(0, 27, 24, v); }
  constexpr Command& set_msidata(uint32_t v) { return put(0, 63, 32, v); }
  constexpr Command& set_leaf(bool v) { return put(1, 0, 0, v); }
  constexpr Command& set_range(uint8_t v) { return put(1, 4, 0, v); }
  constexpr Command& set_ttl(uint8_t v) { return put(1, 9, 8, v); }
  constexpr Command& set_tg(uint8_t v) { return put(1, 11, 10, v); }
  constexpr Command& set_addr(uint64_t a) { return put_address(63, 12, a); }
  constexpr Command& set_ipa(uint64_t a) { return put_address(51, 12, a); }
  constexpr Command& set_msiaddr(uint64_t a) { return put_address(51, 2, a); }
  constexpr Command& set_grpid(uint16_t v) { return put(1, 8, 0, v); }
  constexpr Command& set_stag(uint16_t v) { return put(1, 15, 0, v); }
  constexpr Command& set_size(uint8_t v) { return put(1, size_hi(), 0, v); }
  constexpr Command& set_resp(uint8_t v) { return put(resp_word(), 13, 12, v); }

  constexpr bool operator==(const Command& o) const { return dw[0] == o.dw[0] && dw[1] == o.dw[1]; }
  constexpr bool operator!=(const Command& o) const { return !(*this == o); }

 private:
  constexpr unsigned size_hi() const { return opcode() == Opcode::kAtcInv ? 5 : 4; }
  constexpr unsigned resp_word() const { return opcode() == Opcode::kResume ? 0 : 1; }
  constexpr uint64_t get(unsigned w, unsigned hi, unsigned lo) const { return extract(dw[w], hi, lo); }
  constexpr Command& put(unsigned w, unsigned hi, unsigned lo, uint64_t v) {
    dw[w] = deposit(dw[w], hi, lo, v);
    return *this;
  }
  constexpr Command& put_address(unsigned hi, unsigned lo, uint64_t a) {
    dw[1] = (dw[1] & ~field_mask(hi, lo)) | address_bits(a, hi, lo);
    return *this;
  }
};

// The bits each opcode defines (opcode bits included); zeros for an unknown opcode.
std::array<uint64_t, 2> command_defined_bits(Opcode op);

// True when no RES0 bit of the command is set (every bit the opcode does not define is
// RES0; a command with one set is CERROR_ILL). False for an unknown opcode.
bool command_reserved_bits_clear(const Command& c);

}  // namespace smmu::arch

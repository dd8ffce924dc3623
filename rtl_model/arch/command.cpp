// SPDX-License-Identifier: Apache-2.0
#include "rtl_model/arch/command.h"

namespace smmu::arch {

namespace {

// Field masks, by command word, as the fact sheet places them.
constexpr uint64_t kOp = field_mask(7, 0);
constexpr uint64_t kSsv = field_mask(11, 11);
constexpr uint64_t kGlobal = field_mask(9, 9);
constexpr uint64_t kSsid = field_mask(31, 12);
constexpr uint64_t kSid = field_mask(63, 32);
constexpr uint64_t kNumScale = field_mask(16, 12) | field_mask(24, 20);
constexpr uint64_t kVmid = field_mask(47, 32);
constexpr uint64_t kAsid = field_mask(63, 48);
constexpr uint64_t kResp = field_mask(13, 12);
constexpr uint64_t kSyncDw0 =
    field_mask(13, 12) | field_mask(23, 22) | field_mask(27, 24) | field_mask(63, 32);

constexpr uint64_t kLeaf = field_mask(0, 0);
constexpr uint64_t kTlbiVaDw1 = kLeaf | field_mask(9, 8) | field_mask(11, 10) | field_mask(63, 12);
constexpr uint64_t kTlbiIpaDw1 = kLeaf | field_mask(9, 8) | field_mask(11, 10) | field_mask(51, 12);

}  // namespace

bool opcode_known(uint8_t op) {
  switch (static_cast<Opcode>(op)) {
    case Opcode::kPrefetchConfig:
    case Opcode::kPrefetchAddr:
    case Opcode::kCfgiSte:
    case Opcode::kCfgiSteRange:
    case Opcode::kCfgiCd:
    case Opcode::kCfgiCdAll:
    case Opcode::kTlbiNhAll:
    case Opcode::kTlbiNhAsid:
    case Opcode::kTlbiNhVa:
    case Opcode::kTlbiNhVaa:
    case Opcode::kTlbiEl2All:
    case Opcode::kTlbiEl2Asid:
    case Opcode::kTlbiEl2Va:
    case Opcode::kTlbiEl2Vaa:
    case Opcode::kTlbiS12Vmall:
    case Opcode::kTlbiS2Ipa:
    case Opcode::kTlbiNsnhAll:
    case Opcode::kAtcInv:
    case Opcode::kPriResp:
    case Opcode::kResume:
    case Opcode::kStallTerm:
    case Opcode::kSync:
      return true;
  }
  return false;
}

const char* to_string(Opcode op) {
  switch (op) {
    case Opcode::kPrefetchConfig: return "PREFETCH_CONFIG";
    case Opcode::kPrefetchAddr: return "PREFETCH_ADDR";
    case Opcode::kCfgiSte: return "CFGI_STE";
    case Opcode::kCfgiSteRange: return "CFGI_STE_RANGE";
    case Opcode::kCfgiCd: return "CFGI_CD";
    case Opcode::kCfgiCdAll: return "CFGI_CD_ALL";
    case Opcode::kTlbiNhAll: return "TLBI_NH_ALL";
    case Opcode::kTlbiNhAsid: return "TLBI_NH_ASID";
    case Opcode::kTlbiNhVa: return "TLBI_NH_VA";
    case Opcode::kTlbiNhVaa: return "TLBI_NH_VAA";
    case Opcode::kTlbiEl2All: return "TLBI_EL2_ALL";
    case Opcode::kTlbiEl2Asid: return "TLBI_EL2_ASID";
    case Opcode::kTlbiEl2Va: return "TLBI_EL2_VA";
    case Opcode::kTlbiEl2Vaa: return "TLBI_EL2_VAA";
    case Opcode::kTlbiS12Vmall: return "TLBI_S12_VMALL";
    case Opcode::kTlbiS2Ipa: return "TLBI_S2_IPA";
    case Opcode::kTlbiNsnhAll: return "TLBI_NSNH_ALL";
    case Opcode::kAtcInv: return "ATC_INV";
    case Opcode::kPriResp: return "PRI_RESP";
    case Opcode::kResume: return "RESUME";
    case Opcode::kStallTerm: return "STALL_TERM";
    case Opcode::kSync: return "CMD_SYNC";
  }
  return "UNKNOWN";
}

std::array<uint64_t, 2> command_defined_bits(Opcode op) {
  switch (op) {
    case Opcode::kPrefetchConfig: return {kOp | kSsv | kSsid | kSid, 0};
    case Opcode::kPrefetchAddr:
      // SMMUv3.0: Stride and NS are RES0 (NS is RES0 on the Non-secure queue anyway).
      return {kOp | kSsv | kSsid | kSid, field_mask(4, 0) | field_mask(63, 12)};
    case Opcode::kCfgiSte: return {kOp | kSid, kLeaf};
    case Opcode::kCfgiSteRange: return {kOp | kSid, field_mask(4, 0)};
    case Opcode::kCfgiCd: return {kOp | kSsid | kSid, kLeaf};
    case Opcode::kCfgiCdAll: return {kOp | kSid, 0};
    case Opcode::kTlbiNhAll: return {kOp | kVmid, 0};
    case Opcode::kTlbiNhAsid: return {kOp | kVmid | kAsid, 0};
    case Opcode::kTlbiNhVa: return {kOp | kNumScale | kVmid | kAsid, kTlbiVaDw1};
    case Opcode::kTlbiNhVaa: return {kOp | kNumScale | kVmid, kTlbiVaDw1};
    case Opcode::kTlbiEl2All: return {kOp, 0};
    case Opcode::kTlbiEl2Asid: return {kOp | kAsid, 0};
    case Opcode::kTlbiEl2Va: return {kOp | kNumScale | kAsid, kTlbiVaDw1};
    case Opcode::kTlbiEl2Vaa: return {kOp | kNumScale, kTlbiVaDw1};
    case Opcode::kTlbiS12Vmall: return {kOp | kVmid, 0};
    case Opcode::kTlbiS2Ipa: return {kOp | kNumScale | kVmid, kTlbiIpaDw1};
    case Opcode::kTlbiNsnhAll: return {kOp, 0};
    case Opcode::kAtcInv:
      return {kOp | kSsv | kGlobal | kSsid | kSid, field_mask(5, 0) | field_mask(63, 12)};
    case Opcode::kPriResp: return {kOp | kSsv | kSsid | kSid, field_mask(8, 0) | kResp};
    case Opcode::kResume: return {kOp | kResp | kSid, field_mask(15, 0)};
    case Opcode::kStallTerm: return {kOp | kSid, 0};
    case Opcode::kSync: return {kOp | kSyncDw0, field_mask(51, 2)};
  }
  return {0, 0};
}

bool command_reserved_bits_clear(const Command& c) {
  if (!opcode_known(c.raw_opcode())) return false;
  const auto defined = command_defined_bits(c.opcode());
  return (c.dw[0] & ~defined[0]) == 0 && (c.dw[1] & ~defined[1]) == 0;
}

}  // namespace smmu::arch

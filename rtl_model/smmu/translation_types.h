// SPDX-License-Identifier: Apache-2.0
// Types shared by the SMMU's translation path: the regime of each stage (decoded from
// the CD and STE), the access being translated, and what a walk or TLB lookup returns.
#pragma once

#include <cstdint>

#include "rtl_model/arch/descriptor.h"

namespace smmu::model {

// Translation faults a walk can end in (the events F_TRANSLATION .. F_WALK_EABT).
enum class FaultType : uint8_t {
  kNone,
  kTranslation,
  kAddrSize,
  kAccess,
  kPermission,
  kWalkEabt,
};

const char* to_string(FaultType f);

// What the master wants to do at the address.
struct Access {
  bool write = false;
  bool exec = false;  // instruction fetch (a read: the SMMU takes every write as data)
  bool priv = false;  // privileged (EL1) rather than unprivileged (EL0)
};

// A stream's fault configuration for the four Translation-related faults (F_TRANSLATION,
// F_ADDR_SIZE, F_ACCESS, F_PERMISSION) of each stage (IHI 0070 §3.12, §5.5): whether
// the fault is recorded (CD.R, STE.S2R) and whether a terminated stage-1 transaction is
// aborted or completes RAZ/WI (CD.A; stage 2 always aborts). Every other fault and
// configuration error is recorded and aborts. CD.S / STE.S2S = 1 are ILLEGAL here
// (IDR0.STALL_MODEL = 0b01), so R is never overridden by a stall.
struct FaultConfig {
  bool s1_record = true;  // CD.R
  bool s1_abort = true;   // CD.A (RAZ/WI when false)
  bool s2_record = true;  // STE.S2R
};

// One stage's translation table regime: stage 1 from a CD (TTB0 or TTB1 half),
// stage 2 from an STE.
struct StageConfig {
  arch::Granule granule{12};
  unsigned input_bits = 48;   // 64 - TxSZ (stage 1) or 64 - S2T0SZ (stage 2)
  int start_level = 0;        // first level read
  unsigned concat_tables = 1; // stage 2: tables concatenated at the start level (1..16)
  uint64_t ttb = 0;           // base of the start-level table (byte address)
  unsigned output_bits = 48;  // effective output size: min(IPS or S2PS, SMMU OAS)
  bool affd = false;          // access-flag faults disabled (AF = 0 is accepted)
  // The SMMU's OAS is 52 bits (FEAT_LPA): 64K level-1 blocks exist (Arm ARM
  // AArch64.BlockDescSupported tests the implemented PA size, not the configured one).
  bool pa52 = false;
  bool had = false;           // stage 1: CD.HADx, APTable/XNTable/PXNTable are ignored
  // Stage 2 of a nested STE with S2PTW = 1: stage-1 walks and CD fetches to Device pages
  // are stage-2 Permission faults (IHI 0070 §5.2 S2PTW).
  bool protected_walk = false;
  uint16_t tag = 0;           // ASID (stage 1) or VMID (stage 2)
};

// Stage 1 as a CD describes it: two halves of the VA space.
struct Stage1Regime {
  StageConfig half[2];          // TTB0 (low VAs) and TTB1 (high VAs)
  bool disabled[2] = {false, false};  // EPD0 / EPD1: walks of that half fault
  uint8_t tbi = 0;              // top byte ignore per half (bit 0 TTB0, bit 1 TTB1)
  bool wxn = false;             // CD.WXN: a region writable at an EL is not executable there
  bool pan = false;             // CD.PAN: no privileged data access where EL0 may access
  uint16_t asid = 0;
};

// Permissions granted by one stage's leaf (after hierarchical table attributes).
struct StagePerms {
  bool read = true;
  bool write = true;
  bool user = true;    // stage 1 AP[1]: unprivileged (EL0) access allowed (stage 2: true)
  bool priv_data = true;  // stage 1: privileged data access allowed (false: CD.PAN and AP[1])
  bool uexec = true;   // stage 1: !UXN; stage 2: XN[1:0] lets EL0 execute
  bool pexec = true;   // stage 1: !PXN; stage 2: XN[1:0] lets EL1 execute
};

struct Permissions {
  StagePerms s1;  // all true when stage 1 is bypassed
  StagePerms s2;  // all true when stage 2 is bypassed
};

// Permission check of one access against the permissions of a translation, stage 1
// first as the architecture orders them. Returns kNone or kPermission; sets
// fault_stage2 when stage 2 denied it.
// An instruction fetch needs execute permission only: execute-only pages (stage 1
// AP = 00 with UXN = 0 for EL0, stage 2 S2AP = 00 with XN = 0) accept fetches, as the
// Arm ARM permission checks do and IHI 0070 §13.7.1 states ("a normal (non-ATS)
// transaction for Exe == 1 will succeed to an XO translation"). Data accesses need
// read or write permission, and EL0 data accesses AP[1].
// Inline: it runs on every micro-TLB hit.
inline bool stage_allows(const StagePerms& p, const Access& a) {
  if (a.exec) return a.priv ? p.pexec : p.uexec;
  if (a.priv ? !p.priv_data : !p.user) return false;
  return a.write ? p.write : p.read;
}

inline FaultType check_permissions(const Permissions& perms, const Access& access,
                                   bool& fault_stage2) {
  fault_stage2 = false;
  if (!stage_allows(perms.s1, access)) return FaultType::kPermission;
  // Stage 2 data permissions do not depend on the EL (its user and priv_data stay true);
  // with FEAT_XNX (IDR3.XNX) its execute permission does.
  if (!stage_allows(perms.s2, access)) {
    fault_stage2 = true;
    return FaultType::kPermission;
  }
  return FaultType::kNone;
}

// The outcome of a translation, for the upstream path, DMI and the DTI answer.
struct Translation {
  // kRazWi: a stage-1 fault terminated the transaction and CD.A = 0 makes it complete
  // successfully, reads returning zero and writes ignored (IHI 0070 §3.12.1, §5.5).
  enum class Kind : uint8_t { kTranslated, kBypass, kAbort, kFault, kRazWi } kind = Kind::kAbort;
  uint64_t out_addr = 0;
  // The input region [va_base, va_base + 2^size_shift) maps linearly onto pa_base.
  uint64_t va_base = 0, pa_base = 0;
  uint64_t ipa_base = 0;  // nested: the stage-1 output (IPA) of va_base
  unsigned size_shift = 12;
  Permissions perms;
  bool ok() const { return kind == Kind::kTranslated || kind == Kind::kBypass; }
};

// An access as a 3-bit index (write, exec, priv), and the set of the 8 that a
// translation's permissions allow: the hit path tests one bit instead of the checks.
inline unsigned access_index(const Access& a) {
  return unsigned{a.write} | unsigned{a.exec} << 1 | unsigned{a.priv} << 2;
}
// stage_allows() for all 8 access indexes at once (bit i: index i allowed).
inline uint8_t stage_allowed_accesses(const StagePerms& p) {
  const auto bit = [](bool v, unsigned i) { return static_cast<unsigned>(v) << i; };
  return static_cast<uint8_t>(
      bit(p.user && p.read, 0) | bit(p.user && p.write, 1) | bit(p.uexec, 2) | bit(p.uexec, 3) |
      bit(p.priv_data && p.read, 4) | bit(p.priv_data && p.write, 5) | bit(p.pexec, 6) |
      bit(p.pexec, 7));
}
// check_permissions() == kNone for all 8 access indexes at once.
inline uint8_t allowed_accesses(const Permissions& perms) {
  return stage_allowed_accesses(perms.s1) & stage_allowed_accesses(perms.s2);
}

// Why a stage-2 fault happened during a nested translation (event CLASS field).
enum class FaultClass : uint8_t { kCdFetch = 0, kTableWalk = 1, kInputAddress = 2 };

struct WalkResult {
  FaultType fault = FaultType::kNone;
  bool fault_stage2 = false;              // the fault belongs to stage 2 (event S2 bit)
  FaultClass fault_class = FaultClass::kInputAddress;  // for stage-2 faults
  int level = 0;                          // level of the leaf or of the faulting lookup
  uint64_t fault_ipa = 0;                 // stage-2 faults: the IPA being translated
  uint64_t fetch_addr = 0;                // F_WALK_EABT: the descriptor address

  uint64_t out_addr = 0;        // output address of the input address
  uint64_t ipa = 0;             // nested: stage-1 output (IPA) of the input address
  unsigned leaf_shift = 12;     // log2 of the contiguous size this result covers
  int s1_level = -1;            // level of the stage-1 leaf (-1: no stage 1)
  int s2_level = -1;            // level of the stage-2 leaf of the output (-1: no stage 2)
  unsigned s1_granule_shift = 0, s2_granule_shift = 0;
  bool global = true;           // stage 1 nG == 0
  Permissions perms;

  unsigned memory_reads = 0;    // descriptor reads performed
  unsigned walk_cache_hits = 0, walk_cache_misses = 0;

  bool ok() const { return fault == FaultType::kNone; }
};

}  // namespace smmu::model

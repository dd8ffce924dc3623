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
  bool exec = false;  // instruction fetch
  bool priv = false;  // privileged (EL1) rather than unprivileged (EL0)
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
  uint16_t tag = 0;           // ASID (stage 1) or VMID (stage 2)
};

// Stage 1 as a CD describes it: two halves of the VA space.
struct Stage1Regime {
  StageConfig half[2];          // TTB0 (low VAs) and TTB1 (high VAs)
  bool disabled[2] = {false, false};  // EPD0 / EPD1: walks of that half fault
  uint8_t tbi = 0;              // top byte ignore per half (bit 0 TTB0, bit 1 TTB1)
  uint16_t asid = 0;
};

// Permissions granted by one stage's leaf (after hierarchical table attributes).
struct StagePerms {
  bool read = true;
  bool write = true;
  bool user = true;    // stage 1 AP[1]: unprivileged (EL0) access allowed
  bool uexec = true;   // stage 1: !UXN; stage 2: !XN
  bool pexec = true;   // stage 1: !PXN; stage 2: !XN
};

struct Permissions {
  StagePerms s1;  // all true when stage 1 is bypassed
  StagePerms s2;  // all true when stage 2 is bypassed
};

// Permission check of one access against the permissions of a translation, stage 1
// first as the architecture orders them. Returns kNone or kPermission; sets
// fault_stage2 when stage 2 denied it.
// Inline: it runs on every micro-TLB hit.
inline bool stage_allows(const StagePerms& p, const Access& a) {
  if (!a.priv && !p.user) return false;
  if (a.write ? !p.write : !p.read) return false;
  if (a.exec && !(a.priv ? p.pexec : p.uexec)) return false;
  return true;
}

inline FaultType check_permissions(const Permissions& perms, const Access& access,
                                   bool& fault_stage2) {
  fault_stage2 = false;
  if (!stage_allows(perms.s1, access)) return FaultType::kPermission;
  // Stage 2 has no notion of EL0: only read/write/execute.
  Access s2_access = access;
  s2_access.priv = true;
  StagePerms s2 = perms.s2;
  s2.user = true;
  if (!stage_allows(s2, s2_access)) {
    fault_stage2 = true;
    return FaultType::kPermission;
  }
  return FaultType::kNone;
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

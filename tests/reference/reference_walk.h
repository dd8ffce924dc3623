// SPDX-License-Identifier: Apache-2.0
// VMSAv8-64 translation table walk and permission checks, written from the Arm ARM
// pseudocode (AArch64.TranslationTableWalk, AArch64.CheckPermission,
// AArch64.CheckS2Permission, AArch64.S2InconsistentSL, AArch64.BlockDescSupported)
// for the differential test. No code is shared with rtl_model/smmu.
#pragma once

#include <cstdint>
#include <functional>

namespace smmu::reference {

enum class Fault { kNone, kTranslation, kAddrSize, kAccess, kPermission, kExternalAbort };

const char* fault_name(Fault f);

// One stage's walk parameters, already validated by the STE/CD checks.
struct WalkRegime {
  unsigned granule_bits = 12;  // 12, 14, 16
  unsigned input_bits = 48;    // 64 - TxSZ
  int start_level = 0;
  uint64_t table_base = 0;     // TTBx, aligned here
  unsigned oa_bits = 48;       // effective IPS / S2PS
  unsigned pa_max = 48;        // implemented PA size (SMMU_IDR5.OAS)
  bool stage2 = false;
  bool hierarchical = true;    // !CD.HADx (stage 1 only)
};

// What the leaf and the tables above it say.
struct WalkLeaf {
  uint64_t desc = 0;
  int level = 3;
  unsigned size_bits = 12;     // log2 of the bytes the leaf maps
  uint64_t out_addr = 0;       // output address of the input (leaf base | offset)
  bool ap_table_no_el0 = false, ap_table_ro = false, xn_table = false, pxn_table = false;
};

// Reads one descriptor at a table address of this stage. For a nested stage-1 walk the
// callback translates the IPA at stage 2; it returns false when that (or the read)
// failed, and the caller keeps the reason.
using DescriptorRead = std::function<bool(uint64_t table_addr, uint64_t& desc)>;

struct WalkOutcome {
  Fault fault = Fault::kNone;  // kExternalAbort also when the read callback failed
  int level = 0;
  WalkLeaf leaf;
};

WalkOutcome walk(const WalkRegime& r, uint64_t input, const DescriptorRead& read);

// Start level of a stage-1 walk (AArch64.S1StartLevel).
int s1_start_level(unsigned granule_bits, unsigned input_bits);
// Stage-2 start level from S2SL0 (VTCR_EL2.SL0 encoding), or -1 for a reserved value
// or one that the implemented PA size does not allow (AArch64.S2InvalidSL).
int s2_start_level(unsigned granule_bits, unsigned sl0, unsigned pa_max);
// AArch64.S2InconsistentSL: the input size cannot be resolved from the start level with
// at most 16 concatenated tables.
bool s2_inconsistent_sl(unsigned granule_bits, unsigned input_bits, int start_level);

struct Access {
  bool write = false;
  bool exec = false;
  bool priv = false;
};

struct S1Controls {
  bool wxn = false;
  bool pan = false;
  bool affd = false;
};

// Access flag, then permissions (the order of AArch64.FirstStageTranslate).
Fault s1_check(const WalkLeaf& leaf, const S1Controls& c, const Access& a);
// Stage 2; table_walk for stage-1 descriptor and CD fetches (data reads).
// protected_walk: STE.S2PTW of a nested STE (a walk or CD fetch to Device memory faults).
Fault s2_check(const WalkLeaf& leaf, bool affd, const Access& a, bool table_walk,
               bool protected_walk);

}  // namespace smmu::reference

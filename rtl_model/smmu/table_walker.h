// SPDX-License-Identifier: Apache-2.0
// The VMSAv8-64 translation table walker of the SMMU: stage 1, stage 2 and nested walks
// for the 4K, 16K and 64K granules, with the walk cache in front. Each descriptor read
// is a timed access through WalkMemory; the walker only adds up annotated time (no
// wait(), no SystemC kernel needed).
#pragma once

#include <cstdint>
#include <systemc>

#include "rtl_model/smmu/step_recorder.h"
#include "rtl_model/smmu/translation_types.h"
#include "rtl_model/smmu/walk_cache.h"

namespace smmu::model {

// Descriptor reads: implemented by the SMMU over its walk socket (timed TLM reads).
class WalkMemory {
 public:
  virtual ~WalkMemory() = default;
  // Reads the 8-byte little-endian descriptor at physical address pa; adds the access time
  // to delay. Returns false on an external abort (error response).
  virtual bool read64(uint64_t pa, uint64_t& value, sc_core::sc_time& delay) = 0;
};

struct WalkerParams {
  sc_core::sc_time walk_cache_lookup = sc_core::SC_ZERO_TIME;  // cost of one walk-cache lookup
};

struct WalkRequest {
  uint64_t iova = 0;
  Access access;
  const Stage1Regime* s1 = nullptr;  // nullptr: stage 1 bypassed
  const StageConfig* s2 = nullptr;   // nullptr: stage 2 bypassed
  uint16_t vmid = 0;                 // tags walk-cache entries of stage 1 when nested
};

// Walk rules, as implemented (see the .cpp for the details):
// - One walk-cache lookup (when a cache is given) per walk of one stage for one address
//   whose start level is above level 3, so a nested walk looks up once for stage 1 and
//   once per stage-2 translation (each stage-1 descriptor IPA, then the output IPA).
// - Nested: the IPA of every stage-1 descriptor (table base + index * 8) is translated
//   by stage 2 with a read access; a stage-2 fault there is reported with
//   fault_stage2, FaultClass::kTableWalk and fault_ipa = that descriptor's IPA.
// - Input-range and EPD faults are translation faults reported at level 0, as the
//   architecture reports them. A TTB above the stage's output size is the caller's
//   error (regime decoding makes it C_BAD_CD / C_BAD_STE, IHI 0070 §3.4.3).
// - Output and next-table addresses above the stage's output size are Address Size
//   faults; with the 64K granule descriptor bits [15:12] are OA[51:48] whatever the
//   output size. 64K level-1 blocks are valid when StageConfig::pa52 is set.
// - WalkResult.ipa is the intermediate address: the stage-1 output when stage 1 is in
//   use, else the input. With both stages bypassed the result is the identity (4K).
class TableWalker {
 public:
  TableWalker(WalkMemory& mem, WalkCache* cache /* may be nullptr */, const WalkerParams& p);

  // Full translation of iova for the given stages, with permission checks (stage-1
  // checks before the stage-2 translation of the output, as the architecture orders them).
  WalkResult walk(const WalkRequest& req, sc_core::sc_time& delay);

  // Stage-2-only translation of an IPA with the permission check of access (e.g. the CD
  // fetch of a nested STE: cls = kCdFetch, access = a read). Faults are stage 2, of class cls.
  WalkResult translate_stage2(uint64_t ipa, const StageConfig& s2, const Access& access,
                              FaultClass cls, sc_core::sc_time& delay);

  WalkCache* cache() const { return cache_; }
  // Each stage's walk, walk-cache lookup and descriptor read as steps (nullptr: none).
  void set_recorder(StepRecorder* r) { recorder_ = r; }

 private:
  struct Leaf;
  // Walks one stage for `input`. For stage 1 of a nested stream, s2 translates the
  // descriptor addresses. Fills r (fault, counters) and leaf; returns false on a fault.
  bool walk_stage(int stage, const StageConfig& cfg, uint64_t input, uint16_t vmid,
                  uint16_t asid, const StageConfig* s2, WalkResult& r, Leaf& leaf,
                  sc_core::sc_time& delay);
  // Stage-2 walk of ipa with its input-range check; a fault is stamped stage 2 / cls.
  bool walk_s2(uint64_t ipa, const StageConfig& s2, FaultClass cls, WalkResult& r, Leaf& leaf,
               sc_core::sc_time& delay);

  WalkMemory& mem_;
  WalkCache* cache_;
  WalkerParams params_;
  StepRecorder* recorder_ = nullptr;
};

}  // namespace smmu::model

// SPDX-License-Identifier: Apache-2.0
#include "reference/reference_walk.h"

#include "reference/reference_bits.h"

namespace smmu::reference {

const char* fault_name(Fault f) {
  switch (f) {
    case Fault::kNone: return "none";
    case Fault::kTranslation: return "translation";
    case Fault::kAddrSize: return "address size";
    case Fault::kAccess: return "access flag";
    case Fault::kPermission: return "permission";
    case Fault::kExternalAbort: return "external abort";
  }
  return "?";
}

namespace {

unsigned stride_of(unsigned granule_bits) { return granule_bits - 3; }

// Bytes mapped by one entry of a level-`level` table (AArch64.TranslationTableWalk:
// addrselectbottom).
unsigned level_bits(unsigned granule_bits, int level) {
  return granule_bits + static_cast<unsigned>(3 - level) * stride_of(granule_bits);
}

// AArch64.BlockDescSupported without FEAT_LPA2 (DS = 0): 4K blocks at levels 1 and 2,
// 16K at level 2, 64K at level 2 and at level 1 when the implemented PA size is 52 bits.
bool block_supported(unsigned granule_bits, int level, unsigned pa_max) {
  if (level == 2) return true;
  if (level != 1) return false;
  return granule_bits == 12 || (granule_bits == 16 && pa_max == 52);
}

// Output or next-table address held in a descriptor: bits [47:lo]; with the 64K granule
// bits [15:12] are OA[51:48] (Arm ARM D8.3, "64KB granule ... OA[51:48]"; the model's
// documented choice reads them whatever the OAS, so do we).
uint64_t descriptor_address(uint64_t desc, unsigned lo, unsigned granule_bits) {
  uint64_t a = in_place(desc, 47, lo);
  if (granule_bits == 16) a |= bits(desc, 15, 12) << 48;
  return a;
}

}  // namespace

int s1_start_level(unsigned granule_bits, unsigned input_bits) {
  // levels = ceil((inputsize - granulebits) / stride); startlevel = 4 - levels.
  const unsigned stride = stride_of(granule_bits);
  const unsigned levels = (input_bits - granule_bits + stride - 1) / stride;
  return 4 - static_cast<int>(levels);
}

int s2_start_level(unsigned granule_bits, unsigned sl0, unsigned pa_max) {
  // AArch64.S2InvalidSL / AArch64.S2StartLevel, without FEAT_TTST and FEAT_LPA2.
  if (sl0 == 3) return -1;
  if (granule_bits == 12) {
    if (sl0 == 2 && pa_max < 44) return -1;
    return 2 - static_cast<int>(sl0);
  }
  if (sl0 == 2 && pa_max < (granule_bits == 14 ? 42u : 44u)) return -1;
  return 3 - static_cast<int>(sl0);
}

bool s2_inconsistent_sl(unsigned granule_bits, unsigned input_bits, int start_level) {
  const unsigned stride = stride_of(granule_bits);
  const unsigned levels = static_cast<unsigned>(3 - start_level);
  // At least one bit resolved by the start level; at most a full level plus 16 tables.
  const unsigned min_ia = levels * stride + granule_bits + 1;
  const unsigned max_ia = min_ia + (stride - 1) + 4;
  return input_bits < min_ia || input_bits > max_ia;
}

WalkOutcome walk(const WalkRegime& r, uint64_t input, const DescriptorRead& read) {
  WalkOutcome out;
  WalkLeaf& leaf = out.leaf;
  const unsigned stride = stride_of(r.granule_bits);
  // Start table: its size in bytes gives the alignment of the base (bits [x-1:0] of TTB
  // are treated as zero); 64 bytes at least with a 52-bit output (Arm ARM, TTBR BADDR).
  const unsigned start_bits = level_bits(r.granule_bits, r.start_level);
  unsigned x = r.input_bits - start_bits + 3;
  if (r.oa_bits == 52 && x < 6) x = 6;
  uint64_t table = r.table_base & ~ones(x);

  for (int level = r.start_level; level <= 3; ++level) {
    out.level = level;
    const unsigned lo = level_bits(r.granule_bits, level);
    const unsigned hi = level == r.start_level ? r.input_bits : lo + stride;
    const uint64_t index = (input >> lo) & ones(hi - lo);
    uint64_t desc = 0;
    if (!read(table + index * 8, desc)) {
      out.fault = Fault::kExternalAbort;
      return out;
    }
    if (!bit_set(desc, 0)) {
      out.fault = Fault::kTranslation;
      return out;
    }
    const bool table_desc = bit_set(desc, 1) && level < 3;
    if (level == 3 && !bit_set(desc, 1)) {  // reserved at level 3
      out.fault = Fault::kTranslation;
      return out;
    }
    if (table_desc) {
      const uint64_t next = descriptor_address(desc, r.granule_bits, r.granule_bits);
      if (above(next, r.oa_bits)) {
        out.fault = Fault::kAddrSize;
        return out;
      }
      if (!r.stage2 && r.hierarchical) {
        // APTable [62:61], UXNTable 60, PXNTable 59 accumulate down the walk.
        leaf.ap_table_ro |= bit_set(desc, 62);
        leaf.ap_table_no_el0 |= bit_set(desc, 61);
        leaf.xn_table |= bit_set(desc, 60);
        leaf.pxn_table |= bit_set(desc, 59);
      }
      table = next;
      continue;
    }
    if (level < 3 && !block_supported(r.granule_bits, level, r.pa_max)) {
      out.fault = Fault::kTranslation;
      return out;
    }
    const uint64_t base = descriptor_address(desc, lo, r.granule_bits);
    if (above(base, r.oa_bits)) {
      out.fault = Fault::kAddrSize;
      return out;
    }
    leaf.desc = desc;
    leaf.level = level;
    leaf.size_bits = lo;
    leaf.out_addr = base | (input & ones(lo));
    return out;
  }
  out.fault = Fault::kTranslation;
  return out;
}

Fault s1_check(const WalkLeaf& leaf, const S1Controls& c, const Access& a) {
  // AF (bit 10): an Access flag fault unless CD.AFFD (IHI 0070 §5.4 AFFD; no HTTU).
  if (!bit_set(leaf.desc, 10) && !c.affd) return Fault::kAccess;
  // AArch64.CheckPermission, EL1&0 regime (two VA ranges, unprivileged accesses exist).
  const bool ap2 = bit_set(leaf.desc, 7) || leaf.ap_table_ro;      // read-only
  const bool ap1 = bit_set(leaf.desc, 6) && !leaf.ap_table_no_el0;  // EL0 access
  const bool xn = bit_set(leaf.desc, 54) || leaf.xn_table;
  const bool pxn = bit_set(leaf.desc, 53) || leaf.pxn_table;
  const bool user_r = ap1;
  const bool user_w = ap1 && !ap2;
  bool priv_r = true;
  bool priv_w = !ap2;
  const bool user_xn = xn || (user_w && c.wxn);
  // VMSAv8-64: every EL0-writable region is privileged execute-never (IHI 0070 §5.4
  // UWXN note).
  const bool priv_xn = pxn || (priv_w && c.wxn) || user_w;
  // PAN: privileged data accesses to EL0-readable pages fault (IHI 0070 §5.4 PAN).
  if (c.pan && user_r && a.priv && !a.exec) priv_r = priv_w = false;
  const bool r = a.priv ? priv_r : user_r;
  const bool w = a.priv ? priv_w : user_w;
  const bool x_never = a.priv ? priv_xn : user_xn;
  // An instruction fetch needs execute permission only (README choice, IHI 0070 §13.7.1).
  const bool ok = a.exec ? !x_never : (a.write ? w : r);
  return ok ? Fault::kNone : Fault::kPermission;
}

Fault s2_check(const WalkLeaf& leaf, bool affd, const Access& a, bool table_walk,
               bool protected_walk) {
  if (!bit_set(leaf.desc, 10) && !affd) return Fault::kAccess;
  // AArch64.CheckS2Permission: S2AP[0] (bit 6) read, S2AP[1] (bit 7) write; XN[1:0]
  // (bits 54:53) with FEAT_XNX (mandatory in SMMUv3.1 with stage 2, SMMU_IDR3.XNX).
  const bool r = bit_set(leaf.desc, 6);
  const bool w = bit_set(leaf.desc, 7);
  bool xn = false;
  switch (bits(leaf.desc, 54, 53)) {
    case 0: xn = false; break;
    case 1: xn = a.priv; break;   // EL1 execute-never
    case 2: xn = true; break;
    case 3: xn = !a.priv; break;  // EL0 execute-never
  }
  bool ok;
  // IHI 0070 §5.2 S2PTW: with S2PTW = 1 a stage-1 walk or CD fetch to a stage-2 page of
  // any Device type (MemAttr[3:2] = 0b00, S2FWB = 0) is a stage-2 Permission fault.
  if (table_walk) ok = r && !(protected_walk && bits(leaf.desc, 5, 4) == 0);
  else if (a.exec) ok = !xn;
  else ok = a.write ? w : r;
  return ok ? Fault::kNone : Fault::kPermission;
}

}  // namespace smmu::reference

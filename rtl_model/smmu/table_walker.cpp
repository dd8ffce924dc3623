// SPDX-License-Identifier: Apache-2.0
#include "rtl_model/smmu/table_walker.h"

#include "rtl_model/arch/bits.h"

#include <algorithm>
#include <stdexcept>
#include <string>

namespace smmu::model {

namespace {

constexpr uint64_t low_mask(unsigned bits) {
  return bits >= 64 ? ~uint64_t{0} : (uint64_t{1} << bits) - 1;
}

// A StageConfig the walker cannot use is a bug of its caller (regime decoding checks
// guest values), so it is reported as misuse, not as a fault.
void check_config(const StageConfig& c, int stage) {
  // The message is built only on failure: this runs on every walk.
  auto misuse = [&](const std::string& what) {
    throw std::invalid_argument("stage " + std::to_string(stage) + " config: " + what);
  };
  unsigned s = c.granule.shift;
  if (s != 12 && s != 14 && s != 16) misuse("granule shift " + std::to_string(s));
  if (c.start_level < 0 || c.start_level > 3)
    misuse("start_level " + std::to_string(c.start_level));
  unsigned shift = c.granule.level_shift(c.start_level);
  if (c.input_bits <= shift || c.input_bits > shift + c.granule.bits_per_level() + 4 ||
      c.input_bits > 64)
    misuse("input_bits " + std::to_string(c.input_bits) + " does not fit start_level " +
           std::to_string(c.start_level));
  // A start table outside the output size makes the CD or STE ILLEGAL (IHI 0070 §3.4.3,
  // CD.TTB0, STE.S2TTB): regime decoding reports C_BAD_CD / C_BAD_STE instead.
  if (arch::wider_than(c.ttb, c.output_bits))
    misuse("ttb above the " + std::to_string(c.output_bits) + "-bit output size");
}

// Stage-1 permissions of a leaf after the hierarchical table attributes (Arm ARM
// AArch64.S1DirectBasePermissions, EL1&0 regime).
StagePerms s1_perms(const arch::S1LeafAttrs& leaf, const arch::S1TableAttrs& table, bool wxn,
                    bool pan) {
  uint8_t ap = leaf.ap;
  if (table.ap_table & 2) ap |= 2;   // APTable[1]: read-only below
  if (table.ap_table & 1) ap &= ~1;  // APTable[0]: no EL0 access below
  StagePerms p;
  p.read = true;
  p.write = !(ap & 2);  // writable at EL1
  p.user = ap & 1;
  // PAN: no privileged data access where unprivileged data access is permitted (CD.PAN,
  // IHI 0070 §5.4; without EPAN only AP[1] counts).
  p.priv_data = !(pan && p.user);
  const bool user_write = ap == 1;  // AP = 01: writable at EL0 too
  // WXN: a region writable at an EL is not executable at that EL (CD.WXN, IHI 0070 §5.4).
  p.uexec = !leaf.uxn && !table.xn_table && !(wxn && user_write);
  // A region writable at EL0 is never executable at EL1 (VMSAv8-64).
  p.pexec = !leaf.pxn && !table.pxn_table && !user_write && !(wxn && p.write);
  return p;
}

// A stage-2 leaf that a stage-1 walk or CD fetch may not read: no S2AP read permission,
// or (S2PTW) any Device type, MemAttr[3:2] = 0b00 without S2FWB (IHI 0070 §5.2 S2PTW).
bool s2_walk_denied(const arch::S2LeafAttrs& leaf, const StageConfig& s2) {
  return !(leaf.s2ap & 1) || (s2.protected_walk && (leaf.mem_attr >> 2) == 0);
}

StagePerms s2_perms(const arch::S2LeafAttrs& leaf) {
  StagePerms p;
  p.read = leaf.s2ap & 1;
  p.write = leaf.s2ap & 2;
  p.user = true;
  // FEAT_XNX (IDR3.XNX = 1): XN[1:0] = 00 executable at EL0 and EL1, 01 not at EL1
  // (PXN), 10 at neither, 11 not at EL0 (UXN).
  p.uexec = leaf.xn == 0 || leaf.xn == 1;
  p.pexec = leaf.xn == 0 || leaf.xn == 3;
  return p;
}

// had: CD.HADx = 1, APTable, XNTable and PXNTable are IGNORED (IHI 0070 §5.4 HAD0).
void accumulate(arch::S1TableAttrs& acc, const arch::S1TableAttrs& t, bool had) {
  if (!had) {
    acc.ap_table |= t.ap_table;
    acc.xn_table |= t.xn_table;
    acc.pxn_table |= t.pxn_table;
  }
  acc.ns_table |= t.ns_table;
}

// A descriptor read's step name (string literals: recorders keep the pointer).
const char* descriptor_step(int stage, int level) {
  static const char* const kNames[2][5] = {
      {"S1 L-1 descriptor read", "S1 L0 descriptor read", "S1 L1 descriptor read",
       "S1 L2 descriptor read", "S1 L3 descriptor read"},
      {"S2 L-1 descriptor read", "S2 L0 descriptor read", "S2 L1 descriptor read",
       "S2 L2 descriptor read", "S2 L3 descriptor read"}};
  if (level < -1 || level > 3) return "descriptor read";
  return kNames[stage == 1 ? 0 : 1][level + 1];
}

}  // namespace

// The leaf a one-stage walk ends at.
struct TableWalker::Leaf {
  uint64_t out_addr = 0;      // output address of the input address
  unsigned shift = 12;        // log2 of the block or page
  int level = 3;
  uint64_t desc = 0;
  arch::S1TableAttrs table_attrs;  // stage 1: accumulated
};

TableWalker::TableWalker(WalkMemory& mem, WalkCache* cache, const WalkerParams& p)
    : mem_(mem), cache_(cache), params_(p) {}

bool TableWalker::walk_stage(int stage, const StageConfig& cfg, uint64_t input, uint16_t vmid,
                             uint16_t asid, const StageConfig* s2, WalkResult& r, Leaf& leaf,
                             sc_core::sc_time& delay) {
  const arch::Granule g = cfg.granule;
  const unsigned bpl = g.bits_per_level();
  // 64K descriptors hold OA[51:48] in bits [15:12], read whatever the output size (Arm
  // ARM AArch64.NextTableBase/LeafBase: required with a 52-bit PA, IMPLEMENTATION DEFINED
  // otherwise; this model always reads them). Set above a smaller IPS/PS they make an
  // Address Size fault below rather than being dropped.
  const bool oa52 = g.shift == 16;
  const bool nested_s1 = stage == 1 && s2 != nullptr;
  auto fault = [&](FaultType f, int level) {
    r.fault = f;
    r.level = level;
    r.fault_stage2 = stage == 2;
    return false;
  };

  int level = cfg.start_level;
  uint64_t table = cfg.ttb;  // an IPA for stage 1 of a nested stream
  bool table_pa_valid = !nested_s1;
  uint64_t table_pa = table;
  arch::S1TableAttrs attrs;

  const StepScope walk_step(recorder_, stage == 1 ? "S1 walk" : "S2 walk", delay);
  if (cache_ && cfg.start_level < 3) {
    const StepScope lookup_step(recorder_, "walk cache lookup", delay);
    delay += params_.walk_cache_lookup;
    WalkCacheKey key;
    key.stage = static_cast<uint8_t>(stage);
    key.vmid = vmid;
    key.asid = stage == 1 ? asid : 0;
    key.granule_shift = g.shift;
    key.input = input;
    key.min_level = cfg.start_level;
    if (const WalkCacheEntry* e = cache_->lookup(key)) {
      ++r.walk_cache_hits;
      level = e->level + 1;
      table = e->next_table;
      table_pa_valid = e->next_table_pa_valid;
      table_pa = e->next_table_pa;
      attrs = e->attrs;
    } else {
      ++r.walk_cache_misses;
    }
  }

  // A table descriptor read at `pending_level` whose walk-cache entry waits for the
  // stage-2 translation of the next table (nested stage 1 only).
  int pending_level = -1;
  WalkCacheEntry pending;

  for (;;) {
    const unsigned shift = g.level_shift(level);
    const unsigned idx_bits = level == cfg.start_level ? cfg.input_bits - shift : bpl;
    const uint64_t idx = (input >> shift) & low_mask(idx_bits);
    const uint64_t desc_addr = table + idx * 8;
    uint64_t desc_pa = desc_addr;
    if (nested_s1) {
      if (table_pa_valid) {
        desc_pa = table_pa + idx * 8;
      } else {
        Leaf s2leaf;
        if (!walk_s2(desc_addr, *s2, FaultClass::kTableWalk, r, s2leaf, delay)) return false;
        // Stage 2 must also allow reading the table.
        if (s2_walk_denied(arch::S2LeafAttrs::decode(s2leaf.desc), *s2)) {
          r.fault = FaultType::kPermission;
          r.fault_stage2 = true;
          r.fault_class = FaultClass::kTableWalk;
          r.fault_ipa = desc_addr;
          r.level = s2leaf.level;
          return false;
        }
        desc_pa = s2leaf.out_addr;
        // One PA covers the whole table only if the stage-2 leaf is at least as large.
        if (s2leaf.shift >= idx_bits + 3) {
          table_pa_valid = true;
          table_pa = desc_pa - idx * 8;
        }
      }
      if (pending_level >= 0 && cache_) {
        pending.next_table_pa_valid = table_pa_valid;
        pending.next_table_pa = table_pa_valid ? table_pa : 0;
        cache_->insert(pending);
        pending_level = -1;
      }
    }

    uint64_t desc = 0;
    ++r.memory_reads;
    bool read_ok;
    {
      const StepScope read_step(recorder_, descriptor_step(stage, level), delay);
      read_ok = mem_.read64(desc_pa, desc, delay);
    }
    if (!read_ok) {
      r.fetch_addr = desc_pa;
      return fault(FaultType::kWalkEabt, level);
    }

    switch (arch::descriptor_type(desc, level)) {
      case arch::DescriptorType::kInvalid:
      case arch::DescriptorType::kReserved:
        return fault(FaultType::kTranslation, level);
      case arch::DescriptorType::kTable: {
        uint64_t next = arch::descriptor_address(desc, g.shift, oa52);
        if (arch::wider_than(next, cfg.output_bits)) return fault(FaultType::kAddrSize, level);
        if (stage == 1) accumulate(attrs, arch::S1TableAttrs::decode(desc), cfg.had);
        WalkCacheEntry e;
        e.stage = static_cast<uint8_t>(stage);
        e.vmid = vmid;
        e.asid = stage == 1 ? asid : 0;
        e.level = level;
        e.granule_shift = g.shift;
        e.input_base = input & ~low_mask(shift);
        e.next_table = next;
        e.next_table_pa = next;
        e.attrs = attrs;
        if (cache_) {
          if (nested_s1) {
            pending = e;
            pending_level = level;
          } else {
            cache_->insert(e);
          }
        }
        table = next;
        table_pa = next;
        table_pa_valid = !nested_s1;
        ++level;
        continue;
      }
      case arch::DescriptorType::kBlock:
        if (!g.block_allowed(level, cfg.pa52)) return fault(FaultType::kTranslation, level);
        [[fallthrough]];
      case arch::DescriptorType::kPage: {
        // Address bits of a block below its size are RES0: ignored.
        uint64_t base = arch::descriptor_address(desc, g.shift, oa52) & ~low_mask(shift);
        if (arch::wider_than(base, cfg.output_bits)) return fault(FaultType::kAddrSize, level);
        if (!arch::bit(desc, 10) && !cfg.affd) return fault(FaultType::kAccess, level);
        leaf.out_addr = base | (input & low_mask(shift));
        leaf.shift = shift;
        leaf.level = level;
        leaf.desc = desc;
        leaf.table_attrs = attrs;
        r.level = level;
        return true;
      }
    }
  }
}

bool TableWalker::walk_s2(uint64_t ipa, const StageConfig& s2, FaultClass cls, WalkResult& r,
                          Leaf& leaf, sc_core::sc_time& delay) {
  bool ok = true;
  if (arch::wider_than(ipa, s2.input_bits)) {
    r.fault = FaultType::kTranslation;
    r.level = 0;
    ok = false;
  } else {
    ok = walk_stage(2, s2, ipa, s2.tag, 0, nullptr, r, leaf, delay);
  }
  if (!ok) {
    r.fault_stage2 = true;
    r.fault_class = cls;
    r.fault_ipa = ipa;
  }
  return ok;
}

WalkResult TableWalker::walk(const WalkRequest& req, sc_core::sc_time& delay) {
  WalkResult r;
  if (req.s2) check_config(*req.s2, 2);
  uint64_t ipa = req.iova;

  if (req.s1) {
    const Stage1Regime& s1 = *req.s1;
    // VA[55] selects the half; the bits above its input size (up to bit 55 when the
    // half ignores the top byte, else up to bit 63) must all equal VA[55].
    const int sel = arch::bit(req.iova, 55) ? 1 : 0;
    const StageConfig& cfg = s1.half[sel];
    const unsigned top = (s1.tbi >> sel) & 1 ? 55 : 63;
    r.s1_granule_shift = cfg.granule.shift;
    if (s1.disabled[sel]) {
      r.fault = FaultType::kTranslation;
      r.level = 0;
      return r;
    }
    check_config(cfg, 1);
    const uint64_t m = arch::field_mask(top, cfg.input_bits);
    if ((req.iova & m) != (sel ? m : 0)) {
      r.fault = FaultType::kTranslation;
      r.level = 0;
      return r;
    }
    // Canonical form for the walk cache: the top byte follows VA[55] as well.
    const uint64_t upper = arch::field_mask(63, cfg.input_bits);
    const uint64_t va = sel ? (req.iova | upper) : (req.iova & ~upper);

    Leaf leaf;
    if (!walk_stage(1, cfg, va, req.vmid, s1.asid, req.s2, r, leaf, delay)) return r;
    const arch::S1LeafAttrs a = arch::S1LeafAttrs::decode(leaf.desc);
    r.perms.s1 = s1_perms(a, leaf.table_attrs, s1.wxn, s1.pan);
    r.global = !a.ng;
    r.s1_level = leaf.level;
    r.leaf_shift = leaf.shift;
    ipa = leaf.out_addr;
    r.ipa = ipa;
    r.out_addr = ipa;
    // Stage-1 permissions come before the stage-2 translation of the output.
    Permissions only_s1;
    only_s1.s1 = r.perms.s1;
    bool s2_denied = false;
    if (check_permissions(only_s1, req.access, s2_denied) != FaultType::kNone) {
      r.fault = FaultType::kPermission;
      r.fault_stage2 = false;
      r.level = leaf.level;
      return r;
    }
  } else {
    r.ipa = req.iova;
    r.out_addr = req.iova;
  }

  if (req.s2) {
    r.s2_granule_shift = req.s2->granule.shift;
    Leaf leaf;
    if (!walk_s2(ipa, *req.s2, FaultClass::kInputAddress, r, leaf, delay)) return r;
    r.perms.s2 = s2_perms(arch::S2LeafAttrs::decode(leaf.desc));
    r.s2_level = leaf.level;
    r.out_addr = leaf.out_addr;
    r.leaf_shift = req.s1 ? std::min(r.leaf_shift, leaf.shift) : leaf.shift;
    if (!req.s1) r.level = leaf.level;
  }
  if (req.s1) r.level = r.s1_level;

  bool s2_denied = false;
  if (check_permissions(r.perms, req.access, s2_denied) != FaultType::kNone) {
    r.fault = FaultType::kPermission;
    r.fault_stage2 = s2_denied;
    if (s2_denied) {
      r.fault_class = FaultClass::kInputAddress;
      r.fault_ipa = ipa;
      r.level = r.s2_level;
    }
  }
  return r;
}

WalkResult TableWalker::translate_stage2(uint64_t ipa, const StageConfig& s2,
                                         const Access& access, FaultClass cls,
                                         sc_core::sc_time& delay) {
  check_config(s2, 2);
  WalkResult r;
  r.ipa = ipa;
  r.s2_granule_shift = s2.granule.shift;
  Leaf leaf;
  if (!walk_s2(ipa, s2, cls, r, leaf, delay)) return r;
  r.perms.s2 = s2_perms(arch::S2LeafAttrs::decode(leaf.desc));
  r.s2_level = leaf.level;
  r.level = leaf.level;
  r.out_addr = leaf.out_addr;
  r.leaf_shift = leaf.shift;
  bool s2_denied = false;
  const bool denied = cls == FaultClass::kCdFetch
                          ? s2_walk_denied(arch::S2LeafAttrs::decode(leaf.desc), s2)
                          : check_permissions(r.perms, access, s2_denied) != FaultType::kNone;
  if (denied) {
    r.fault = FaultType::kPermission;
    r.fault_stage2 = true;
    r.fault_class = cls;
    r.fault_ipa = ipa;
  }
  return r;
}

}  // namespace smmu::model

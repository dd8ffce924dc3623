// SPDX-License-Identifier: Apache-2.0
// VMSAv8-64 translation table descriptors, stage 1 and stage 2.
#pragma once

#include <cstdint>

#include "rtl_model/arch/bits.h"

namespace smmu::arch {

// A translation granule: 4K, 16K or 64K, described by its page shift (12, 14, 16).
struct Granule {
  unsigned shift = 12;

  uint64_t size() const { return uint64_t{1} << shift; }
  unsigned bits_per_level() const { return shift - 3; }  // 9, 11, 13
  // Bytes mapped by one entry of a table at this level (level 3 = a page).
  unsigned level_shift(int level) const { return shift + (3 - level) * bits_per_level(); }
  // Whether a block descriptor is allowed at this level (VMSAv8-64, without LPA2): level 2
  // for every granule, level 1 for 4K, and level 1 (4 TiB) for 64K when the implemented
  // physical address size is 52 bits (FEAT_LPA; Arm ARM AArch64.BlockDescSupported, which
  // tests the implemented PA size, not the configured IPS/PS).
  bool block_allowed(int level, bool pa52 = false) const {
    return level == 2 || (level == 1 && (shift == 12 || (shift == 16 && pa52)));
  }

  static Granule from_shift(unsigned s) { return Granule{s}; }
};

enum class DescriptorType { kInvalid, kTable, kBlock, kPage, kReserved };

// What a descriptor read at this level is.
constexpr DescriptorType descriptor_type(uint64_t desc, int level) {
  if (!bit(desc, 0)) return DescriptorType::kInvalid;
  if (level == 3) return bit(desc, 1) ? DescriptorType::kPage : DescriptorType::kReserved;
  return bit(desc, 1) ? DescriptorType::kTable : DescriptorType::kBlock;
}

// Output (or next-table) address of a descriptor: bits [47:shift]; with the 64K granule
// and a 52-bit output size, bits [15:12] of the descriptor hold OA[51:48].
constexpr uint64_t descriptor_address(uint64_t desc, unsigned granule_shift, bool oa52 = false) {
  uint64_t a = address_bits(desc, 47, granule_shift);
  if (oa52 && granule_shift == 16) a |= extract(desc, 15, 12) << 48;
  return a;
}

// Leaf attributes, stage 1.
struct S1LeafAttrs {
  uint8_t attr_indx = 0;  // [4:2]
  bool ns = false;        // 5
  uint8_t ap = 0;         // [7:6]: bit 7 (AP[2]) read-only, bit 6 (AP[1]) EL0 access
  uint8_t sh = 0;         // [9:8]
  bool af = false;        // 10
  bool ng = false;        // 11
  bool dbm = false;       // 51
  bool pxn = false;       // 53
  bool uxn = false;       // 54 (XN)

  static S1LeafAttrs decode(uint64_t desc);
  uint64_t encode() const;  // the attribute bits only
};

// Leaf attributes, stage 2.
struct S2LeafAttrs {
  uint8_t mem_attr = 0;  // [5:2]
  uint8_t s2ap = 0;      // [7:6]: bit 6 read, bit 7 write
  uint8_t sh = 0;        // [9:8]
  bool af = false;       // 10
  uint8_t xn = 0;        // [54:53]

  static S2LeafAttrs decode(uint64_t desc);
  uint64_t encode() const;
};

// Hierarchical attributes of a stage-1 table descriptor.
struct S1TableAttrs {
  bool pxn_table = false;  // 59
  bool xn_table = false;   // 60
  uint8_t ap_table = 0;    // [62:61]: bit 62 read-only, bit 61 no EL0 access
  bool ns_table = false;   // 63

  static S1TableAttrs decode(uint64_t desc);
  uint64_t encode() const;
};

// Builders, used by the table builder, tests and the driver's io-pgtable.
uint64_t make_table_descriptor(uint64_t next_table, const S1TableAttrs& attrs = {});
uint64_t make_s1_leaf(uint64_t out_addr, int level, const S1LeafAttrs& attrs);
uint64_t make_s2_leaf(uint64_t out_addr, int level, const S2LeafAttrs& attrs);

}  // namespace smmu::arch

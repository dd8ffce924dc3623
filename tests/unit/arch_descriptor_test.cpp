// SPDX-License-Identifier: Apache-2.0
// VMSAv8-64 translation table descriptors against reference/smmuv3-formats.md.
#include <gtest/gtest.h>

#include "rtl_model/arch/descriptor.h"
#include "tests/unit/arch_field_check.h"

namespace smmu::arch {
namespace {

using test::bits;
using test::check_fields;
using test::field_union;
using test::FieldCase;
using test::Words;

#define DESC_FIELD(T, hi, lo, member)                                                       \
  FieldCase<T> {                                                                            \
    #member, 0, hi, lo, false, [](T& a, uint64_t v) { a.member = v; },                      \
        [](const T& a) { return static_cast<uint64_t>(a.member); }                          \
  }

template <typename T>
void check_attrs(const std::vector<FieldCase<T>>& cases) {
  auto enc = [](const T& a) { return Words<1>{a.encode()}; };
  auto dec = [](const Words<1>& w) { return T::decode(w[0]); };
  check_fields<T, 1>(cases, T{}, enc, dec, Words<1>{~uint64_t{0}});
  // Only the attribute bits come out of a full descriptor.
  EXPECT_EQ(enc(dec(Words<1>{~uint64_t{0}})), (field_union<T, 1>(cases)));
}

const Granule k4K{12}, k16K{14}, k64K{16};

TEST(ArchDescriptor, S1LeafAttrFields) {
  check_attrs<S1LeafAttrs>({
      DESC_FIELD(S1LeafAttrs, 4, 2, attr_indx),
      DESC_FIELD(S1LeafAttrs, 5, 5, ns),
      DESC_FIELD(S1LeafAttrs, 7, 6, ap),
      DESC_FIELD(S1LeafAttrs, 9, 8, sh),
      DESC_FIELD(S1LeafAttrs, 10, 10, af),
      DESC_FIELD(S1LeafAttrs, 11, 11, ng),
      DESC_FIELD(S1LeafAttrs, 51, 51, dbm),
      DESC_FIELD(S1LeafAttrs, 53, 53, pxn),
      DESC_FIELD(S1LeafAttrs, 54, 54, uxn),
  });
}

TEST(ArchDescriptor, S2LeafAttrFields) {
  check_attrs<S2LeafAttrs>({
      DESC_FIELD(S2LeafAttrs, 5, 2, mem_attr),
      DESC_FIELD(S2LeafAttrs, 7, 6, s2ap),
      DESC_FIELD(S2LeafAttrs, 9, 8, sh),
      DESC_FIELD(S2LeafAttrs, 10, 10, af),
      DESC_FIELD(S2LeafAttrs, 54, 53, xn),
  });
}

TEST(ArchDescriptor, S1TableAttrFields) {
  check_attrs<S1TableAttrs>({
      DESC_FIELD(S1TableAttrs, 59, 59, pxn_table),
      DESC_FIELD(S1TableAttrs, 60, 60, xn_table),
      DESC_FIELD(S1TableAttrs, 62, 61, ap_table),
      DESC_FIELD(S1TableAttrs, 63, 63, ns_table),  // not in the sheet; VMSAv8-64 NSTable
  });
}

TEST(ArchDescriptor, TypeAtEveryLevel) {
  for (int level = 0; level <= 3; ++level) {
    SCOPED_TRACE(level);
    EXPECT_EQ(descriptor_type(0, level), DescriptorType::kInvalid);
    // Bit 0 clear: invalid whatever else is set.
    EXPECT_EQ(descriptor_type(~uint64_t{1}, level), DescriptorType::kInvalid);
    EXPECT_EQ(descriptor_type(0x2, level), DescriptorType::kInvalid);
    if (level < 3) {
      EXPECT_EQ(descriptor_type(0x3, level), DescriptorType::kTable);
      EXPECT_EQ(descriptor_type(0x1, level), DescriptorType::kBlock);
    } else {
      EXPECT_EQ(descriptor_type(0x3, level), DescriptorType::kPage);
      EXPECT_EQ(descriptor_type(0x1, level), DescriptorType::kReserved);
    }
    // Only bits [1:0] decide the type.
    EXPECT_EQ(descriptor_type(0xffff'ffff'ffff'fffdu, level), descriptor_type(0x1, level));
    EXPECT_EQ(descriptor_type(0x0000'8000'4000'0003u, level), descriptor_type(0x3, level));
  }
}

TEST(ArchDescriptor, BlocksAllowedPerGranule) {
  // descriptor_type says "block" at levels 0..2; the granule decides whether one is legal
  // there (level 1 only with 4K, level 2 always, never level 0 or 3 without LPA2).
  EXPECT_FALSE(k4K.block_allowed(0));
  EXPECT_TRUE(k4K.block_allowed(1));
  EXPECT_TRUE(k4K.block_allowed(2));
  EXPECT_FALSE(k4K.block_allowed(3));
  for (const Granule& g : {k16K, k64K}) {
    SCOPED_TRACE(g.shift);
    EXPECT_FALSE(g.block_allowed(0));
    EXPECT_FALSE(g.block_allowed(1));
    EXPECT_TRUE(g.block_allowed(2));
    EXPECT_FALSE(g.block_allowed(3));
  }
}

TEST(ArchDescriptor, GranuleGeometry) {
  EXPECT_EQ(k4K.size(), 4096u);
  EXPECT_EQ(k16K.size(), 16384u);
  EXPECT_EQ(k64K.size(), 65536u);
  EXPECT_EQ(k4K.bits_per_level(), 9u);
  EXPECT_EQ(k16K.bits_per_level(), 11u);
  EXPECT_EQ(k64K.bits_per_level(), 13u);
  EXPECT_EQ(k4K.level_shift(3), 12u);
  EXPECT_EQ(k4K.level_shift(2), 21u);  // 2 MiB blocks
  EXPECT_EQ(k4K.level_shift(1), 30u);  // 1 GiB blocks
  EXPECT_EQ(k4K.level_shift(0), 39u);
  EXPECT_EQ(k16K.level_shift(3), 14u);
  EXPECT_EQ(k16K.level_shift(2), 25u);  // 32 MiB blocks
  EXPECT_EQ(k16K.level_shift(1), 36u);
  EXPECT_EQ(k16K.level_shift(0), 47u);
  EXPECT_EQ(k64K.level_shift(3), 16u);
  EXPECT_EQ(k64K.level_shift(2), 29u);  // 512 MiB blocks
  EXPECT_EQ(k64K.level_shift(1), 42u);
  EXPECT_EQ(Granule::from_shift(14).size(), 16384u);
}

TEST(ArchDescriptor, QemuVectorIndexes) {
  // IOVA 0x8080604567, 4K, 4 levels: indexes 1, 2, 3, 4 and page offset 0x567.
  const uint64_t iova = 0x80'8060'4567;
  const uint64_t want[] = {1, 2, 3, 4};
  for (int level = 0; level <= 3; ++level)
    EXPECT_EQ((iova >> k4K.level_shift(level)) & 511, want[level]) << level;
  EXPECT_EQ(iova & (k4K.size() - 1), 0x567u);
}

TEST(ArchDescriptor, AddressPerGranule) {
  const uint64_t all = ~uint64_t{0};
  EXPECT_EQ(descriptor_address(all, 12), bits(47, 12));
  EXPECT_EQ(descriptor_address(all, 14), bits(47, 14));
  EXPECT_EQ(descriptor_address(all, 16), bits(47, 16));
  // Attribute bits (upper and lower) never leak into the address.
  const uint64_t attrs = S1LeafAttrs{7, true, 3, 3, true, true, true, true, true}.encode() |
                         S1TableAttrs{true, true, 3, true}.encode() | 0x3;
  EXPECT_EQ(descriptor_address(0x0000'1234'5678'9000u | attrs, 12), 0x1234'5678'9000u);
  EXPECT_EQ(descriptor_address(0x0000'1234'5678'c000u | attrs, 14), 0x1234'5678'c000u);
  EXPECT_EQ(descriptor_address(0x0000'1234'5678'0000u | attrs, 16), 0x1234'5678'0000u);
  // Low bits below the granule are not address bits: a 16K descriptor with bits [13:12] set.
  EXPECT_EQ(descriptor_address(0x4000'3003u, 14), 0x4000'0000u);
  EXPECT_EQ(descriptor_address(0x4000'f003u, 16), 0x4000'0000u);
}

TEST(ArchDescriptor, FiftyTwoBitOutputWith64K) {
  // 64K granule, 52-bit OA: descriptor bits [15:12] hold OA[51:48].
  const uint64_t desc = 0x0000'1234'5678'0000u | (uint64_t{0xa} << 12) | 0x3;
  EXPECT_EQ(descriptor_address(desc, 16, true), 0x000a'1234'5678'0000u);
  EXPECT_EQ(descriptor_address(desc, 16, false), 0x0000'1234'5678'0000u);
  EXPECT_EQ(descriptor_address(~uint64_t{0}, 16, true), bits(51, 16));
  // Bits [51:48] of the descriptor are not address bits (51 is DBM).
  EXPECT_EQ(descriptor_address(uint64_t{0xf} << 48 | 0x3, 16, true), 0u);
  // Only the 64K granule uses that encoding.
  EXPECT_EQ(descriptor_address(desc, 12, true), 0x0000'1234'5678'a000u);
  EXPECT_EQ(descriptor_address(0x0000'1234'5678'4003u, 14, true), 0x0000'1234'5678'4000u);
}

TEST(ArchDescriptor, Builders) {
  // QEMU vector's page: PA 0x4ECBA000, AF, inner shareable, AttrIndx 1.
  S1LeafAttrs a;
  a.af = true;
  a.sh = 3;
  a.attr_indx = 1;
  const uint64_t page = make_s1_leaf(0x4ECB'A000, 3, a);
  EXPECT_EQ(page, 0x4ECB'A707u);
  EXPECT_EQ(descriptor_type(page, 3), DescriptorType::kPage);
  EXPECT_EQ(descriptor_address(page, 12), 0x4ECB'A000u);
  EXPECT_TRUE(S1LeafAttrs::decode(page).af);

  const uint64_t block = make_s1_leaf(0x4020'0000, 2, a);
  EXPECT_EQ(block, 0x4020'0705u);
  EXPECT_EQ(descriptor_type(block, 2), DescriptorType::kBlock);

  const uint64_t table = make_table_descriptor(0x4000'5000, S1TableAttrs{true, false, 2, false});
  EXPECT_EQ(table, (uint64_t{1} << 62) | (uint64_t{1} << 59) | 0x4000'5003u);
  EXPECT_EQ(descriptor_type(table, 1), DescriptorType::kTable);
  EXPECT_EQ(descriptor_address(table, 12), 0x4000'5000u);
  EXPECT_TRUE(S1TableAttrs::decode(table).pxn_table);
  EXPECT_EQ(make_table_descriptor(0x4000'5000), 0x4000'5003u);

  // Stage 2: read/write, normal write-back memory (MemAttr 0xf), AF, not executable.
  S2LeafAttrs s;
  s.s2ap = 3;
  s.mem_attr = 0xf;
  s.af = true;
  s.sh = 3;
  s.xn = 2;
  const uint64_t s2page = make_s2_leaf(0x8000'1000, 3, s);
  EXPECT_EQ(s2page, (uint64_t{2} << 53) | 0x8000'17ffu);
  EXPECT_EQ(descriptor_type(s2page, 3), DescriptorType::kPage);
  EXPECT_EQ(make_s2_leaf(0x4000'0000, 1, S2LeafAttrs{}), 0x4000'0001u);
  // Builders keep address bits [47:12] only.
  EXPECT_EQ(make_s1_leaf(0xffff'ffff'ffff'ffffu, 3, S1LeafAttrs{}), bits(47, 12) | 0x3);
}

}  // namespace
}  // namespace smmu::arch

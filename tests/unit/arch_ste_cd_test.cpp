// SPDX-License-Identifier: Apache-2.0
// STE, CD and their level-1 descriptors against reference/smmuv3-formats.md.
#include <gtest/gtest.h>

#include "rtl_model/arch/cd.h"
#include "rtl_model/arch/ste.h"
#include "tests/unit/arch_field_check.h"

namespace smmu::arch {
namespace {

using test::bits;
using test::check_fields;
using test::field_union;
using test::FieldCase;
using test::Words;

#define WORD_FIELD(T, word, hi, lo, member)                                                \
  FieldCase<T> {                                                                           \
    #member, word, hi, lo, false, [](T& r, uint64_t v) { r.member = v; },                  \
        [](const T& r) { return static_cast<uint64_t>(r.member); }                         \
  }
#define WORD_ADDR(T, word, hi, lo, member)                                                 \
  FieldCase<T> {                                                                           \
    #member, word, hi, lo, true, [](T& r, uint64_t v) { r.member = v; },                   \
        [](const T& r) { return static_cast<uint64_t>(r.member); }                         \
  }

const Words<8> kAllOnes8 = {~uint64_t{0}, ~uint64_t{0}, ~uint64_t{0}, ~uint64_t{0},
                            ~uint64_t{0}, ~uint64_t{0}, ~uint64_t{0}, ~uint64_t{0}};

std::vector<FieldCase<Ste>> ste_cases() {
  return {
      WORD_FIELD(Ste, 0, 0, 0, valid),
      WORD_FIELD(Ste, 0, 3, 1, config),
      WORD_FIELD(Ste, 0, 5, 4, s1fmt),
      WORD_ADDR(Ste, 0, 51, 6, s1_context_ptr),
      WORD_FIELD(Ste, 0, 63, 59, s1cdmax),
      WORD_FIELD(Ste, 1, 1, 0, s1dss),
      WORD_FIELD(Ste, 1, 3, 2, s1cir),
      WORD_FIELD(Ste, 1, 5, 4, s1cor),
      WORD_FIELD(Ste, 1, 7, 6, s1csh),
      WORD_FIELD(Ste, 1, 19, 19, mev),
      WORD_FIELD(Ste, 1, 25, 25, s2fwb),
      WORD_FIELD(Ste, 1, 27, 27, s1stalld),
      WORD_FIELD(Ste, 1, 29, 28, eats),
      WORD_FIELD(Ste, 1, 31, 30, strw),
      WORD_FIELD(Ste, 1, 45, 44, shcfg),
      WORD_FIELD(Ste, 2, 15, 0, s2vmid),
      WORD_FIELD(Ste, 2, 37, 32, s2t0sz),
      WORD_FIELD(Ste, 2, 39, 38, s2sl0),
      WORD_FIELD(Ste, 2, 41, 40, s2ir0),
      WORD_FIELD(Ste, 2, 43, 42, s2or0),
      WORD_FIELD(Ste, 2, 45, 44, s2sh0),
      WORD_FIELD(Ste, 2, 47, 46, s2tg),
      WORD_FIELD(Ste, 2, 50, 48, s2ps),
      WORD_FIELD(Ste, 2, 51, 51, s2aa64),
      WORD_FIELD(Ste, 2, 52, 52, s2endi),
      WORD_FIELD(Ste, 2, 53, 53, s2affd),
      WORD_FIELD(Ste, 2, 54, 54, s2ptw),
      WORD_FIELD(Ste, 2, 55, 55, s2hd),
      WORD_FIELD(Ste, 2, 56, 56, s2ha),
      WORD_FIELD(Ste, 2, 57, 57, s2s),
      WORD_FIELD(Ste, 2, 58, 58, s2r),
      WORD_ADDR(Ste, 3, 51, 4, s2ttb),
  };
}

std::vector<FieldCase<Cd>> cd_cases() {
  return {
      WORD_FIELD(Cd, 0, 5, 0, t0sz),
      WORD_FIELD(Cd, 0, 7, 6, tg0),
      WORD_FIELD(Cd, 0, 9, 8, irgn0),
      WORD_FIELD(Cd, 0, 11, 10, orgn0),
      WORD_FIELD(Cd, 0, 13, 12, sh0),
      WORD_FIELD(Cd, 0, 14, 14, epd0),
      WORD_FIELD(Cd, 0, 15, 15, endi),
      WORD_FIELD(Cd, 0, 21, 16, t1sz),
      WORD_FIELD(Cd, 0, 23, 22, tg1),
      WORD_FIELD(Cd, 0, 30, 30, epd1),
      WORD_FIELD(Cd, 0, 31, 31, valid),
      WORD_FIELD(Cd, 0, 34, 32, ips),
      WORD_FIELD(Cd, 0, 35, 35, affd),
      WORD_FIELD(Cd, 0, 36, 36, wxn),
      WORD_FIELD(Cd, 0, 37, 37, uwxn),
      WORD_FIELD(Cd, 0, 39, 38, tbi),
      WORD_FIELD(Cd, 0, 40, 40, pan),
      WORD_FIELD(Cd, 0, 41, 41, aa64),
      WORD_FIELD(Cd, 0, 42, 42, hd),
      WORD_FIELD(Cd, 0, 43, 43, ha),
      WORD_FIELD(Cd, 0, 44, 44, s),
      WORD_FIELD(Cd, 0, 45, 45, r),
      WORD_FIELD(Cd, 0, 46, 46, a),
      WORD_FIELD(Cd, 0, 47, 47, aset),
      WORD_FIELD(Cd, 0, 63, 48, asid),
      WORD_ADDR(Cd, 1, 51, 4, ttb0),
      WORD_FIELD(Cd, 1, 1, 1, had0),
      WORD_ADDR(Cd, 2, 51, 4, ttb1),
      WORD_FIELD(Cd, 2, 1, 1, had1),
      WORD_FIELD(Cd, 3, 63, 0, mair),
  };
}

TEST(ArchSte, EveryFieldAtItsPosition) {
  check_fields<Ste, 8>(ste_cases(), Ste{}, [](const Ste& s) { return s.encode(); },
                       [](const SteWords& w) { return Ste::decode(w); }, kAllOnes8);
}

TEST(ArchSte, NamedBitsAreExactlyTheSheetFields) {
  Ste all = Ste::decode(kAllOnes8);
  const Words<8> unnamed = all.other;
  all.other = {};
  const Words<8> named = field_union<Ste, 8>(ste_cases());
  EXPECT_EQ(all.encode(), named);
  for (std::size_t i = 0; i < 8; ++i) EXPECT_EQ(unnamed[i], ~named[i]) << "qword " << i;
  // Unnamed (reserved) bits survive decode/encode, so the model can check them.
  EXPECT_EQ(Ste::decode(kAllOnes8).encode(), kAllOnes8);
  SteWords w{};
  w[1] = uint64_t{1} << 8;  // a RES0 bit of qw1
  w[7] = 0x1234;
  const Ste s = Ste::decode(w);
  EXPECT_EQ(s.other[1], uint64_t{1} << 8);
  EXPECT_EQ(s.other[7], 0x1234u);
  EXPECT_EQ(s.encode(), w);
}

TEST(ArchSte, ExamplesFromTheSheet) {
  Ste s;
  s.s2ps = 5;
  EXPECT_EQ(s.encode()[2], uint64_t{0x5} << 48);

  // QEMU's S2-only vector: CONFIG 6, S2T0SZ 0x14, S2SL0 2, S2PS 5, AArch64 tables.
  Ste q;
  q.valid = true;
  q.config = static_cast<uint8_t>(SteConfig::kS2);
  q.s2t0sz = 0x14;
  q.s2sl0 = 2;
  q.s2ps = 5;
  q.s2aa64 = true;
  q.s2vmid = 0x1e;
  q.s2ttb = 0x4000'1000;
  const SteWords w = q.encode();
  EXPECT_EQ(w[0], 0xdu);  // V | CONFIG 0b110 << 1
  EXPECT_EQ(w[2], (uint64_t{1} << 51) | (uint64_t{5} << 48) | (uint64_t{2} << 38) |
                      (uint64_t{0x14} << 32) | 0x1e);
  EXPECT_EQ(w[3], 0x4000'1000u);
  EXPECT_EQ(q.kind(), SteConfig::kS2);
  EXPECT_TRUE(q.stage2());
  EXPECT_FALSE(q.stage1());
}

TEST(ArchSte, ConfigKinds) {
  Ste s;
  for (uint8_t c = 0; c < 4; ++c) {
    s.config = c;
    EXPECT_EQ(s.kind(), SteConfig::kAbort) << int{c};
    EXPECT_FALSE(s.stage1());
    EXPECT_FALSE(s.stage2());
  }
  s.config = 4;
  EXPECT_EQ(s.kind(), SteConfig::kBypass);
  EXPECT_FALSE(s.stage1() || s.stage2());
  s.config = 5;
  EXPECT_EQ(s.kind(), SteConfig::kS1);
  EXPECT_TRUE(s.stage1());
  EXPECT_FALSE(s.stage2());
  s.config = 7;
  EXPECT_EQ(s.kind(), SteConfig::kNested);
  EXPECT_TRUE(s.stage1() && s.stage2());
  // CONFIG 5 with V: qw0 = 0b1011.
  s.config = 5;
  s.valid = true;
  EXPECT_EQ(s.encode()[0], 0xbu);
}

TEST(ArchSte, L1StreamDescriptor) {
  using D = L1StreamDescriptor;
  check_fields<D, 1>(
      {
          WORD_FIELD(D, 0, 4, 0, span),
          WORD_ADDR(D, 0, 51, 6, l2ptr),
      },
      D{}, [](const D& d) { return Words<1>{d.encode()}; },
      [](const Words<1>& w) { return D::decode(w[0]); }, Words<1>{~uint64_t{0}});
  // Linux: SPLIT 8 -> 256 STEs per L2 table, SPAN = 9.
  D d;
  d.span = 9;
  d.l2ptr = 0x8'0000'4000;
  EXPECT_EQ(d.encode(), 0x8'0000'4009u);
}

TEST(ArchCd, EveryFieldAtItsPosition) {
  check_fields<Cd, 8>(cd_cases(), Cd{}, [](const Cd& c) { return c.encode(); },
                      [](const CdWords& w) { return Cd::decode(w); }, kAllOnes8);
}

TEST(ArchCd, NamedBitsAreExactlyTheSheetFields) {
  Cd all = Cd::decode(kAllOnes8);
  const Words<8> unnamed = all.other;
  all.other = {};
  const Words<8> named = field_union<Cd, 8>(cd_cases());
  EXPECT_EQ(all.encode(), named);
  for (std::size_t i = 0; i < 8; ++i) EXPECT_EQ(unnamed[i], ~named[i]) << "qword " << i;
  EXPECT_EQ(Cd::decode(kAllOnes8).encode(), kAllOnes8);
}

TEST(ArchCd, QemuVector) {
  // QEMU's S1 vector: T0SZ 16, IPS 4, ASID 0x1e20, 4K granule, AArch64, valid.
  Cd c;
  c.t0sz = 16;
  c.ips = 4;
  c.asid = 0x1e20;
  c.aa64 = true;
  c.valid = true;
  c.ttb0 = 0x4000'2000;
  const CdWords w = c.encode();
  EXPECT_EQ(w[0], (uint64_t{0x1e20} << 48) | (uint64_t{1} << 41) | (uint64_t{4} << 32) |
                      (uint64_t{1} << 31) | 16);
  EXPECT_EQ(w[1], 0x4000'2000u);
  EXPECT_EQ(w[2], 0u);
  const Cd d = Cd::decode(w);
  EXPECT_EQ(d.asid, 0x1e20u);
  EXPECT_EQ(d.t0sz, 16u);
  EXPECT_EQ(d.ips, 4u);
}

TEST(ArchCd, L1CdDescriptor) {
  using D = L1CdDescriptor;
  check_fields<D, 1>(
      {
          WORD_FIELD(D, 0, 0, 0, valid),
          WORD_ADDR(D, 0, 51, 12, l2ptr),
      },
      D{}, [](const D& d) { return Words<1>{d.encode()}; },
      [](const Words<1>& w) { return D::decode(w[0]); }, Words<1>{~uint64_t{0}});
  D d;
  d.valid = true;
  d.l2ptr = 0x1'2345'6000;
  EXPECT_EQ(d.encode(), 0x1'2345'6001u);
}

TEST(ArchCd, GranuleAndSizeEncodings) {
  // TG0 and STE.S2TG: 0 4K, 1 64K, 2 16K.
  EXPECT_EQ(tg0_granule(0), 4096u);
  EXPECT_EQ(tg0_granule(1), 65536u);
  EXPECT_EQ(tg0_granule(2), 16384u);
  EXPECT_EQ(tg0_granule(3), 0u);
  // TG1: 1 16K, 2 4K, 3 64K.
  EXPECT_EQ(tg1_granule(0), 0u);
  EXPECT_EQ(tg1_granule(1), 16384u);
  EXPECT_EQ(tg1_granule(2), 4096u);
  EXPECT_EQ(tg1_granule(3), 65536u);
  // IPS / S2PS / OAS: 32, 36, 40, 42, 44, 48, 52.
  const unsigned want[] = {32, 36, 40, 42, 44, 48, 52};
  for (uint8_t ps = 0; ps < 7; ++ps) EXPECT_EQ(address_size_bits(ps), want[ps]);
  EXPECT_EQ(address_size_bits(7), 0u);
  EXPECT_EQ(address_size_bits(255), 0u);
}

TEST(ArchCd, EncodingsInvertTheDecodings) {
  for (unsigned shift : {12u, 14u, 16u}) EXPECT_EQ(tg0_granule(tg0_encoding(shift)), uint64_t{1} << shift);
  for (unsigned bits : {32u, 36u, 40u, 42u, 44u, 48u, 52u})
    EXPECT_EQ(address_size_bits(static_cast<uint8_t>(ps_encoding(bits))), bits);
  EXPECT_EQ(ps_encoding(41), -1);
  EXPECT_EQ(ps_encoding(64), -1);
}

}  // namespace
}  // namespace smmu::arch

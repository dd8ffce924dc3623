// SPDX-License-Identifier: Apache-2.0
// Decoding CD and STE translation fields: start levels for each granule and input size,
// stage-2 concatenation, output sizes, TTB alignment, and every invalid encoding.
#include <gtest/gtest.h>

#include <string>

#include "rtl_model/smmu/regime.h"

namespace {

using namespace smmu;
using model::SmmuTranslationCaps;
using model::Stage1Regime;
using model::StageConfig;

TEST(Regime, Stage1StartLevels) {
  struct Case {
    unsigned gshift, input_bits;
    int level;
  } cases[] = {
      {12, 48, 0}, {12, 40, 0}, {12, 39, 1}, {12, 31, 1}, {12, 30, 2}, {12, 25, 2},
      {14, 48, 0}, {14, 47, 1}, {14, 37, 1}, {14, 36, 2}, {14, 26, 2}, {14, 25, 3},
      {16, 48, 1}, {16, 43, 1}, {16, 42, 2}, {16, 30, 2}, {16, 29, 3}, {16, 25, 3},
  };
  for (const Case& c : cases)
    EXPECT_EQ(model::stage1_start_level(arch::Granule{c.gshift}, c.input_bits), c.level)
        << c.gshift << "/" << c.input_bits;
}

arch::Cd good_cd() {
  arch::Cd cd;
  cd.valid = cd.aa64 = true;
  cd.t0sz = 16;
  cd.tg0 = 0;
  cd.t1sz = 16;
  cd.tg1 = 2;
  cd.ips = 5;
  cd.asid = 0x1e20;
  cd.ttb0 = 0x80000000;
  cd.ttb1 = 0x90000000;
  return cd;
}

TEST(Regime, CdDecodesBothHalves) {
  arch::Cd cd = good_cd();
  cd.t1sz = 22;  // 42 bits
  cd.tg1 = 3;    // 64K in TG1's encoding
  cd.tbi = 2;
  cd.affd = true;
  Stage1Regime r;
  std::string why;
  ASSERT_TRUE(model::decode_cd_regime(cd, {}, r, &why)) << why;
  EXPECT_EQ(r.half[0].granule.shift, 12u);
  EXPECT_EQ(r.half[0].input_bits, 48u);
  EXPECT_EQ(r.half[0].start_level, 0);
  EXPECT_EQ(r.half[0].ttb, 0x80000000u);
  EXPECT_EQ(r.half[1].granule.shift, 16u);
  EXPECT_EQ(r.half[1].input_bits, 42u);
  EXPECT_EQ(r.half[1].start_level, 2);
  EXPECT_EQ(r.half[1].ttb, 0x90000000u);
  for (const StageConfig& h : r.half) {
    EXPECT_EQ(h.output_bits, 48u);
    EXPECT_TRUE(h.affd);
    EXPECT_EQ(h.tag, 0x1e20);
    EXPECT_EQ(h.concat_tables, 1u);
  }
  EXPECT_FALSE(r.disabled[0]);
  EXPECT_FALSE(r.disabled[1]);
  EXPECT_EQ(r.tbi, 2);
  EXPECT_EQ(r.asid, 0x1e20);
}

TEST(Regime, CdGranuleEncodings) {
  arch::Cd cd = good_cd();
  Stage1Regime r;
  const std::pair<uint8_t, unsigned> tg0[] = {{0, 12}, {1, 16}, {2, 14}};
  for (auto [enc, shift] : tg0) {
    cd.tg0 = enc;
    ASSERT_TRUE(model::decode_cd_regime(cd, {}, r, nullptr));
    EXPECT_EQ(r.half[0].granule.shift, shift);
  }
  const std::pair<uint8_t, unsigned> tg1[] = {{1, 14}, {2, 12}, {3, 16}};
  for (auto [enc, shift] : tg1) {
    cd.tg1 = enc;
    ASSERT_TRUE(model::decode_cd_regime(cd, {}, r, nullptr));
    EXPECT_EQ(r.half[1].granule.shift, shift);
  }
}

TEST(Regime, CdOutputSizeIsTheSmallerOfIpsAndOas) {
  arch::Cd cd = good_cd();
  Stage1Regime r;
  const std::pair<uint8_t, unsigned> ips[] = {{0, 32}, {1, 36}, {2, 40}, {3, 42},
                                              {4, 44}, {5, 48}, {6, 48}};
  for (auto [enc, bits] : ips) {
    cd.ips = enc;
    ASSERT_TRUE(model::decode_cd_regime(cd, {}, r, nullptr));
    EXPECT_EQ(r.half[0].output_bits, bits) << int(enc);
  }
  SmmuTranslationCaps caps;
  caps.oas_bits = 40;
  cd.ips = 5;
  ASSERT_TRUE(model::decode_cd_regime(cd, caps, r, nullptr));
  EXPECT_EQ(r.half[0].output_bits, 40u);
  EXPECT_EQ(r.half[1].output_bits, 40u);
}

// TTB bits below the start table's size (at least 64 bytes) are RES0 and cleared.
TEST(Regime, CdTtbLowBitsCleared) {
  arch::Cd cd = good_cd();
  Stage1Regime r;
  cd.ttb0 = 0x80000ff0;  // 4K, 48 bits: a 4 KiB level-0 table
  ASSERT_TRUE(model::decode_cd_regime(cd, {}, r, nullptr));
  EXPECT_EQ(r.half[0].ttb, 0x80000000u);
  cd.t0sz = 24;          // 40 bits: a 2-entry level-0 table, 64-byte alignment
  cd.ttb0 = 0x80000ff0;
  ASSERT_TRUE(model::decode_cd_regime(cd, {}, r, nullptr));
  EXPECT_EQ(r.half[0].ttb, 0x80000fc0u);
}

void expect_bad_cd(const arch::Cd& cd, const std::string& word, SmmuTranslationCaps caps = {}) {
  Stage1Regime r;
  std::string why;
  EXPECT_FALSE(model::decode_cd_regime(cd, caps, r, &why)) << word;
  EXPECT_NE(why.find(word), std::string::npos) << "reason '" << why << "' lacks '" << word << "'";
}

TEST(Regime, InvalidCdsAreRejectedWithAReason) {
  arch::Cd cd = good_cd();
  cd.valid = false;
  expect_bad_cd(cd, "V");
  cd = good_cd();
  cd.aa64 = false;
  expect_bad_cd(cd, "AA64");
  cd = good_cd();
  cd.endi = true;
  expect_bad_cd(cd, "ENDI");
  cd = good_cd();
  cd.tg0 = 3;
  expect_bad_cd(cd, "TG0");
  cd = good_cd();
  cd.tg1 = 0;
  expect_bad_cd(cd, "TG1");
  cd = good_cd();
  cd.t0sz = 15;
  expect_bad_cd(cd, "T0SZ");
  cd.t0sz = 40;
  expect_bad_cd(cd, "T0SZ");
  cd = good_cd();
  cd.t1sz = 40;
  expect_bad_cd(cd, "T1SZ");
  SmmuTranslationCaps no16k;
  no16k.gran16k = false;
  cd = good_cd();
  cd.tg0 = 2;
  expect_bad_cd(cd, "16K", no16k);
  cd = good_cd();
  cd.tg1 = 1;
  expect_bad_cd(cd, "16K", no16k);
  SmmuTranslationCaps no_s1;
  no_s1.s1 = false;
  expect_bad_cd(good_cd(), "stage 1", no_s1);
}

TEST(Regime, DisabledHalvesAreNotChecked) {
  arch::Cd cd = good_cd();
  cd.epd1 = true;
  cd.tg1 = 0;   // reserved, ignored
  cd.t1sz = 0;  // out of range, ignored
  Stage1Regime r;
  std::string why;
  ASSERT_TRUE(model::decode_cd_regime(cd, {}, r, &why)) << why;
  EXPECT_TRUE(r.disabled[1]);
  EXPECT_FALSE(r.disabled[0]);
  cd = good_cd();
  cd.epd0 = true;
  cd.tg0 = 3;
  ASSERT_TRUE(model::decode_cd_regime(cd, {}, r, &why)) << why;
  EXPECT_TRUE(r.disabled[0]);
}

arch::Ste good_ste(uint8_t tg, uint8_t t0sz, uint8_t sl0) {
  arch::Ste ste;
  ste.valid = true;
  ste.config = 6;
  ste.s2aa64 = true;
  ste.s2tg = tg;
  ste.s2t0sz = t0sz;
  ste.s2sl0 = sl0;
  ste.s2ps = 5;
  ste.s2vmid = 0x42;
  ste.s2affd = true;
  ste.s2ttb = 0x80000000;
  return ste;
}

TEST(Regime, Stage2StartLevelsAndConcatenation) {
  struct Case {
    uint8_t tg;  // 0 4K, 1 64K, 2 16K
    unsigned input_bits;
    uint8_t sl0;
    int level;
    unsigned concat;
  } cases[] = {
      // 4K: SL0 0 -> level 2, 1 -> level 1, 2 -> level 0.
      {0, 25, 0, 2, 1}, {0, 30, 0, 2, 1}, {0, 31, 0, 2, 2}, {0, 32, 0, 2, 4}, {0, 33, 0, 2, 8},
      {0, 34, 0, 2, 16}, {0, 31, 1, 1, 1}, {0, 39, 1, 1, 1}, {0, 40, 1, 1, 2}, {0, 43, 1, 1, 16},
      {0, 40, 2, 0, 1}, {0, 44, 2, 0, 1}, {0, 48, 2, 0, 1},
      // 16K: SL0 0 -> level 3, 1 -> level 2, 2 -> level 1.
      {2, 25, 0, 3, 1}, {2, 27, 0, 3, 4}, {2, 29, 0, 3, 16}, {2, 26, 1, 2, 1}, {2, 36, 1, 2, 1},
      {2, 40, 1, 2, 16}, {2, 37, 2, 1, 1}, {2, 47, 2, 1, 1}, {2, 48, 2, 1, 2},
      // 64K: SL0 0 -> level 3, 1 -> level 2, 2 -> level 1.
      {1, 25, 0, 3, 1}, {1, 29, 0, 3, 1}, {1, 33, 0, 3, 16}, {1, 30, 1, 2, 1}, {1, 42, 1, 2, 1},
      {1, 46, 1, 2, 16}, {1, 43, 2, 1, 1}, {1, 48, 2, 1, 1},
  };
  for (const Case& c : cases) {
    StageConfig s2;
    std::string why;
    const arch::Ste ste = good_ste(c.tg, static_cast<uint8_t>(64 - c.input_bits), c.sl0);
    ASSERT_TRUE(model::decode_ste_stage2(ste, {}, s2, &why))
        << int(c.tg) << "/" << c.input_bits << "/" << int(c.sl0) << ": " << why;
    EXPECT_EQ(s2.start_level, c.level) << int(c.tg) << "/" << c.input_bits;
    EXPECT_EQ(s2.concat_tables, c.concat) << int(c.tg) << "/" << c.input_bits;
    EXPECT_EQ(s2.input_bits, c.input_bits);
    EXPECT_EQ(s2.tag, 0x42);
    EXPECT_TRUE(s2.affd);
    EXPECT_EQ(s2.output_bits, 48u);
  }
}

TEST(Regime, Stage2InconsistentStartLevels) {
  struct Case {
    uint8_t tg;
    unsigned input_bits;
    uint8_t sl0;
  } cases[] = {
      {0, 35, 0},  // level 2 resolves at most 9 + 4 bits above 21
      {0, 30, 1},  // level 1 needs more than 30 bits
      {0, 44, 1},
      {0, 39, 2},  // level 0 needs more than 39 bits
      {2, 30, 0},  // 16K level 3: at most 29 bits
      {2, 25, 1},  // 16K level 2: more than 25 bits
      {2, 41, 1},
      {2, 36, 2},
      {1, 34, 0},  // 64K level 3: at most 33 bits
      {1, 29, 1},
      {1, 47, 1},
      {1, 42, 2},
      {0, 40, 3},  // SL0 3 reserved
      {1, 40, 3},
      {2, 40, 3},
  };
  for (const Case& c : cases) {
    StageConfig s2;
    std::string why;
    const arch::Ste ste = good_ste(c.tg, static_cast<uint8_t>(64 - c.input_bits), c.sl0);
    EXPECT_FALSE(model::decode_ste_stage2(ste, {}, s2, &why))
        << int(c.tg) << "/" << c.input_bits << "/" << int(c.sl0);
    EXPECT_NE(why.find("S2SL0"), std::string::npos) << why;
  }
}

TEST(Regime, Stage2StartLevelNeedsALargeEnoughOutputSize) {
  SmmuTranslationCaps caps;
  caps.oas_bits = 42;
  StageConfig s2;
  std::string why;
  // 4K level 0 needs 44-bit PAs; 64K level 1 likewise; 16K level 1 needs 42.
  EXPECT_FALSE(model::decode_ste_stage2(good_ste(0, 24, 2), caps, s2, &why));
  EXPECT_NE(why.find("S2SL0"), std::string::npos);
  EXPECT_FALSE(model::decode_ste_stage2(good_ste(1, 22, 2), caps, s2, &why));
  EXPECT_TRUE(model::decode_ste_stage2(good_ste(2, 22, 2), caps, s2, &why)) << why;
  EXPECT_EQ(s2.start_level, 1);
  // The IPA cannot exceed the output size either.
  EXPECT_FALSE(model::decode_ste_stage2(good_ste(2, 21, 2), caps, s2, &why));
  EXPECT_NE(why.find("S2T0SZ"), std::string::npos);
}

TEST(Regime, Stage2OutputSizeAndTtbAlignment) {
  StageConfig s2;
  arch::Ste ste = good_ste(0, 24, 1);  // 40-bit, level 1, 2 tables: 8 KiB
  ste.s2ps = 2;
  ste.s2ttb = 0x80001ff0;
  ASSERT_TRUE(model::decode_ste_stage2(ste, {}, s2, nullptr));
  EXPECT_EQ(s2.output_bits, 40u);
  EXPECT_EQ(s2.ttb, 0x80000000u);
  ste = good_ste(0, 20, 2);  // 44-bit, level 0: 32 entries, 256 bytes
  ste.s2ttb = 0x80001ff0;
  ste.s2ps = 6;
  ASSERT_TRUE(model::decode_ste_stage2(ste, {}, s2, nullptr));
  EXPECT_EQ(s2.ttb, 0x80001f00u);
  EXPECT_EQ(s2.output_bits, 48u);  // min(52, OAS 48)
  SmmuTranslationCaps caps;
  caps.oas_bits = 52;
  ste = good_ste(1, 12, 2);  // 64K, 52-bit IPA at level 1 (LPA): 1024 entries
  ste.s2ps = 6;
  ASSERT_TRUE(model::decode_ste_stage2(ste, caps, s2, nullptr));
  EXPECT_EQ(s2.output_bits, 52u);
  EXPECT_EQ(s2.input_bits, 52u);
  EXPECT_EQ(s2.start_level, 1);
}

void expect_bad_ste(const arch::Ste& ste, const std::string& word, SmmuTranslationCaps caps = {}) {
  StageConfig s2;
  std::string why;
  EXPECT_FALSE(model::decode_ste_stage2(ste, caps, s2, &why)) << word;
  EXPECT_NE(why.find(word), std::string::npos) << "reason '" << why << "' lacks '" << word << "'";
}

TEST(Regime, InvalidStesAreRejectedWithAReason) {
  arch::Ste ste = good_ste(0, 25, 1);
  ASSERT_TRUE([&] {
    StageConfig s2;
    return model::decode_ste_stage2(ste, {}, s2, nullptr);
  }());
  ste.valid = false;
  expect_bad_ste(ste, "V");
  ste = good_ste(0, 25, 1);
  ste.config = 5;
  expect_bad_ste(ste, "Config");
  ste = good_ste(0, 25, 1);
  ste.s2aa64 = false;
  expect_bad_ste(ste, "S2AA64");
  ste = good_ste(0, 25, 1);
  ste.s2endi = true;
  expect_bad_ste(ste, "S2ENDI");
  ste = good_ste(0, 25, 1);
  ste.s2tg = 3;
  expect_bad_ste(ste, "S2TG");
  ste = good_ste(0, 25, 1);
  ste.s2t0sz = 40;
  expect_bad_ste(ste, "S2T0SZ");
  ste.s2t0sz = 15;
  expect_bad_ste(ste, "S2T0SZ");
  SmmuTranslationCaps no64k;
  no64k.gran64k = false;
  expect_bad_ste(good_ste(1, 25, 1), "64K", no64k);
  SmmuTranslationCaps no_s2;
  no_s2.s2 = false;
  expect_bad_ste(good_ste(0, 25, 1), "stage 2", no_s2);
  // Nested STEs decode their stage 2 too.
  ste = good_ste(0, 25, 1);
  ste.config = 7;
  StageConfig s2;
  EXPECT_TRUE(model::decode_ste_stage2(ste, {}, s2, nullptr));
}

// IHI 0070 §5.4 IPS, §5.2 S2PS: 0b111 is Reserved and behaves as 0b110 (52 bits) in
// SMMUv3.1-3.3, and the effective size is capped at the OAS: not an ILLEGAL value.
TEST(Regime, ReservedPs7BehavesAs52CappedAtTheOas) {
  EXPECT_EQ(model::effective_output_bits(7, 48), 48u);
  EXPECT_EQ(model::effective_output_bits(7, 52), 52u);
  EXPECT_EQ(model::effective_output_bits(6, 44), 44u);
  EXPECT_EQ(model::effective_output_bits(0, 48), 32u);
  arch::Cd cd = good_cd();
  cd.ips = 7;
  Stage1Regime r;
  std::string why;
  ASSERT_TRUE(model::decode_cd_regime(cd, {}, r, &why)) << why;
  EXPECT_EQ(r.half[0].output_bits, 48u);
  arch::Ste ste = good_ste(0, 25, 1);
  ste.s2ps = 7;
  StageConfig s2;
  ASSERT_TRUE(model::decode_ste_stage2(ste, {}, s2, &why)) << why;
  EXPECT_EQ(s2.output_bits, 48u);
}

// IHI 0070 §5.5 / §6.3.1: no stall model (STALL_MODEL = 0b01) makes CD.S = 1 and
// STE.S2S = 1 ILLEGAL; TERM_MODEL = 1 (no RAZ/WI) makes CD.A = 0 ILLEGAL.
TEST(Regime, FaultModelFieldsTheSmmuCannotHonourAreIllegal) {
  arch::Cd cd = good_cd();
  cd.s = true;
  expect_bad_cd(cd, "CD.S");
  cd = good_cd();
  cd.a = false;
  Stage1Regime r;
  EXPECT_TRUE(model::decode_cd_regime(cd, {}, r, nullptr));  // RAZ/WI supported
  SmmuTranslationCaps abort_only;
  abort_only.raz_wi = false;
  expect_bad_cd(cd, "CD.A", abort_only);
  cd.a = true;
  EXPECT_TRUE(model::decode_cd_regime(cd, abort_only, r, nullptr));
  arch::Ste ste = good_ste(0, 25, 1);
  ste.s2s = true;
  expect_bad_ste(ste, "S2S");
}

TEST(Regime, Asid16) {
  arch::Cd cd = good_cd();  // ASID 0x1e20
  SmmuTranslationCaps asid8;
  asid8.asid16 = false;
  expect_bad_cd(cd, "ASID", asid8);
  cd.asid = 0xff;
  Stage1Regime r;
  EXPECT_TRUE(model::decode_cd_regime(cd, asid8, r, nullptr));
}

// IHI 0070 §3.4.3 and CD.TTB0/STE.S2TTB: a start-level table outside the effective IPS
// / S2PS, or above 48 bits with a 4K/16K granule (no LPA2), makes the CD or STE ILLEGAL
// (C_BAD_CD / C_BAD_STE), not an Address Size fault. With 64K and a 52-bit output size,
// a TTB above 48 bits is fine.
TEST(Regime, TableBasesOutsideTheOutputSizeAreIllegal) {
  arch::Cd cd = good_cd();
  cd.ips = 0;  // 32 bits
  cd.ttb0 = 0x100000000ull;
  expect_bad_cd(cd, "CD.TTB0");
  cd = good_cd();
  cd.ttb1 = 0x1000000000000ull;  // bit 48
  expect_bad_cd(cd, "CD.TTB1");
  SmmuTranslationCaps oas52;
  oas52.oas_bits = 52;
  cd = good_cd();
  cd.ips = 6;
  cd.ttb0 = uint64_t{1} << 50;
  expect_bad_cd(cd, "48 bits", oas52);  // 4K: no LPA2
  cd.tg0 = 2;                           // 16K likewise
  expect_bad_cd(cd, "48 bits", oas52);
  cd.tg0 = 1;  // 64K: 52-bit tables are addressable
  Stage1Regime r;
  std::string why;
  ASSERT_TRUE(model::decode_cd_regime(cd, oas52, r, &why)) << why;
  EXPECT_EQ(r.half[0].ttb, uint64_t{1} << 50);
  EXPECT_TRUE(r.half[0].pa52);
  // The same address with the default 48-bit OAS is outside the (capped) IPS.
  expect_bad_cd(cd, "output size");

  arch::Ste ste = good_ste(0, 25, 1);
  ste.s2ps = 0;
  ste.s2ttb = 0x100000000ull;
  expect_bad_ste(ste, "S2TTB");
  ste = good_ste(0, 25, 1);
  ste.s2ps = 6;
  ste.s2ttb = uint64_t{1} << 49;
  expect_bad_ste(ste, "48 bits", oas52);
  ste = good_ste(1, 25, 1);  // 64K
  ste.s2ps = 6;
  ste.s2ttb = uint64_t{1} << 49;
  StageConfig s2;
  ASSERT_TRUE(model::decode_ste_stage2(ste, oas52, s2, &why)) << why;
  EXPECT_TRUE(s2.pa52);
}

// IDR5.VAX = 0b01: 52-bit VAs with the 64K granule, T0SZ/T1SZ down to 12 (IHI 0070 §5.4
// T0SZ, §3.4). A 52-bit 64K walk starts at level 1 with 10 index bits (an 8 KiB table).
TEST(Regime, FiftyTwoBitVasWithThe64kGranule) {
  arch::Cd cd = good_cd();
  cd.tg0 = 1;  // 64K
  cd.t0sz = 12;
  expect_bad_cd(cd, "T0SZ");  // VAX = 0: 16..39
  SmmuTranslationCaps vax;
  vax.va52 = true;
  Stage1Regime r;
  std::string why;
  cd.ttb0 = 0x80003ff0;
  ASSERT_TRUE(model::decode_cd_regime(cd, vax, r, &why)) << why;
  EXPECT_EQ(r.half[0].input_bits, 52u);
  EXPECT_EQ(r.half[0].start_level, 1);
  EXPECT_EQ(r.half[0].ttb, 0x80002000u);  // aligned to the 8 KiB table
  cd.t0sz = 11;
  expect_bad_cd(cd, "T0SZ", vax);
  cd.t0sz = 12;
  cd.tg0 = 0;  // 4K: 52 bits need LPA2
  expect_bad_cd(cd, "T0SZ", vax);
  cd = good_cd();
  cd.tg1 = 3;  // 64K in TG1's encoding
  cd.t1sz = 12;
  ASSERT_TRUE(model::decode_cd_regime(cd, vax, r, &why)) << why;
  EXPECT_EQ(r.half[1].input_bits, 52u);
}

TEST(Regime, WxnAndPanAreDecoded) {
  arch::Cd cd = good_cd();
  Stage1Regime r;
  ASSERT_TRUE(model::decode_cd_regime(cd, {}, r, nullptr));
  EXPECT_FALSE(r.wxn);
  EXPECT_FALSE(r.pan);
  cd.wxn = true;
  ASSERT_TRUE(model::decode_cd_regime(cd, {}, r, nullptr));
  EXPECT_TRUE(r.wxn);
  cd.pan = true;
  ASSERT_TRUE(model::decode_cd_regime(cd, {}, r, nullptr));
  EXPECT_TRUE(r.pan);
}

}  // namespace

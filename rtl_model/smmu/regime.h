// Decoding the translation fields of a CD (stage 1) and an STE (stage 2) into the
// regimes the walker uses, with the validity checks that make the SMMU report
// C_BAD_CD / C_BAD_STE. Start levels, concatenation and limits follow VMSAv8-64
// (without 52-bit VA/LPA2 and without the small-translation-table extension).
#pragma once

#include <string>

#include "rtl_model/arch/cd.h"
#include "rtl_model/arch/ste.h"
#include "rtl_model/smmu/translation_types.h"

namespace smmu::model {

struct SmmuTranslationCaps {
  unsigned oas_bits = 48;
  bool gran4k = true, gran16k = true, gran64k = true;
  bool s1 = true, s2 = true;
};

// Stage 1: the level whose table resolves the top bits of an input_bits-wide address,
// i.e. the L with level_shift(L) < input_bits <= level_shift(L) + bits_per_level
// (4K: 48..40 -> 0, 39..31 -> 1, 30..25 -> 2; 16K: 48 -> 0, 47..37 -> 1, 36..26 -> 2,
// 25 -> 3; 64K: 48..43 -> 1, 42..30 -> 2, 29..25 -> 3).
int stage1_start_level(arch::Granule g, unsigned input_bits);

// Stage 2: start level from S2SL0 and the granule, and the number of concatenated
// start-level tables. Returns false with a reason when the combination is invalid
// (reserved SL0, start level not allowed for oas_bits, input size not resolvable from
// that start level with at most 16 concatenated tables).
bool stage2_geometry(arch::Granule g, unsigned input_bits, uint8_t sl0, unsigned oas_bits,
                     int& start_level, unsigned& concat_tables, std::string* why);

// Decodes the CD into a stage-1 regime. Returns false (and a short reason) when the CD
// is invalid for these capabilities: V = 0, AA64 = 0, ENDI = 1 (tables are little-endian
// only), reserved or unsupported TG0/TG1, T0SZ/T1SZ outside 16..39, reserved IPS.
// A half disabled by EPD0/EPD1 is not checked (its fields are ignored).
// TTB0/TTB1 bits below the start-level table size (at least 64 bytes) are RES0: they
// are cleared, not reported.
bool decode_cd_regime(const arch::Cd& cd, const SmmuTranslationCaps& caps, Stage1Regime& out,
                      std::string* why);

// Decodes the stage-2 fields of an STE. Returns false (and a reason) when: V = 0, the
// Config has no stage 2, stage 2 is not implemented, S2AA64 = 0, S2ENDI = 1, reserved or
// unsupported S2TG, S2T0SZ outside [64 - max IPA, 39] (max IPA = min(oas, 48), or
// min(oas, 52) with the 64K granule, as LPA allows), reserved S2PS, or an
// S2SL0/S2T0SZ combination stage2_geometry rejects. S2TTB bits below the size of the
// (concatenated) start table are RES0 and cleared. tag = S2VMID.
bool decode_ste_stage2(const arch::Ste& ste, const SmmuTranslationCaps& caps, StageConfig& out,
                       std::string* why);

}  // namespace smmu::model

// SPDX-License-Identifier: Apache-2.0
// Decoding the translation fields of a CD (stage 1) and an STE (stage 2) into the
// regimes the walker uses, with the validity checks that make the SMMU report
// C_BAD_CD / C_BAD_STE. Start levels, concatenation and limits follow VMSAv8-64, with
// 52-bit VAs for the 64K granule when IDR5.VAX says so and 52-bit output with 64K
// (FEAT_LPA); without LPA2 (IDR5.DS = 0) and without the small-translation-table
// extension (IDR3.STT = 0).
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
  bool va52 = false;   // IDR5.VAX = 0b01: CD.TxSZ down to 12 with the 64K granule
  bool raz_wi = true;  // IDR0.TERM_MODEL = 0: CD.A = 0 allowed (RAZ/WI); else ILLEGAL
  bool asid16 = true;  // IDR0.ASID16: else CD.ASID[15:8] != 0 is ILLEGAL
  // Checked by config fetch (STE fields):
  bool vmid16 = true;  // IDR0.VMID16: else STE.S2VMID[15:8] != 0 is ILLEGAL
  bool cd2l = true;    // IDR0.CD2L: else STE.S1Fmt != 0 (with substreams) is ILLEGAL
  bool hyp = true;     // IDR0.Hyp: else STE.STRW is RES0 (no reserved STRW check)
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
// is ILLEGAL for these capabilities (IHI 0070 §5.4, §5.5): V = 0, AA64 = 0, ENDI = 1
// (tables are little-endian only), S = 1 (no stall model), A = 0 without RAZ/WI
// termination, ASID[15:8] != 0 with 8-bit ASIDs, and for each half not disabled by
// EPD0/EPD1: reserved or unsupported TG, TxSZ outside 16..39 (12..39 with the 64K granule
// and 52-bit VAs), a TTB outside the effective IPS, or beyond 48 bits with 4K/16K.
// IPS = 0b111 behaves as 52 bits (SMMUv3.1-3.3); the effective IPS is capped at the OAS.
// TTB0/TTB1 bits below the start-level table size (at least 64 bytes) are RES0: they
// are cleared, not reported.
bool decode_cd_regime(const arch::Cd& cd, const SmmuTranslationCaps& caps, Stage1Regime& out,
                      std::string* why);

// Decodes the stage-2 fields of an STE. Returns false (and a reason) when: V = 0, the
// Config has no stage 2, stage 2 is not implemented, S2AA64 = 0, S2ENDI = 1, S2S = 1 (no
// stall model), reserved or unsupported S2TG, S2T0SZ outside [64 - max IPA, 39] (max
// IPA = min(oas, 48), or min(oas, 52) with the 64K granule, as LPA allows), an
// S2SL0/S2T0SZ combination stage2_geometry rejects, or an S2TTB outside the effective
// S2PS or beyond 48 bits with 4K/16K (IHI 0070 §5.2 S2TTB). S2PS = 0b111 behaves as 52
// bits; the effective S2PS is capped at the OAS. S2TTB bits below the size of the
// (concatenated) start table are RES0 and cleared. tag = S2VMID.
bool decode_ste_stage2(const arch::Ste& ste, const SmmuTranslationCaps& caps, StageConfig& out,
                       std::string* why);

// The effective output size in bits of a CD.IPS or STE.S2PS encoding capped at the OAS
// (IHI 0070 §5.4 IPS, §5.2 S2PS: 0b111 is Reserved and behaves as 0b110 in SMMUv3.1-3.3).
unsigned effective_output_bits(uint8_t ps, unsigned oas_bits);

}  // namespace smmu::model

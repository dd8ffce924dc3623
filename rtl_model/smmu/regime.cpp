// SPDX-License-Identifier: Apache-2.0
#include "rtl_model/smmu/regime.h"

#include "rtl_model/arch/bits.h"

#include <algorithm>

namespace smmu::model {

namespace {

// Smallest and largest TxSZ without 52-bit VA and without the small-table extension:
// input sizes 25..48 bits, for every granule; with 52-bit VAs (IDR5.VAX = 0b01) the 64K
// granule goes down to 12 (52 bits), 4K/16K stay at 16 without LPA2 (IHI 0070 §5.4 T0SZ).
constexpr unsigned kMinTxsz = 16;
constexpr unsigned kMinTxsz52 = 12;
constexpr unsigned kMaxTxsz = 39;

// Without LPA2 a 4K or 16K table cannot be addressed above 48 bits (IHI 0070 §5.4 TTB0,
// §5.2 S2TTB): such a TTB is ILLEGAL, whatever the IPS/PS.
constexpr unsigned kSmallGranuleTableBits = 48;

bool fail(std::string* why, const std::string& reason) {
  if (why) *why = reason;
  return false;
}

bool granule_supported(uint64_t bytes, const SmmuTranslationCaps& caps) {
  return (bytes == 4096 && caps.gran4k) || (bytes == 16384 && caps.gran16k) ||
         (bytes == 65536 && caps.gran64k);
}

unsigned log2_of(uint64_t v) {
  unsigned n = 0;
  while (v > 1) {
    v >>= 1;
    ++n;
  }
  return n;
}

// Base of a start-level table: bits below the table size (at least 64 bytes) are RES0;
// we clear them rather than fault, as the architecture allows treating them as zero.
uint64_t align_table_base(uint64_t ttb, unsigned table_bytes_log2) {
  unsigned a = std::max(table_bytes_log2, 6u);
  return ttb & ~((uint64_t{1} << a) - 1);
}

// Whether a start-level table at ttb is reachable: inside the output size, and inside 48
// bits for the 4K and 16K granules. why names the field.
bool table_base_ok(const char* field, uint64_t ttb, unsigned granule_shift,
                   unsigned output_bits, std::string* why) {
  if (arch::wider_than(ttb, output_bits))
    return fail(why, std::string(field) + " outside the " + std::to_string(output_bits) +
                         "-bit output size");
  if (granule_shift != 16 && arch::wider_than(ttb, kSmallGranuleTableBits))
    return fail(why, std::string(field) + " above 48 bits with a 4K/16K granule (no LPA2)");
  return true;
}

// One half of the stage-1 regime.
bool decode_half(const char* name, const char* ttb_name, uint64_t granule_bytes, uint8_t txsz,
                 uint64_t ttb, const SmmuTranslationCaps& caps, unsigned output_bits, StageConfig& out,
                 std::string* why) {
  // Messages are built only on failure, and only when asked for: this runs on every
  // CD fetch.
  if (granule_bytes == 0)
    return why && fail(why, std::string("CD.") + name + " granule encoding reserved");
  if (!granule_supported(granule_bytes, caps))
    return why && fail(why, std::string("CD.") + name + " granule " +
                                std::to_string(granule_bytes / 1024) + "K not supported");
  const unsigned min_txsz = caps.va52 && granule_bytes == 65536 ? kMinTxsz52 : kMinTxsz;
  if (txsz < min_txsz || txsz > kMaxTxsz)
    return why && fail(why, std::string("CD.") + name + " TxSZ " + std::to_string(txsz) +
                                " outside " + std::to_string(min_txsz) + ".." +
                                std::to_string(kMaxTxsz));
  out.granule = arch::Granule{log2_of(granule_bytes)};
  if (!table_base_ok(ttb_name, ttb, out.granule.shift, output_bits, why)) return false;
  out.input_bits = 64 - txsz;
  out.start_level = stage1_start_level(out.granule, out.input_bits);
  out.concat_tables = 1;
  out.output_bits = output_bits;
  out.pa52 = caps.oas_bits >= 52;
  unsigned idx_bits = out.input_bits - out.granule.level_shift(out.start_level);
  out.ttb = align_table_base(ttb, idx_bits + 3);
  return true;
}

}  // namespace

unsigned effective_output_bits(uint8_t ps, unsigned oas_bits) {
  const unsigned bits = arch::address_size_bits(ps == 7 ? 6 : ps);
  return std::min(bits, oas_bits);
}

int stage1_start_level(arch::Granule g, unsigned input_bits) {
  for (int level = 0; level <= 3; ++level)
    if (input_bits > g.level_shift(level)) {
      // The first level whose entries are smaller than the input space resolves its top bits.
      return level;
    }
  return 3;
}

bool stage2_geometry(arch::Granule g, unsigned input_bits, uint8_t sl0, unsigned oas_bits,
                     int& start_level, unsigned& concat_tables, std::string* why) {
  int level = -1;
  if (g.shift == 12) {
    static constexpr int kLevel4k[] = {2, 1, 0, -1};
    level = kLevel4k[sl0 & 3];
    if (level == 0 && oas_bits < 44)
      return fail(why, "S2SL0 2 (level 0) needs an output size of 44 bits or more");
  } else {
    static constexpr int kLevel[] = {3, 2, 1, -1};
    level = kLevel[sl0 & 3];
    unsigned need = g.shift == 14 ? 42 : 44;
    if (level == 1 && oas_bits < need)
      return fail(why, "S2SL0 2 (level 1) needs an output size of " + std::to_string(need) +
                           " bits or more");
  }
  if (level < 0) return fail(why, "S2SL0 " + std::to_string(sl0) + " reserved");
  unsigned shift = g.level_shift(level);
  unsigned bpl = g.bits_per_level();
  // The start table must resolve at least one bit, and at most one level's worth plus
  // 4 bits of concatenation (16 tables).
  if (input_bits <= shift || input_bits > shift + bpl + 4)
    return fail(why, "S2SL0 " + std::to_string(sl0) + " (start level " + std::to_string(level) +
                         ") inconsistent with a " + std::to_string(input_bits) + "-bit IPA");
  unsigned idx_bits = input_bits - shift;
  start_level = level;
  concat_tables = idx_bits > bpl ? 1u << (idx_bits - bpl) : 1u;
  return true;
}

bool decode_cd_regime(const arch::Cd& cd, const SmmuTranslationCaps& caps, Stage1Regime& out,
                      std::string* why) {
  out = Stage1Regime{};
  if (!caps.s1) return fail(why, "stage 1 not implemented");
  if (!cd.valid) return fail(why, "CD.V = 0");
  if (!cd.aa64) return fail(why, "CD.AA64 = 0 (AArch32 tables not supported)");
  // ENDI is IGNORED when both halves are disabled (IHI 0070 §5.4 ENDI).
  if (cd.endi && !(cd.epd0 && cd.epd1))
    return fail(why, "CD.ENDI = 1 (tables are little-endian only)");
  // IDR0.HTTU = 0b00: setting HA or HD is ILLEGAL (IHI 0070 §5.4 HA, HD).
  if (cd.ha || cd.hd) return fail(why, "CD.HA/HD = 1 (no hardware table updates, IDR0.HTTU = 0)");
  // IDR0.STALL_MODEL = 0b01 (no stall): CD.S = 1 is ILLEGAL (IHI 0070 §5.5).
  if (cd.s) return fail(why, "CD.S = 1 (stall model not supported)");
  // IDR0.TERM_MODEL = 1: CD.A must be 1 (IHI 0070 §5.5, §6.3.1).
  if (!cd.a && !caps.raz_wi) return fail(why, "CD.A = 0 (RAZ/WI termination not supported)");
  if (!caps.asid16 && (cd.asid >> 8) != 0)
    return fail(why, "CD.ASID " + std::to_string(cd.asid) + " beyond 8 bits (IDR0.ASID16 = 0)");
  const unsigned output_bits = effective_output_bits(cd.ips, caps.oas_bits);

  out.disabled[0] = cd.epd0;
  out.disabled[1] = cd.epd1;
  if (!cd.epd0 && !decode_half("TG0/T0SZ", "CD.TTB0", arch::tg0_granule(cd.tg0), cd.t0sz,
                               cd.ttb0, caps, output_bits, out.half[0], why))
    return false;
  if (!cd.epd1 && !decode_half("TG1/T1SZ", "CD.TTB1", arch::tg1_granule(cd.tg1), cd.t1sz,
                               cd.ttb1, caps, output_bits, out.half[1], why))
    return false;
  out.half[0].had = cd.had0;  // IDR3.HAD = 1 whenever stage 1 is implemented
  out.half[1].had = cd.had1;
  out.tbi = cd.tbi;
  out.wxn = cd.wxn;
  out.pan = cd.pan;
  out.asid = cd.asid;
  for (StageConfig& h : out.half) {
    h.affd = cd.affd;
    h.tag = cd.asid;
    h.output_bits = output_bits;
  }
  return true;
}

bool decode_ste_stage2(const arch::Ste& ste, const SmmuTranslationCaps& caps, StageConfig& out,
                       std::string* why) {
  out = StageConfig{};
  if (!ste.valid) return fail(why, "STE.V = 0");
  if (!ste.stage2()) return fail(why, "STE.Config " + std::to_string(ste.config) + " has no stage 2");
  if (!caps.s2) return fail(why, "stage 2 not implemented");
  if (!ste.s2aa64) return fail(why, "STE.S2AA64 = 0 (AArch32 tables not supported)");
  if (ste.s2endi) return fail(why, "STE.S2ENDI = 1 (tables are little-endian only)");
  // IDR0.STALL_MODEL = 0b01 (no stall): STE.S2S = 1 is ILLEGAL with stage 2 (§5.5).
  if (ste.s2s) return fail(why, "STE.S2S = 1 (stall model not supported)");
  // IDR0.HTTU = 0b00: setting S2HA or S2HD is ILLEGAL (IHI 0070 §5.2 S2HA, S2HD).
  if (ste.s2ha || ste.s2hd)
    return fail(why, "STE.S2HA/S2HD = 1 (no hardware table updates, IDR0.HTTU = 0)");
  uint64_t gbytes = arch::tg0_granule(ste.s2tg);
  if (gbytes == 0) return fail(why, "STE.S2TG " + std::to_string(ste.s2tg) + " reserved");
  if (!granule_supported(gbytes, caps))
    return fail(why, "STE.S2TG granule " + std::to_string(gbytes / 1024) + "K not supported");
  const unsigned output_bits = effective_output_bits(ste.s2ps, caps.oas_bits);
  arch::Granule g{log2_of(gbytes)};
  // The IPA can be as large as the SMMU's output size (52 bits only with 64K: LPA).
  unsigned max_input = std::min(caps.oas_bits, g.shift == 16 ? 52u : 48u);
  unsigned min_txsz = 64 - max_input;
  if (ste.s2t0sz < min_txsz || ste.s2t0sz > kMaxTxsz)
    return fail(why, "STE.S2T0SZ " + std::to_string(ste.s2t0sz) + " outside " +
                         std::to_string(min_txsz) + ".." + std::to_string(kMaxTxsz));
  unsigned input_bits = 64 - ste.s2t0sz;
  int level = 0;
  unsigned concat = 1;
  std::string reason;
  if (!stage2_geometry(g, input_bits, ste.s2sl0, caps.oas_bits, level, concat, &reason))
    return fail(why, "STE." + reason);
  if (!table_base_ok("STE.S2TTB", ste.s2ttb, g.shift, output_bits, why)) return false;

  out.granule = g;
  out.input_bits = input_bits;
  out.start_level = level;
  out.concat_tables = concat;
  out.output_bits = output_bits;
  out.pa52 = caps.oas_bits >= 52;
  out.affd = ste.s2affd;
  out.protected_walk = ste.s2ptw && ste.config == static_cast<uint8_t>(arch::SteConfig::kNested);
  out.tag = ste.s2vmid;
  unsigned idx_bits = input_bits - g.level_shift(level);
  out.ttb = align_table_base(ste.s2ttb, idx_bits + 3);
  return true;
}

}  // namespace smmu::model

#include "rtl_model/smmu/regime.h"

#include <algorithm>

namespace smmu::model {

namespace {

// Smallest and largest TxSZ without 52-bit VA and without the small-table extension:
// input sizes 25..48 bits, for every granule.
constexpr unsigned kMinTxsz = 16;
constexpr unsigned kMaxTxsz = 39;

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

// One half of the stage-1 regime.
bool decode_half(const char* name, uint64_t granule_bytes, uint8_t txsz, uint64_t ttb,
                 const SmmuTranslationCaps& caps, unsigned output_bits, StageConfig& out,
                 std::string* why) {
  std::string n(name);
  if (granule_bytes == 0) return fail(why, "CD." + n + " granule encoding reserved");
  if (!granule_supported(granule_bytes, caps))
    return fail(why, "CD." + n + " granule " + std::to_string(granule_bytes / 1024) +
                         "K not supported");
  if (txsz < kMinTxsz || txsz > kMaxTxsz)
    return fail(why, "CD." + n + " TxSZ " + std::to_string(txsz) + " outside 16..39");
  out.granule = arch::Granule{log2_of(granule_bytes)};
  out.input_bits = 64 - txsz;
  out.start_level = stage1_start_level(out.granule, out.input_bits);
  out.concat_tables = 1;
  out.output_bits = output_bits;
  unsigned idx_bits = out.input_bits - out.granule.level_shift(out.start_level);
  out.ttb = align_table_base(ttb, idx_bits + 3);
  return true;
}

}  // namespace

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
  if (cd.endi) return fail(why, "CD.ENDI = 1 (tables are little-endian only)");
  unsigned ips_bits = arch::address_size_bits(cd.ips);
  if (ips_bits == 0) return fail(why, "CD.IPS " + std::to_string(cd.ips) + " reserved");
  unsigned output_bits = std::min(ips_bits, caps.oas_bits);

  out.disabled[0] = cd.epd0;
  out.disabled[1] = cd.epd1;
  if (!cd.epd0 && !decode_half("TG0/T0SZ", arch::tg0_granule(cd.tg0), cd.t0sz, cd.ttb0, caps,
                               output_bits, out.half[0], why))
    return false;
  if (!cd.epd1 && !decode_half("TG1/T1SZ", arch::tg1_granule(cd.tg1), cd.t1sz, cd.ttb1, caps,
                               output_bits, out.half[1], why))
    return false;
  out.tbi = cd.tbi;
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
  uint64_t gbytes = arch::tg0_granule(ste.s2tg);
  if (gbytes == 0) return fail(why, "STE.S2TG " + std::to_string(ste.s2tg) + " reserved");
  if (!granule_supported(gbytes, caps))
    return fail(why, "STE.S2TG granule " + std::to_string(gbytes / 1024) + "K not supported");
  unsigned ps_bits = arch::address_size_bits(ste.s2ps);
  if (ps_bits == 0) return fail(why, "STE.S2PS " + std::to_string(ste.s2ps) + " reserved");
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

  out.granule = g;
  out.input_bits = input_bits;
  out.start_level = level;
  out.concat_tables = concat;
  out.output_bits = std::min(ps_bits, caps.oas_bits);
  out.affd = ste.s2affd;
  out.tag = ste.s2vmid;
  unsigned idx_bits = input_bits - g.level_shift(level);
  out.ttb = align_table_base(ste.s2ttb, idx_bits + 3);
  return true;
}

}  // namespace smmu::model

// SPDX-License-Identifier: Apache-2.0
#include "reference/reference_config.h"

#include "reference/reference_bits.h"
#include "reference/reference_walk.h"

namespace smmu::reference {

RefSte decode_ste(const Words& w) {
  // IHI 0070 §5.2, STE field layout (bit n of the entry is bit n%64 of word n/64).
  RefSte s;
  s.v = bit_set(w[0], 0);
  s.config = static_cast<unsigned>(bits(w[0], 3, 1));
  s.s1fmt = static_cast<unsigned>(bits(w[0], 5, 4));
  s.s1_context_ptr = in_place(w[0], 51, 6);
  s.s1cdmax = static_cast<unsigned>(bits(w[0], 63, 59));
  s.s1dss = static_cast<unsigned>(bits(w[1], 1, 0));
  s.s1stalld = bit_set(w[1], 27);
  s.s2t0sz = static_cast<unsigned>(bits(w[2], 37, 32));
  s.s2sl0 = static_cast<unsigned>(bits(w[2], 39, 38));
  s.s2tg = static_cast<unsigned>(bits(w[2], 47, 46));
  s.s2ps = static_cast<unsigned>(bits(w[2], 50, 48));
  s.s2aa64 = bit_set(w[2], 51);
  s.s2endi = bit_set(w[2], 52);
  s.s2affd = bit_set(w[2], 53);
  s.s2ptw = bit_set(w[2], 54);
  s.s2hd = bit_set(w[2], 55);
  s.s2ha = bit_set(w[2], 56);
  s.s2s = bit_set(w[2], 57);
  s.s2r = bit_set(w[2], 58);
  s.s2ttb = in_place(w[3], 51, 4);
  return s;
}

unsigned tg0_bits(unsigned tg, const Implementation& impl) {
  switch (tg) {
    case 0: return impl.gran4k ? 12 : 0;
    case 1: return impl.gran64k ? 16 : 0;
    case 2: return impl.gran16k ? 14 : 0;
    default: return 0;
  }
}

unsigned tg1_bits(unsigned tg, const Implementation& impl) {
  switch (tg) {
    case 1: return impl.gran16k ? 14 : 0;
    case 2: return impl.gran4k ? 12 : 0;
    case 3: return impl.gran64k ? 16 : 0;
    default: return 0;
  }
}

unsigned effective_ps(unsigned ps, unsigned oas_bits) {
  static constexpr unsigned kBits[8] = {32, 36, 40, 42, 44, 48, 52, 52};
  const unsigned b = kBits[ps & 7];
  return b < oas_bits ? b : oas_bits;
}

std::string ste_illegal(const RefSte& s, const Implementation& impl, S2Params* s2) {
  // §5.2 Config: a stage that is not implemented cannot be enabled.
  if (s.s1_enabled() && !impl.stage1) return "Config enables stage 1, not implemented";
  if (s.s2_enabled() && !impl.stage2) return "Config enables stage 2, not implemented";
  if (s.s1_enabled()) {
    if (s.s1cdmax > impl.ssid_bits) return "S1CDMax > SMMU_IDR1.SSIDSIZE";
    if (s.s1stalld) return "S1STALLD = 1 without a stall model (§5.2, §5.5)";
  }
  if (!s.s2_enabled()) return {};
  if (!s.s2aa64) return "S2AA64 = 0: VMSAv8-32 LPAE not implemented (IDR0.TTF)";
  if (s.s2endi) return "S2ENDI = 1: big-endian walks not implemented (IDR0.TTENDIAN)";
  if (s.s2ha || s.s2hd) return "S2HA/S2HD set, IDR0.HTTU = 0";
  if (s.s2s) return "S2S = 1 without a stall model (§5.5)";
  const unsigned g = tg0_bits(s.s2tg, impl);
  if (g == 0) return "S2TG reserved or not implemented";
  // §5.2 S2T0SZ (SMMUv3.1+, STT = 0): [MAX(16 or 12 with 64K, 64 - IAS), 39]; IAS = OAS
  // without AArch32.
  unsigned min_t0sz = g == 16 ? 12 : 16;
  if (64 - impl.oas_bits > min_t0sz) min_t0sz = 64 - impl.oas_bits;
  if (s.s2t0sz < min_t0sz || s.s2t0sz > 39) return "S2T0SZ out of range";
  const unsigned ia = 64 - s.s2t0sz;
  const int start = s2_start_level(g, s.s2sl0, impl.oas_bits);
  if (start < 0) return "S2SL0 reserved for this granule and PA size";
  if (s2_inconsistent_sl(g, ia, start)) return "S2SL0 inconsistent with S2T0SZ/S2TG";
  const unsigned ps = effective_ps(s.s2ps, impl.oas_bits);
  // README choice (IHI 0070 §5.2 S2TTB): a base outside the effective S2PS, or above
  // 48 bits with a 4K/16K granule, is ILLEGAL.
  if (above(s.s2ttb, ps)) return "S2TTB outside the effective S2PS";
  if (g != 16 && above(s.s2ttb, 48)) return "S2TTB above 48 bits with 4K/16K";
  if (s2) {
    s2->granule_bits = g;
    s2->input_bits = ia;
    s2->oa_bits = ps;
    s2->start_level = start;
    s2->ttb = s.s2ttb;
  }
  return {};
}

RefCd decode_cd(const Words& w) {
  // IHI 0070 §5.4, CD field layout.
  RefCd c;
  c.t0sz = static_cast<unsigned>(bits(w[0], 5, 0));
  c.tg0 = static_cast<unsigned>(bits(w[0], 7, 6));
  c.epd0 = bit_set(w[0], 14);
  c.endi = bit_set(w[0], 15);
  c.t1sz = static_cast<unsigned>(bits(w[0], 21, 16));
  c.tg1 = static_cast<unsigned>(bits(w[0], 23, 22));
  c.epd1 = bit_set(w[0], 30);
  c.v = bit_set(w[0], 31);
  c.ips = static_cast<unsigned>(bits(w[0], 34, 32));
  c.affd = bit_set(w[0], 35);
  c.wxn = bit_set(w[0], 36);
  c.tbi = static_cast<unsigned>(bits(w[0], 39, 38));
  c.pan = bit_set(w[0], 40);
  c.aa64 = bit_set(w[0], 41);
  c.hd = bit_set(w[0], 42);
  c.ha = bit_set(w[0], 43);
  c.s = bit_set(w[0], 44);
  c.r = bit_set(w[0], 45);
  c.a = bit_set(w[0], 46);
  c.had0 = bit_set(w[1], 1);   // bit 65
  c.ttb0 = in_place(w[1], 51, 4);
  c.had1 = bit_set(w[2], 1);   // bit 129
  c.ttb1 = in_place(w[2], 51, 4);
  return c;
}

std::string cd_illegal(const RefCd& c, const Implementation& impl, S1Params* s1) {
  if (!c.v) return "V = 0";
  if (!c.aa64) return "AA64 = 0: VMSAv8-32 LPAE not implemented (IDR0.TTF)";
  if (c.ha || c.hd) return "HA/HD set, IDR0.HTTU = 0";
  if (c.s) return "S = 1 without a stall model (§5.5)";
  if (!c.a && !impl.term_model_raz_wi) return "A = 0 with IDR0.TERM_MODEL = 1 (§5.5)";
  if (c.endi && !(c.epd0 && c.epd1)) return "ENDI = 1: big-endian walks not implemented";
  const unsigned ips = effective_ps(c.ips, impl.oas_bits);
  S1Params p;
  p.oa_bits = ips;
  for (int i = 0; i < 2; ++i) {
    S1Half& h = p.half[i];
    h.disabled = i == 0 ? c.epd0 : c.epd1;
    if (h.disabled) continue;
    const unsigned g = i == 0 ? tg0_bits(c.tg0, impl) : tg1_bits(c.tg1, impl);
    if (g == 0) return i == 0 ? "TG0 reserved or not implemented" : "TG1 reserved or not implemented";
    // §5.4 T0SZ (SMMUv3.1+, STT = 0): [16, 39], or [12, 39] with IDR5.VAX and 64K.
    const unsigned tsz = i == 0 ? c.t0sz : c.t1sz;
    const unsigned min_tsz = impl.va52 && g == 16 ? 12 : 16;
    if (tsz < min_tsz || tsz > 39) return i == 0 ? "T0SZ out of range" : "T1SZ out of range";
    const uint64_t ttb = i == 0 ? c.ttb0 : c.ttb1;
    // §5.4 TTB0: outside the effective IPS, or above 48 bits with 4K/16K (no DS): ILLEGAL.
    if (above(ttb, ips)) return i == 0 ? "TTB0 outside the effective IPS" : "TTB1 outside the effective IPS";
    if (g != 16 && above(ttb, 48)) return i == 0 ? "TTB0 above 48 bits with 4K/16K" : "TTB1 above 48 bits with 4K/16K";
    h.granule_bits = g;
    h.input_bits = 64 - tsz;
    h.ttb = ttb;
    h.hierarchical = !(i == 0 ? c.had0 : c.had1);
  }
  if (s1) *s1 = p;
  return {};
}

}  // namespace smmu::reference

// SPDX-License-Identifier: Apache-2.0
// STE and CD fields and their ILLEGAL conditions (IHI 0070 §5.2 STE, §5.4 CD, §5.5),
// decoded by the reference from the raw 64-bit words. No code is shared with
// rtl_model/arch's decoders or rtl_model/smmu.
#pragma once

#include <array>
#include <cstdint>
#include <string>

namespace smmu::reference {

// What the SMMU under test implements (its ID registers): SMMUv3.1, AArch64 tables
// only, little-endian walks, no HTTU, no stall model, no STT, no LPA2.
struct Implementation {
  unsigned oas_bits = 48;
  unsigned ssid_bits = 20;
  unsigned sid_bits = 16;
  bool stage1 = true, stage2 = true;
  bool gran4k = true, gran16k = true, gran64k = true;
  bool va52 = false;               // IDR5.VAX = 1 (52-bit VA with 64K)
  bool term_model_raz_wi = true;   // IDR0.TERM_MODEL = 0
};

using Words = std::array<uint64_t, 8>;

struct RefSte {
  bool v = false;
  unsigned config = 0;  // Config[3:1]
  unsigned s1fmt = 0, s1cdmax = 0, s1dss = 0;
  uint64_t s1_context_ptr = 0;
  bool s1stalld = false;
  unsigned s2t0sz = 0, s2sl0 = 0, s2tg = 0, s2ps = 0;
  bool s2aa64 = false, s2endi = false, s2affd = false, s2ptw = false, s2ha = false, s2hd = false;
  bool s2s = false, s2r = false;
  uint64_t s2ttb = 0;
  bool s1_enabled() const { return config == 5 || config == 7; }
  bool s2_enabled() const { return config == 6 || config == 7; }
};

RefSte decode_ste(const Words& w);

// Granule bits of a TG0/S2TG encoding (0 4K, 1 64K, 2 16K) or of a TG1 encoding
// (1 16K, 2 4K, 3 64K); 0 when reserved or not implemented.
unsigned tg0_bits(unsigned tg, const Implementation& impl);
unsigned tg1_bits(unsigned tg, const Implementation& impl);
// IPS/PS/S2PS, capped to the OAS (reserved 0b111 behaves as 0b110, SMMUv3.1-3.3).
unsigned effective_ps(unsigned ps, unsigned oas_bits);

// The stage-2 walk the STE describes, when it is legal.
struct S2Params {
  unsigned granule_bits = 12, input_bits = 48, oa_bits = 48;
  int start_level = 0;
  uint64_t ttb = 0;
};

// Empty when the STE is legal; otherwise which rule it breaks (C_BAD_STE).
std::string ste_illegal(const RefSte& s, const Implementation& impl, S2Params* s2);

struct RefCd {
  bool v = false;
  unsigned t0sz = 0, tg0 = 0, t1sz = 0, tg1 = 0, ips = 0, tbi = 0;
  bool epd0 = false, epd1 = false, endi = false, affd = false, wxn = false, pan = false;
  bool aa64 = false, hd = false, ha = false, s = false, r = false, a = false;
  bool had0 = false, had1 = false;
  uint64_t ttb0 = 0, ttb1 = 0;
};

RefCd decode_cd(const Words& w);

// One TTBx half of a legal CD.
struct S1Half {
  bool disabled = true;  // EPDx
  unsigned granule_bits = 12, input_bits = 48;
  uint64_t ttb = 0;
  bool hierarchical = true;
};
struct S1Params {
  unsigned oa_bits = 48;
  S1Half half[2];
};

// Empty when the CD is legal; otherwise which rule it breaks (C_BAD_CD).
std::string cd_illegal(const RefCd& c, const Implementation& impl, S1Params* s1);

}  // namespace smmu::reference

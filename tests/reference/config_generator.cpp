// SPDX-License-Identifier: Apache-2.0
#include "reference/config_generator.h"

#include <algorithm>
#include <cstdio>
#include <stdexcept>
#include <unordered_map>

#include "reference/reference_bits.h"
#include "reference/reference_walk.h"

namespace smmu::reference {

namespace {

constexpr uint64_t put_bits(uint64_t w, unsigned hi, unsigned lo, uint64_t v) {
  const uint64_t m = ones(hi - lo + 1) << lo;
  return (w & ~m) | ((v << lo) & m);
}

std::string hex(uint64_t v) {
  char b[24];
  std::snprintf(b, sizeof b, "0x%llx", static_cast<unsigned long long>(v));
  return b;
}

unsigned level_bits(unsigned g, int level) {
  return g + static_cast<unsigned>(3 - level) * (g - 3);
}

// Random helpers over one engine.
struct Dice {
  std::mt19937_64& rng;
  uint64_t below(uint64_t n) { return n == 0 ? 0 : rng() % n; }
  bool chance(unsigned percent) { return below(100) < percent; }
  uint64_t range(uint64_t lo, uint64_t hi) { return lo + below(hi - lo + 1); }  // inclusive
};

// A granule the SMMU implements; one time in 30 any granule (ILLEGAL if not implemented).
unsigned granule_of(Dice& d, const Implementation& impl) {
  static constexpr unsigned kG[3] = {12, 14, 16};
  for (;;) {
    const unsigned g = kG[d.below(3)];
    const bool implemented = g == 12 ? impl.gran4k : g == 14 ? impl.gran16k : impl.gran64k;
    if (implemented || d.chance(3)) return g;
  }
}
// A descriptor bit that puts the output address at or beyond `size_bits` (an OA bit the
// granule can express: [47:12], and [51:48] in bits [15:12] with 64K), or 0 when there is
// none (4K/16K without LPA2 cannot express OA bits above 47).
uint64_t oa_bit_beyond(Dice& d, unsigned size_bits, unsigned g) {
  const unsigned lo = std::min(size_bits, 51u), hi = g == 16 ? 51 : 47;
  if (lo > hi) return 0;
  const unsigned b = static_cast<unsigned>(d.range(lo, hi));
  return b >= 48 ? uint64_t{1} << (b - 48 + 12) : uint64_t{1} << b;
}

unsigned tg0_encoding(unsigned g) { return g == 12 ? 0 : g == 16 ? 1 : 2; }
unsigned tg1_encoding(unsigned g) { return g == 12 ? 2 : g == 16 ? 3 : 1; }
unsigned ps_encoding_for(unsigned bits_) {
  static constexpr unsigned kBits[7] = {32, 36, 40, 42, 44, 48, 52};
  for (unsigned i = 0; i < 7; ++i)
    if (kBits[i] >= bits_) return i;
  return 6;
}

}  // namespace

// A stage-2 table tree being written, with the generator's own view of it.
struct ConfigGenerator::Stage2 {
  unsigned g = 12, ia = 40;
  int start = 1;
  uint64_t root = 0;
};

ConfigGenerator::ConfigGenerator(const Implementation& impl, const GeneratorLayout& layout,
                                 GuestMemory mem)
    : impl_(impl), layout_(layout), mem_(std::move(mem)) {}

void ConfigGenerator::put(uint64_t pa, uint64_t v) {
  mem_.write64(pa, v);
  written_.push_back(pa);
}

uint64_t ConfigGenerator::alloc(uint64_t size) {
  if (size < 64) size = 64;
  next_free_ = (next_free_ + size - 1) & ~(size - 1);  // aligned to its size
  const uint64_t pa = next_free_;
  next_free_ += size;
  if (next_free_ > layout_.scratch_base + layout_.scratch_size)
    throw std::length_error("config generator: scratch memory exhausted");
  return pa;
}

RandomCase ConfigGenerator::next(std::mt19937_64& rng) {
  Dice d{rng};
  for (uint64_t a : written_) mem_.write64(a, 0);
  written_.clear();
  next_free_ = layout_.scratch_base;
  std::unordered_map<uint64_t, uint64_t> shadow;  // what this case wrote, for the S2 tree
  auto write = [&](uint64_t pa, uint64_t v) {
    put(pa, v);
    shadow[pa] = v;
  };
  auto read = [&](uint64_t pa) {
    auto it = shadow.find(pa);
    return it == shadow.end() ? uint64_t{0} : it->second;
  };
  std::string desc;
  auto say = [&](const std::string& s) { desc += s + "\n"; };

  RandomCase rc;
  Transaction& t = rc.first;
  const unsigned oas = impl_.oas_bits;
  auto data_target = [&]() {
    return (layout_.data_lo + d.below(layout_.data_hi - layout_.data_lo)) & ~uint64_t{7};
  };

  // ---- STE.
  const unsigned pick = static_cast<unsigned>(d.below(100));
  unsigned config;
  bool valid = true;
  if (pick < 3) { valid = false; config = 5; }
  else if (pick < 6) config = static_cast<unsigned>(d.below(4));  // abort
  else if (pick < 12) config = 4;                                 // bypass
  else if (pick < 42) config = 5;                                 // stage 1
  else if (pick < 64) config = 6;                                 // stage 2
  else config = 7;                                                // nested
  const bool s1 = config == 5 || config == 7;
  const bool s2 = config == 6 || config == 7;
  Words ste{};
  ste[0] = put_bits(ste[0], 0, 0, valid);
  ste[0] = put_bits(ste[0], 3, 1, config);
  unsigned cdmax = d.chance(50) ? 0 : static_cast<unsigned>(d.range(1, 4));
  // 2-level CD tables (S1Fmt 0b01: 4K leaves, SSID[5:0]; 0b10: 64K leaves, SSID[9:0]).
  const bool two_level = cdmax > 0 && d.chance(25);
  if (two_level) cdmax = static_cast<unsigned>(d.range(1, 12));
  const unsigned s1fmt = two_level ? (d.chance(50) ? 1 : 2) : (d.chance(3) ? 3 : 0);
  if (d.chance(1)) cdmax = static_cast<unsigned>(d.range(impl_.ssid_bits + 1, 31));
  const unsigned s1dss = d.chance(85) ? (d.chance(50) ? 2 : static_cast<unsigned>(d.below(2)))
                                      : static_cast<unsigned>(d.below(4));
  ste[0] = put_bits(ste[0], 5, 4, s1fmt);  // 0b11 behaves as linear (README)
  ste[0] = put_bits(ste[0], 63, 59, cdmax);
  ste[1] = put_bits(ste[1], 1, 0, s1dss);
  if (d.chance(1)) ste[1] = put_bits(ste[1], 27, 27, 1);  // S1STALLD
  say("STE Config " + std::to_string(config) + (valid ? "" : " V=0") + " S1CDMax " +
      std::to_string(cdmax) + " S1DSS " + std::to_string(s1dss) +
      " S1Fmt " + std::to_string(s1fmt));

  // ---- Transaction identity.
  t.sid = static_cast<uint32_t>(d.below(uint64_t{1} << layout_.st_log2));
  if (d.chance(2)) t.sid = static_cast<uint32_t>((uint64_t{1} << layout_.st_log2) + d.below(64));
  if (s1 && cdmax > 0 && cdmax <= 20 && d.chance(70)) {
    t.ssv = true;
    t.ssid = static_cast<uint32_t>(d.below(uint64_t{1} << cdmax));
    if (d.chance(5)) t.ssid = static_cast<uint32_t>(d.below(uint64_t{1} << 20));
  } else if (d.chance(5)) {
    t.ssv = true;
    t.ssid = static_cast<uint32_t>(d.below(16));
  }
  t.write = d.chance(40);
  t.exec = d.chance(t.write ? 10 : 30);  // a write marked Instruction is Data (§13.1.2)
  t.priv = d.chance(50);

  // ---- Stage 2.
  Stage2 st2;
  uint64_t ipa_off = 0;  // nested: IPA of a table = PA + ipa_off
  unsigned s2ps_bits = oas;
  if (s2) {
    st2.g = granule_of(d, impl_);
    const unsigned min_t0sz = std::max(st2.g == 16 ? 12u : 16u, 64 - oas);
    unsigned sl0 = 0, t0sz = 0;
    bool found = false;
    for (int tries = 0; tries < 20 && !found; ++tries) {
      sl0 = static_cast<unsigned>(d.below(3));
      const int start = s2_start_level(st2.g, sl0, oas);
      if (start < 0) continue;
      const unsigned stride = st2.g - 3;
      const unsigned lo_ia = (3 - start) * stride + st2.g + 1;
      const unsigned hi_ia = lo_ia + stride - 1 + 4;
      unsigned lo = std::max(lo_ia, 64 - 39u), hi = std::min(hi_ia, 64 - min_t0sz);
      if (config == 7 && lo < 33 && hi >= 33 && d.chance(80)) lo = 33;  // room for tables
      if (lo > hi) continue;
      st2.ia = static_cast<unsigned>(d.range(lo, hi));
      st2.start = start;
      t0sz = 64 - st2.ia;
      found = true;
    }
    if (!found || d.chance(3)) {  // anything, likely ILLEGAL
      sl0 = static_cast<unsigned>(d.below(4));
      t0sz = static_cast<unsigned>(d.below(64));
      st2.ia = 64 - t0sz;
      st2.start = std::max(0, s2_start_level(st2.g, sl0, oas));
    }
    unsigned s2ps = d.chance(70) ? ps_encoding_for(oas) : static_cast<unsigned>(d.below(8));
    s2ps_bits = effective_ps(s2ps, oas);
    const unsigned root_entries_bits = st2.ia > level_bits(st2.g, st2.start)
                                           ? st2.ia - level_bits(st2.g, st2.start)
                                           : 1;
    const uint64_t root_bytes = uint64_t{8} << std::min(root_entries_bits, st2.g + 1);
    st2.root = alloc(root_bytes);
    uint64_t s2ttb = st2.root;
    // Bits below the start table's alignment are treated as zero (§5.2 S2TTB).
    if (d.chance(20)) s2ttb |= rng() & ones(std::min(root_entries_bits, st2.g + 1) + 3) & ~uint64_t{0xf};
    if (d.chance(2)) s2ttb |= uint64_t{1} << d.range(std::min(s2ps_bits, 51u), 51);
    ste[2] = put_bits(ste[2], 15, 0, d.below(1 << 16));
    ste[2] = put_bits(ste[2], 37, 32, t0sz);
    ste[2] = put_bits(ste[2], 39, 38, sl0);
    ste[2] = put_bits(ste[2], 47, 46, d.chance(1) ? 3 : tg0_encoding(st2.g));
    ste[2] = put_bits(ste[2], 50, 48, s2ps);
    ste[2] = put_bits(ste[2], 51, 51, !d.chance(1));
    ste[2] = put_bits(ste[2], 52, 52, d.chance(1));
    ste[2] = put_bits(ste[2], 53, 53, d.chance(20));  // S2AFFD
    ste[2] = put_bits(ste[2], 54, 54, d.chance(30));  // S2PTW
    if (d.chance(1)) ste[2] = put_bits(ste[2], 56, 56, 1);  // S2HA
    if (d.chance(1)) ste[2] = put_bits(ste[2], 57, 57, 1);  // S2S
    ste[2] = put_bits(ste[2], 58, 58, d.chance(85));  // S2R
    ste[3] = in_place(s2ttb, 51, 4);
    say("S2 " + std::to_string(1 << (st2.g - 10)) + "K IA " + std::to_string(st2.ia) +
        " SL0 " + std::to_string(sl0) + " (L" + std::to_string(st2.start) + ") S2PS " +
        std::to_string(s2ps) + " S2TTB " + hex(s2ttb) + " S2AFFD " +
        std::to_string(bit_set(ste[2], 53)) + " S2R " + std::to_string(bit_set(ste[2], 58)));
    if (config == 7 && st2.ia > 33) {
      const uint64_t room = (uint64_t{1} << (st2.ia - 30)) - 4;  // 1 GiB steps
      ipa_off = d.below(room + 1) << 30;
    }
  }
  // Maps ipa -> pa at stage 2 with a leaf at `leaf_level` (or below, around what exists).
  auto s2_map = [&](uint64_t ipa, uint64_t pa, int leaf_level, uint64_t attrs,
                    int invalid_level = -1) {
    // Only trees whose start table the root allocation holds (an ILLEGAL STE may say more).
    if (above(ipa, st2.ia) || st2.ia <= level_bits(st2.g, st2.start) ||
        st2.ia - level_bits(st2.g, st2.start) > st2.g + 1)
      return;
    uint64_t table = st2.root;
    for (int level = st2.start; level <= 3; ++level) {
      const unsigned lo = level_bits(st2.g, level);
      const unsigned hi = level == st2.start ? st2.ia : lo + st2.g - 3;
      const uint64_t slot = table + ((ipa >> lo) & ones(hi - lo)) * 8;
      const uint64_t e = read(slot);
      if (bit_set(e, 0)) {
        if (!bit_set(e, 1) || level == 3) return;  // already a leaf here
        table = in_place(e, 47, st2.g);
        continue;
      }
      if (level == invalid_level) {
        write(slot, rng() & ~uint64_t{1});  // an invalid descriptor at this level
        return;
      }
      if (level >= leaf_level) {
        const uint64_t base = in_place(pa & ~ones(lo), 47, lo);
        const uint64_t hi_oa = st2.g == 16 ? bits(pa, 51, 48) << 12 : 0;
        write(slot, base | hi_oa | attrs | (level == 3 ? 3 : 1));
        return;
      }
      const uint64_t next = alloc(uint64_t{1} << st2.g);
      write(slot, next | 3);
      table = next;
    }
  };
  auto s2_attrs = [&](bool for_tables) {
    uint64_t a = 0;
    unsigned s2ap = 3;
    if (d.chance(for_tables ? 3 : 25)) s2ap = static_cast<unsigned>(d.below(4));
    a = put_bits(a, 7, 6, s2ap);
    // Normal memory; now and then Device (MemAttr[3:2] = 0b00), which S2PTW protects.
    a = put_bits(a, 5, 2, d.chance(8) ? d.below(4) : 0xf);
    a = put_bits(a, 10, 10, !d.chance(for_tables ? 2 : 10));
    if (!for_tables && d.chance(30)) a = put_bits(a, 54, 53, d.below(4));
    return a;
  };
  auto s2_leaf_level = [&](bool small) {
    // Blocks at every level, legal or not (a block at level 0, or a 16K level-1 block, is a
    // Translation fault); small: no block larger than 1 GiB (tables stay congruent).
    int level = static_cast<int>(d.range(static_cast<uint64_t>(std::max(st2.start, 0)), 3));
    if (small) {
      while (level < 3 && level_bits(st2.g, level) > 30) ++level;
    }
    const bool block_ok = level == 3 || level == 2 ||
                          (level == 1 && (st2.g == 12 || (st2.g == 16 && impl_.oas_bits == 52)));
    if (!block_ok && d.chance(70)) level = 2;
    return level;
  };
  // Maps the table page at pa (nested) at IPA pa + ipa_off.
  auto map_table_page = [&](uint64_t pa, uint64_t bytes) {
    if (config != 7) return;
    for (uint64_t off = 0; off < bytes; off += uint64_t{1} << st2.g) {
      if (d.chance(2)) continue;  // unmapped: a stage-2 fault on the walk or CD fetch
      s2_map(pa + off + ipa_off, pa + off, s2_leaf_level(true), s2_attrs(true));
    }
  };

  // ---- Stage 1.
  uint64_t out_target = data_target();  // where the leaf of the last stage points
  bool s1_used = s1;
  if (s1 && !t.ssv && cdmax > 0 && s1dss != 2) s1_used = false;
  if (s1) {
    uint64_t cd_table = 0;
    unsigned index = 0;
    if (two_level) {
      const unsigned split = s1fmt == 1 ? 6 : 10;
      const unsigned l1_bits = std::min(cdmax, 16u);  // an ILLEGAL S1CDMax may say more
      const uint64_t l1_bytes = uint64_t{8} << (l1_bits > split ? l1_bits - split : 0);
      const uint64_t l1 = alloc(std::max<uint64_t>(l1_bytes, 4096));
      map_table_page(l1, std::max<uint64_t>(l1_bytes, uint64_t{1} << st2.g));
      ste[0] = put_bits(ste[0], 51, 6, (l1 + ipa_off) >> 6);
      const uint32_t ssid = t.ssv ? t.ssid & static_cast<uint32_t>(ones(l1_bits)) : 0;
      const uint64_t l2_bytes = uint64_t{64} << split;
      cd_table = alloc(l2_bytes);
      map_table_page(cd_table, std::max<uint64_t>(l2_bytes, uint64_t{1} << st2.g));
      const bool l1_valid = !d.chance(4);
      write(l1 + uint64_t{ssid >> split} * 8, (cd_table + ipa_off) | l1_valid);
      index = ssid & static_cast<uint32_t>(ones(split));
      say("L1CD[" + std::to_string(ssid >> split) + "] " + hex(cd_table + ipa_off) +
          (l1_valid ? "" : " V=0"));
    } else {
      const uint64_t cd_bytes = uint64_t{64} << std::min(cdmax, 8u);
      cd_table = alloc(std::max<uint64_t>(cd_bytes, 4096));
      map_table_page(cd_table, std::max<uint64_t>(cd_bytes, uint64_t{1} << st2.g));
      // Now and then the CD table lies beyond the memory: an external abort (F_CD_FETCH).
      const uint64_t outside = d.chance(2) && oas > 33 ? uint64_t{1} << d.range(32, oas - 1) : 0;
      ste[0] = put_bits(ste[0], 51, 6, (cd_table + ipa_off + outside) >> 6);
      index = t.ssv ? (t.ssid & static_cast<uint32_t>(ones(std::min(cdmax, 8u)))) : 0;
    }

    // CD.
    const int half = d.chance(70) ? 0 : 1;
    unsigned g[2], tsz[2];
    for (int i = 0; i < 2; ++i) {
      g[i] = granule_of(d, impl_);
      const unsigned min_tsz = impl_.va52 && g[i] == 16 ? 12 : 16;
      tsz[i] = static_cast<unsigned>(d.range(min_tsz, 39));
      if (d.chance(2)) tsz[i] = static_cast<unsigned>(d.below(64));
    }
    const unsigned ia = 64 - tsz[half];
    unsigned ips = d.chance(75) ? ps_encoding_for(oas) : static_cast<unsigned>(d.below(8));
    const unsigned ips_bits = effective_ps(ips, oas);
    Words cd{};
    cd[0] = put_bits(cd[0], 5, 0, tsz[0]);
    cd[0] = put_bits(cd[0], 7, 6, d.chance(1) ? 3 : tg0_encoding(g[0]));
    cd[0] = put_bits(cd[0], 21, 16, tsz[1]);
    cd[0] = put_bits(cd[0], 23, 22, d.chance(1) ? 0 : tg1_encoding(g[1]));
    const bool epd_used = d.chance(3);
    const bool epd_other = d.chance(50);
    cd[0] = put_bits(cd[0], 14, 14, half == 0 ? epd_used : epd_other);
    cd[0] = put_bits(cd[0], 30, 30, half == 1 ? epd_used : epd_other);
    cd[0] = put_bits(cd[0], 15, 15, d.chance(1));  // ENDI
    cd[0] = put_bits(cd[0], 31, 31, !d.chance(2));  // V
    cd[0] = put_bits(cd[0], 34, 32, ips);
    cd[0] = put_bits(cd[0], 35, 35, d.chance(20));  // AFFD
    cd[0] = put_bits(cd[0], 36, 36, d.chance(25));  // WXN
    cd[0] = put_bits(cd[0], 39, 38, d.below(4));    // TBI
    cd[0] = put_bits(cd[0], 40, 40, d.chance(25));  // PAN
    cd[0] = put_bits(cd[0], 41, 41, !d.chance(1));  // AA64
    if (d.chance(1)) cd[0] = put_bits(cd[0], 43, 43, 1);  // HA
    if (d.chance(1)) cd[0] = put_bits(cd[0], 44, 44, 1);  // S
    cd[0] = put_bits(cd[0], 45, 45, d.chance(85));  // R
    cd[0] = put_bits(cd[0], 46, 46, d.chance(80));  // A
    cd[0] = put_bits(cd[0], 63, 48, d.below(1 << 16));
    const bool had = d.chance(20);
    const int start = s1_start_level(g[half], std::max(ia, g[half] + 1));
    const unsigned root_bits = ia > level_bits(g[half], start) ? ia - level_bits(g[half], start) : 1;
    const uint64_t root = alloc(std::max<uint64_t>(uint64_t{8} << std::min(root_bits, 13u), 4096));
    map_table_page(root, uint64_t{1} << std::max(g[half], st2.g));
    uint64_t ttb = root + ipa_off;
    // Bits below the start table's alignment are treated as zero (§5.4 TTB0).
    if (d.chance(20)) ttb |= rng() & ones(std::min(root_bits, 13u) + 3) & ~uint64_t{0xf};
    if (d.chance(2)) ttb |= uint64_t{1} << d.range(std::min(ips_bits, 51u), 51);
    cd[half == 0 ? 1 : 2] = put_bits(in_place(ttb, 51, 4), 1, 1, had);
    // The other half: a table base of its own (never walked here).
    cd[half == 0 ? 2 : 1] = in_place(alloc(4096) + ipa_off, 51, 4);
    const bool cd_present = !d.chance(2);
    say("CD[" + std::to_string(index) + "] TTB" + std::to_string(half) + " " +
        std::to_string(1 << (g[half] - 10)) + "K TxSZ " + std::to_string(tsz[half]) + " (L" +
        std::to_string(start) + ") IPS " + std::to_string(ips) + " TTB " + hex(ttb) +
        " HAD " + std::to_string(had) + " qw0 " + hex(cd[0]) + (cd_present ? "" : " (not written)"));
    if (cd_present)
      for (unsigned i = 0; i < 8; ++i) write(cd_table + uint64_t{index} * 64 + 8 * i, cd[i]);

    // The VA: inside the half's range (TBI may tag the top byte), now and then outside.
    const unsigned vbits = std::min(ia, 63u);
    uint64_t va = rng() & ones(vbits);
    if (half == 1) va |= ~ones(vbits);
    if (bit_set(cd[0], 38 + half)) va = put_bits(va, 63, 56, d.below(256));
    if (d.chance(3)) va ^= uint64_t{1} << d.range(std::min(vbits, 55u), 63);
    t.va = va;

    // The walk path for va: tables, then a leaf at a random level (or an invalid entry).
    uint64_t table = root;
    const unsigned gb = g[half];
    uint64_t s1_out = 0;
    bool s1_leaf = false;
    const bool walkable = start >= 0 && start <= 3 && ia <= 52 && ia > level_bits(gb, start);
    for (int level = start; walkable && level <= 3; ++level) {
      const unsigned lo = level_bits(gb, level);
      const unsigned hi = level == start ? ia : lo + gb - 3;
      const uint64_t slot = table + ((va >> lo) & ones(std::min(hi, 63u) - lo)) * 8;
      if (d.chance(4)) {
        write(slot, rng() & ~uint64_t{1});  // invalid
        say("S1 L" + std::to_string(level) + ": invalid");
        break;
      }
      const bool leaf_here = level == 3 || (level >= 1 && d.chance(30)) || (level == 0 && d.chance(3));
      if (!leaf_here) {
        const uint64_t next = alloc(uint64_t{1} << gb);
        map_table_page(next, uint64_t{1} << std::max(gb, st2.g));
        uint64_t e = (next + ipa_off) | 3;
        if (d.chance(2)) e |= uint64_t{1} << d.range(std::min(ips_bits, 47u), 47);
        if (d.chance(10)) e = put_bits(e, 62, 61, d.below(4));  // APTable
        if (d.chance(10)) e = put_bits(e, 60, 60, 1);           // UXNTable
        if (d.chance(10)) e = put_bits(e, 59, 59, 1);           // PXNTable
        write(slot, e);
        table = next;
        continue;
      }
      // Leaf: its output is the IPA target (nested) or the data PA.
      uint64_t target = out_target;
      if (config == 7) target = d.chance(95) ? (out_target & ones(32)) + ipa_off
                                             : rng() & ones(std::min(ips_bits, 52u));
      const uint64_t base = target & ~ones(lo) & ones(52);
      uint64_t e = in_place(base, 47, lo) | (level == 3 ? 3 : 1);
      if (d.chance(2) && level == 3) e &= ~uint64_t{2};  // reserved at level 3
      if (gb == 16) e |= bits(base, 51, 48) << 12;
      if (d.chance(3)) {  // output beyond the IPS
        e |= oa_bit_beyond(d, ips_bits, gb);
      }
      e = put_bits(e, 4, 2, d.below(8));                // AttrIndx
      e = put_bits(e, 7, 6, d.below(4));                // AP
      e = put_bits(e, 9, 8, 3);                         // SH
      e = put_bits(e, 10, 10, !d.chance(12));           // AF
      e = put_bits(e, 11, 11, d.chance(50));            // nG
      e = put_bits(e, 53, 53, d.chance(25));            // PXN
      e = put_bits(e, 54, 54, d.chance(25));            // UXN
      write(slot, e);
      s1_out = base | (va & ones(lo));
      s1_leaf = true;
      say("S1 L" + std::to_string(level) + " leaf " + hex(e));
      break;
    }
    if (config == 7 && s1_leaf) out_target = s1_out;  // the IPA stage 2 must map
  } else if (config == 6) {
    t.va = d.chance(95) ? (data_target() & ones(std::min(st2.ia, 32u))) |
                              (d.below(uint64_t{1} << (st2.ia > 32 ? st2.ia - 32 : 0)) << 32)
                        : rng() & ones(d.range(st2.ia, 63));
    out_target = t.va;
  } else {
    t.va = d.chance(93) ? data_target() : rng() & ones(d.range(32, 63));
  }
  if (s1 && !s1_used) {
    // S1DSS = bypass (or terminate): the input goes to stage 2 (or out) as it is.
    t.va = data_target();
    out_target = t.va;
  }
  t.va &= ~uint64_t{7};
  out_target &= ~uint64_t{7};
  // ---- Stage 2 for the final IPA.
  if (s2) {
    const uint64_t ipa = out_target;
    const int level = s2_leaf_level(false);
    const uint64_t pa = data_target();
    uint64_t attrs = s2_attrs(false);
    if (d.chance(2)) {
      // Output beyond the S2PS.
      attrs |= oa_bit_beyond(d, s2ps_bits, st2.g);
    }
    const int invalid = d.chance(4) ? static_cast<int>(d.range(std::max(st2.start, 0), 3)) : -1;
    if (!d.chance(2))
      s2_map(ipa, (pa & ~ones(level_bits(st2.g, level))) | (ipa & ones(level_bits(st2.g, level))),
             level, attrs, invalid);
    say("S2 map IPA " + hex(ipa) + " leaf L" + std::to_string(level) + " attrs " + hex(attrs) +
        " ipa_off " + hex(ipa_off));
  }
  if (t.sid < (1u << layout_.st_log2))
    for (unsigned i = 0; i < 8; ++i) write(layout_.stream_table + uint64_t{t.sid} * 64 + 8 * i, ste[i]);
  char w[200];
  std::snprintf(w, sizeof w, "STE %016llx %016llx %016llx %016llx",
                static_cast<unsigned long long>(ste[0]), static_cast<unsigned long long>(ste[1]),
                static_cast<unsigned long long>(ste[2]), static_cast<unsigned long long>(ste[3]));
  say(w);

  rc.second = t;
  rc.second.va = (t.va & ~ones(12)) | (d.below(512) * 8);
  rc.second.write = d.chance(40);
  rc.second.exec = d.chance(rc.second.write ? 10 : 30);
  rc.second.priv = d.chance(50);
  say("access SID " + std::to_string(t.sid) + " SSV " + std::to_string(t.ssv) + " SSID " +
      std::to_string(t.ssid) + " VA " + hex(t.va) + (t.write ? " W" : " R") +
      (t.exec ? "X" : "") + (t.priv ? " priv" : " user"));
  rc.description = desc;
  return rc;
}

}  // namespace smmu::reference

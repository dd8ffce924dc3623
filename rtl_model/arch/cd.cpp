// SPDX-License-Identifier: Apache-2.0
#include "rtl_model/arch/cd.h"

#include "rtl_model/arch/bits.h"

namespace smmu::arch {

namespace {
constexpr CdWords kNamedCdBits = {
    field_mask(5, 0) | field_mask(7, 6) | field_mask(9, 8) | field_mask(11, 10) |
        field_mask(13, 12) | field_mask(14, 14) | field_mask(15, 15) | field_mask(21, 16) |
        field_mask(23, 22) | field_mask(30, 30) | field_mask(31, 31) | field_mask(34, 32) |
        field_mask(35, 35) | field_mask(36, 36) |
        field_mask(37, 37) | field_mask(39, 38) | field_mask(40, 40) | field_mask(41, 41) | field_mask(42, 42) |
        field_mask(43, 43) | field_mask(44, 44) | field_mask(45, 45) | field_mask(46, 46) |
        field_mask(47, 47) | field_mask(63, 48),
    field_mask(51, 4) | field_mask(1, 1),
    field_mask(51, 4) | field_mask(1, 1),
    ~uint64_t{0},
    0, 0, 0, 0};
}  // namespace

Cd Cd::decode(const CdWords& qw) {
  Cd c;
  c.t0sz = extract(qw[0], 5, 0);
  c.tg0 = extract(qw[0], 7, 6);
  c.irgn0 = extract(qw[0], 9, 8);
  c.orgn0 = extract(qw[0], 11, 10);
  c.sh0 = extract(qw[0], 13, 12);
  c.epd0 = bit(qw[0], 14);
  c.endi = bit(qw[0], 15);
  c.t1sz = extract(qw[0], 21, 16);
  c.tg1 = extract(qw[0], 23, 22);
  c.epd1 = bit(qw[0], 30);
  c.valid = bit(qw[0], 31);
  c.ips = extract(qw[0], 34, 32);
  c.affd = bit(qw[0], 35);
  c.wxn = bit(qw[0], 36);
  c.uwxn = bit(qw[0], 37);
  c.tbi = extract(qw[0], 39, 38);
  c.pan = bit(qw[0], 40);
  c.aa64 = bit(qw[0], 41);
  c.hd = bit(qw[0], 42);
  c.ha = bit(qw[0], 43);
  c.s = bit(qw[0], 44);
  c.r = bit(qw[0], 45);
  c.a = bit(qw[0], 46);
  c.aset = bit(qw[0], 47);
  c.asid = extract(qw[0], 63, 48);
  c.ttb0 = address_bits(qw[1], 51, 4);
  c.ttb1 = address_bits(qw[2], 51, 4);
  c.had0 = bit(qw[1], 1);
  c.had1 = bit(qw[2], 1);
  c.mair = qw[3];
  for (std::size_t i = 0; i < qw.size(); ++i) c.other[i] = qw[i] & ~kNamedCdBits[i];
  return c;
}

CdWords Cd::encode() const {
  CdWords qw = other;
  uint64_t w = qw[0];
  w = deposit(w, 5, 0, t0sz);
  w = deposit(w, 7, 6, tg0);
  w = deposit(w, 9, 8, irgn0);
  w = deposit(w, 11, 10, orgn0);
  w = deposit(w, 13, 12, sh0);
  w = deposit(w, 14, 14, epd0);
  w = deposit(w, 15, 15, endi);
  w = deposit(w, 21, 16, t1sz);
  w = deposit(w, 23, 22, tg1);
  w = deposit(w, 30, 30, epd1);
  w = deposit(w, 31, 31, valid);
  w = deposit(w, 34, 32, ips);
  w = deposit(w, 35, 35, affd);
  w = deposit(w, 36, 36, wxn);
  w = deposit(w, 37, 37, uwxn);
  w = deposit(w, 39, 38, tbi);
  w = deposit(w, 40, 40, pan);
  w = deposit(w, 41, 41, aa64);
  w = deposit(w, 42, 42, hd);
  w = deposit(w, 43, 43, ha);
  w = deposit(w, 44, 44, s);
  w = deposit(w, 45, 45, r);
  w = deposit(w, 46, 46, a);
  w = deposit(w, 47, 47, aset);
  w = deposit(w, 63, 48, asid);
  qw[0] = w;
  qw[1] |= address_bits(ttb0, 51, 4);
  qw[2] |= address_bits(ttb1, 51, 4);
  qw[1] = deposit(qw[1], 1, 1, had0);
  qw[2] = deposit(qw[2], 1, 1, had1);
  qw[3] = mair;
  return qw;
}

L1CdDescriptor L1CdDescriptor::decode(uint64_t raw) {
  return {bit(raw, 0), address_bits(raw, 51, 12)};
}

uint64_t L1CdDescriptor::encode() const {
  return deposit(0, 0, 0, valid) | address_bits(l2ptr, 51, 12);
}

uint64_t tg0_granule(uint8_t tg0) {
  switch (tg0) {
    case 0: return 4096;
    case 1: return 65536;
    case 2: return 16384;
    default: return 0;
  }
}

uint64_t tg1_granule(uint8_t tg1) {
  switch (tg1) {
    case 1: return 16384;
    case 2: return 4096;
    case 3: return 65536;
    default: return 0;
  }
}

namespace {
constexpr unsigned kAddressSizeBits[] = {32, 36, 40, 42, 44, 48, 52};  // PS 0..6
}  // namespace

unsigned address_size_bits(uint8_t ps) { return ps < 7 ? kAddressSizeBits[ps] : 0; }

uint8_t tg0_encoding(unsigned granule_shift) {
  return granule_shift == 12 ? 0 : granule_shift == 16 ? 1 : 2;
}

int ps_encoding(unsigned bits) {
  for (int i = 0; i < 7; ++i)
    if (kAddressSizeBits[i] == bits) return i;
  return -1;
}

}  // namespace smmu::arch

// SPDX-License-Identifier: Apache-2.0
#include "rtl_model/arch/ste.h"

#include "rtl_model/arch/bits.h"

namespace smmu::arch {

namespace {
// Bits of each qword that Ste names; everything else goes to Ste::other.
constexpr SteWords kNamedSteBits = {
    field_mask(0, 0) | field_mask(3, 1) | field_mask(5, 4) | field_mask(51, 6) | field_mask(63, 59),
    field_mask(1, 0) | field_mask(3, 2) | field_mask(5, 4) | field_mask(7, 6) | field_mask(19, 19) |
        field_mask(25, 25) | field_mask(27, 27) | field_mask(29, 28) | field_mask(31, 30) |
        field_mask(45, 44),
    field_mask(15, 0) | field_mask(37, 32) | field_mask(39, 38) | field_mask(41, 40) |
        field_mask(43, 42) | field_mask(45, 44) | field_mask(47, 46) | field_mask(50, 48) |
        field_mask(51, 51) | field_mask(52, 52) | field_mask(53, 53) | field_mask(54, 54) |
        field_mask(55, 55) | field_mask(56, 56) | field_mask(57, 57) | field_mask(58, 58),
    field_mask(51, 4),
    0, 0, 0, 0};
}  // namespace

Ste Ste::decode(const SteWords& qw) {
  Ste s;
  s.valid = bit(qw[0], 0);
  s.config = extract(qw[0], 3, 1);
  s.s1fmt = extract(qw[0], 5, 4);
  s.s1_context_ptr = address_bits(qw[0], 51, 6);
  s.s1cdmax = extract(qw[0], 63, 59);

  s.s1dss = extract(qw[1], 1, 0);
  s.s1cir = extract(qw[1], 3, 2);
  s.s1cor = extract(qw[1], 5, 4);
  s.s1csh = extract(qw[1], 7, 6);
  s.mev = bit(qw[1], 19);
  s.s2fwb = bit(qw[1], 25);
  s.s1stalld = bit(qw[1], 27);
  s.eats = extract(qw[1], 29, 28);
  s.strw = extract(qw[1], 31, 30);
  s.shcfg = extract(qw[1], 45, 44);

  s.s2vmid = extract(qw[2], 15, 0);
  s.s2t0sz = extract(qw[2], 37, 32);
  s.s2sl0 = extract(qw[2], 39, 38);
  s.s2ir0 = extract(qw[2], 41, 40);
  s.s2or0 = extract(qw[2], 43, 42);
  s.s2sh0 = extract(qw[2], 45, 44);
  s.s2tg = extract(qw[2], 47, 46);
  s.s2ps = extract(qw[2], 50, 48);
  s.s2aa64 = bit(qw[2], 51);
  s.s2endi = bit(qw[2], 52);
  s.s2affd = bit(qw[2], 53);
  s.s2ptw = bit(qw[2], 54);
  s.s2hd = bit(qw[2], 55);
  s.s2ha = bit(qw[2], 56);
  s.s2s = bit(qw[2], 57);
  s.s2r = bit(qw[2], 58);

  s.s2ttb = address_bits(qw[3], 51, 4);

  for (std::size_t i = 0; i < qw.size(); ++i) s.other[i] = qw[i] & ~kNamedSteBits[i];
  return s;
}

SteWords Ste::encode() const {
  SteWords qw = other;
  qw[0] = deposit(qw[0], 0, 0, valid);
  qw[0] = deposit(qw[0], 3, 1, config);
  qw[0] = deposit(qw[0], 5, 4, s1fmt);
  qw[0] |= address_bits(s1_context_ptr, 51, 6);
  qw[0] = deposit(qw[0], 63, 59, s1cdmax);

  qw[1] = deposit(qw[1], 1, 0, s1dss);
  qw[1] = deposit(qw[1], 3, 2, s1cir);
  qw[1] = deposit(qw[1], 5, 4, s1cor);
  qw[1] = deposit(qw[1], 7, 6, s1csh);
  qw[1] = deposit(qw[1], 19, 19, mev);
  qw[1] = deposit(qw[1], 25, 25, s2fwb);
  qw[1] = deposit(qw[1], 27, 27, s1stalld);
  qw[1] = deposit(qw[1], 29, 28, eats);
  qw[1] = deposit(qw[1], 31, 30, strw);
  qw[1] = deposit(qw[1], 45, 44, shcfg);

  qw[2] = deposit(qw[2], 15, 0, s2vmid);
  qw[2] = deposit(qw[2], 37, 32, s2t0sz);
  qw[2] = deposit(qw[2], 39, 38, s2sl0);
  qw[2] = deposit(qw[2], 41, 40, s2ir0);
  qw[2] = deposit(qw[2], 43, 42, s2or0);
  qw[2] = deposit(qw[2], 45, 44, s2sh0);
  qw[2] = deposit(qw[2], 47, 46, s2tg);
  qw[2] = deposit(qw[2], 50, 48, s2ps);
  qw[2] = deposit(qw[2], 51, 51, s2aa64);
  qw[2] = deposit(qw[2], 52, 52, s2endi);
  qw[2] = deposit(qw[2], 53, 53, s2affd);
  qw[2] = deposit(qw[2], 54, 54, s2ptw);
  qw[2] = deposit(qw[2], 55, 55, s2hd);
  qw[2] = deposit(qw[2], 56, 56, s2ha);
  qw[2] = deposit(qw[2], 57, 57, s2s);
  qw[2] = deposit(qw[2], 58, 58, s2r);

  qw[3] |= address_bits(s2ttb, 51, 4);
  return qw;
}

L1StreamDescriptor L1StreamDescriptor::decode(uint64_t raw) {
  return {static_cast<uint8_t>(extract(raw, 4, 0)), address_bits(raw, 51, 6)};
}

uint64_t L1StreamDescriptor::encode() const {
  return deposit(0, 4, 0, span) | address_bits(l2ptr, 51, 6);
}

}  // namespace smmu::arch

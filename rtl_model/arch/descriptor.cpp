// SPDX-License-Identifier: Apache-2.0
#include "rtl_model/arch/descriptor.h"

namespace smmu::arch {

S1LeafAttrs S1LeafAttrs::decode(uint64_t d) {
  S1LeafAttrs a;
  a.attr_indx = extract(d, 4, 2);
  a.ns = bit(d, 5);
  a.ap = extract(d, 7, 6);
  a.sh = extract(d, 9, 8);
  a.af = bit(d, 10);
  a.ng = bit(d, 11);
  a.dbm = bit(d, 51);
  a.pxn = bit(d, 53);
  a.uxn = bit(d, 54);
  return a;
}

uint64_t S1LeafAttrs::encode() const {
  uint64_t d = 0;
  d = deposit(d, 4, 2, attr_indx);
  d = deposit(d, 5, 5, ns);
  d = deposit(d, 7, 6, ap);
  d = deposit(d, 9, 8, sh);
  d = deposit(d, 10, 10, af);
  d = deposit(d, 11, 11, ng);
  d = deposit(d, 51, 51, dbm);
  d = deposit(d, 53, 53, pxn);
  d = deposit(d, 54, 54, uxn);
  return d;
}

S2LeafAttrs S2LeafAttrs::decode(uint64_t d) {
  S2LeafAttrs a;
  a.mem_attr = extract(d, 5, 2);
  a.s2ap = extract(d, 7, 6);
  a.sh = extract(d, 9, 8);
  a.af = bit(d, 10);
  a.xn = extract(d, 54, 53);
  return a;
}

uint64_t S2LeafAttrs::encode() const {
  uint64_t d = 0;
  d = deposit(d, 5, 2, mem_attr);
  d = deposit(d, 7, 6, s2ap);
  d = deposit(d, 9, 8, sh);
  d = deposit(d, 10, 10, af);
  d = deposit(d, 54, 53, xn);
  return d;
}

S1TableAttrs S1TableAttrs::decode(uint64_t d) {
  return {bit(d, 59), bit(d, 60), static_cast<uint8_t>(extract(d, 62, 61)), bit(d, 63)};
}

uint64_t S1TableAttrs::encode() const {
  uint64_t d = 0;
  d = deposit(d, 59, 59, pxn_table);
  d = deposit(d, 60, 60, xn_table);
  d = deposit(d, 62, 61, ap_table);
  d = deposit(d, 63, 63, ns_table);
  return d;
}

uint64_t make_table_descriptor(uint64_t next_table, const S1TableAttrs& attrs) {
  return address_bits(next_table, 47, 12) | attrs.encode() | 0x3;
}

uint64_t make_s1_leaf(uint64_t out_addr, int level, const S1LeafAttrs& attrs) {
  return address_bits(out_addr, 47, 12) | attrs.encode() | (level == 3 ? 0x3 : 0x1);
}

uint64_t make_s2_leaf(uint64_t out_addr, int level, const S2LeafAttrs& attrs) {
  return address_bits(out_addr, 47, 12) | attrs.encode() | (level == 3 ? 0x3 : 0x1);
}

}  // namespace smmu::arch

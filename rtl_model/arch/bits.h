// SPDX-License-Identifier: Apache-2.0
// Bit-field helpers for the SMMUv3 formats. Ranges are inclusive [hi:lo], as in the
// architecture and in reference/smmuv3-formats.md.
#pragma once

#include <cstdint>

namespace smmu::arch {

constexpr uint64_t field_mask(unsigned hi, unsigned lo) {
  return (hi - lo >= 63 ? ~uint64_t{0} : ((uint64_t{1} << (hi - lo + 1)) - 1)) << lo;
}

// The value of bits [hi:lo] of word, shifted down to bit 0.
constexpr uint64_t extract(uint64_t word, unsigned hi, unsigned lo) {
  return (word & field_mask(hi, lo)) >> lo;
}

// word with bits [hi:lo] replaced by value (value bits beyond the field are dropped).
constexpr uint64_t deposit(uint64_t word, unsigned hi, unsigned lo, uint64_t value) {
  return (word & ~field_mask(hi, lo)) | ((value << lo) & field_mask(hi, lo));
}

constexpr bool bit(uint64_t word, unsigned n) { return (word >> n) & 1; }

// A value (an input, output or table address) that does not fit in `bits` bits.
constexpr bool wider_than(uint64_t value, unsigned bits) {
  return bits < 64 && (value >> bits) != 0;
}

// An address field kept in place: bits [hi:lo] of word with the other bits cleared.
// Used for pointers such as STE.S1ContextPtr[51:6], so the value is a byte address.
constexpr uint64_t address_bits(uint64_t word, unsigned hi, unsigned lo) {
  return word & field_mask(hi, lo);
}

}  // namespace smmu::arch

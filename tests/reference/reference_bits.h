// SPDX-License-Identifier: Apache-2.0
// Field extraction for the reference model, kept apart from rtl_model/arch so that the
// reference reads the raw 64-bit words of STEs, CDs and descriptors by itself.
// Ranges are inclusive [hi:lo], as the architecture writes them.
#pragma once

#include <cstdint>

namespace smmu::reference {

constexpr uint64_t ones(unsigned n) { return n >= 64 ? ~uint64_t{0} : (uint64_t{1} << n) - 1; }

constexpr uint64_t bits(uint64_t word, unsigned hi, unsigned lo) {
  return (word >> lo) & ones(hi - lo + 1);
}

constexpr bool bit_set(uint64_t word, unsigned n) { return ((word >> n) & 1) != 0; }

// Bits [hi:lo] kept in place (an address field).
constexpr uint64_t in_place(uint64_t word, unsigned hi, unsigned lo) {
  return word & (ones(hi - lo + 1) << lo);
}

// Whether value has a bit set at or above bit n.
constexpr bool above(uint64_t value, unsigned n) { return n < 64 && (value >> n) != 0; }

}  // namespace smmu::reference

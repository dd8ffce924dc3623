// SPDX-License-Identifier: Apache-2.0
// Table-driven field checks for the arch format tests: each case names one field of a
// structure and its position [hi:lo] in word `word` as the fact sheet gives it.
#pragma once

#include <gtest/gtest.h>

#include <array>
#include <cstddef>
#include <cstdint>
#include <vector>

namespace smmu::arch::test {

// Our own mask, so the expectations do not rest on the code under test.
constexpr uint64_t bits(unsigned hi, unsigned lo) {
  return (hi - lo == 63 ? ~uint64_t{0} : ((uint64_t{1} << (hi - lo + 1)) - 1)) << lo;
}

// A distinctive value: truncated to a field it gives 0x5 for 3 bits, 0x15 for 6, ...
constexpr uint64_t kPattern = 0x9E3779B97F4A7C15;

template <typename T>
struct FieldCase {
  const char* name;
  unsigned word, hi, lo;
  bool address;  // a byte address kept in place rather than a value shifted to bit 0
  void (*set)(T&, uint64_t);
  uint64_t (*get)(const T&);
};

template <std::size_t N>
using Words = std::array<uint64_t, N>;

// For every case, starting from `base`:
//  - setting only that field (to all ones, then to kPattern) changes only its bits, at
//    exactly [hi:lo] of its word; for address fields the bits outside the field are dropped;
//  - decode(encode(x)) gives the value back and re-encodes to the same words;
//  - decoding `all_ones` gives the field's all-ones value.
template <typename T, std::size_t N, typename Enc, typename Dec>
void check_fields(const std::vector<FieldCase<T>>& cases, const T& base, Enc enc, Dec dec,
                  const Words<N>& all_ones) {
  const Words<N> base_words = enc(base);
  for (const auto& f : cases) {
    SCOPED_TRACE(f.name);
    ASSERT_LT(f.word, N);
    const uint64_t m = bits(f.hi, f.lo);
    for (uint64_t raw : {~uint64_t{0}, kPattern}) {
      T x = base;
      const uint64_t value = f.address ? raw : (raw & (m >> f.lo));
      f.set(x, value);
      const Words<N> w = enc(x);
      const uint64_t in_place = f.address ? (raw & m) : (value << f.lo);
      for (std::size_t i = 0; i < N; ++i) {
        const uint64_t want = i == f.word ? ((base_words[i] & ~m) | in_place) : base_words[i];
        EXPECT_EQ(w[i], want) << "word " << i << " value 0x" << std::hex << value;
      }
      const T y = dec(w);
      EXPECT_EQ(f.get(y), f.address ? (raw & m) : value);
      EXPECT_EQ(enc(y), w);
    }
    const T z = dec(all_ones);
    EXPECT_EQ(f.get(z), f.address ? m : (m >> f.lo));
  }
}

// The union of the cases' bits, per word.
template <typename T, std::size_t N>
Words<N> field_union(const std::vector<FieldCase<T>>& cases) {
  Words<N> u{};
  for (const auto& f : cases) u[f.word] |= bits(f.hi, f.lo);
  return u;
}

}  // namespace smmu::arch::test

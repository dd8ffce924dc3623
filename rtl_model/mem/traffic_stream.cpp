// SPDX-License-Identifier: Apache-2.0
#include "rtl_model/mem/traffic_stream.h"

#include <cmath>
#include <stdexcept>
#include <string>

namespace smmu::model {

namespace {

[[noreturn]] void bad(size_t index, const char* key, const std::string& why) {
  throw std::invalid_argument("traffic stream " + std::to_string(index) + ": '" + key +
                              "' " + why);
}

// floor(r * n / 2^64): an unbiased-enough, portable map of a 64-bit draw onto [0, n).
uint64_t scale(uint64_t r, uint64_t n) {
  return static_cast<uint64_t>((static_cast<unsigned __int128>(r) * n) >> 64);
}

// Golden-ratio constant: decorrelates the read/write engine from the address engine.
constexpr uint64_t kRwSeedMix = 0x9E3779B97F4A7C15ull;

}  // namespace

void validate_traffic_stream(const TrafficStream& s, size_t index) {
  if (s.size == 0) bad(index, "size", "must be > 0");
  if (s.length < s.size)
    bad(index, "length",
        "(" + std::to_string(s.length) + ") must be >= size (" + std::to_string(s.size) + ")");
  if (s.base + (s.length - 1) < s.base) bad(index, "length", "makes the region wrap past 2^64");
  if (s.outstanding == 0) bad(index, "outstanding", "must be >= 1");
  if (!(s.write_fraction >= 0.0 && s.write_fraction <= 1.0))
    bad(index, "write_fraction", "(" + std::to_string(s.write_fraction) + ") must be in [0, 1]");
  switch (s.pattern) {
    case TrafficStream::kSequential:
    case TrafficStream::kRandom:
      break;
    case TrafficStream::kStrided:
      if (s.stride == 0) bad(index, "stride", "must be > 0 for a strided stream");
      break;
    default:
      bad(index, "pattern", "is not sequential, strided or random");
  }
}

StreamSequence::StreamSequence(const TrafficStream& s)
    : pattern_(s.pattern),
      base_(s.base),
      size_(s.size),
      stride_(s.stride),
      positions_(0),
      write_fraction_(s.write_fraction),
      count_(s.count),
      addr_rng_(s.seed),
      rw_rng_(s.seed ^ kRwSeedMix) {
  validate_traffic_stream(s, 0);
  if (pattern_ == TrafficStream::kStrided)
    positions_ = (s.length - s.size) / s.stride + 1;
  else
    positions_ = s.length / s.size;
}

PlannedAccess StreamSequence::next() {
  const uint64_t i = next_++;
  uint64_t offset = 0;
  switch (pattern_) {
    case TrafficStream::kSequential:
      offset = (i % positions_) * size_;
      break;
    case TrafficStream::kStrided:
      offset = (i % positions_) * stride_;
      break;
    case TrafficStream::kRandom:
      offset = scale(addr_rng_(), positions_) * size_;
      break;
  }
  bool write = false;
  if (write_fraction_ >= 1.0) {
    write = true;
  } else if (write_fraction_ > 0.0) {
    // 53 random bits -> a double in [0, 1).
    write = static_cast<double>(rw_rng_() >> 11) * 0x1.0p-53 < write_fraction_;
  }
  return PlannedAccess{i, base_ + offset, write};
}

}  // namespace smmu::model

// SPDX-License-Identifier: Apache-2.0
// Random SMMU stream configurations for the differential test: an STE (every Config,
// illegal fields now and then), a linear CD table, stage-1 and stage-2 tables of every
// granule with random sizes, start levels, concatenation, blocks at every level (legal
// or not), invalid descriptors, out-of-range addresses and random permissions, written
// into guest memory; plus the accesses to try. The reference and the model both read
// what it wrote; the generator does not predict the outcome.
#pragma once

#include <cstdint>
#include <functional>
#include <random>
#include <string>
#include <vector>

#include "reference/reference_smmu.h"

namespace smmu::reference {

struct GuestMemory {
  std::function<void(uint64_t, uint64_t)> write64;
};

struct GeneratorLayout {
  uint64_t stream_table = 0;   // linear, 2^st_log2 STEs
  unsigned st_log2 = 6;
  uint64_t scratch_base = 0;   // tables of one configuration
  uint64_t scratch_size = 0;
  uint64_t data_lo = 0, data_hi = 0;  // where leaves point (device data)
};

struct RandomCase {
  std::string description;
  Transaction first;   // cold, then repeated warm
  Transaction second;  // another access in the same 4K page, warm
};

class ConfigGenerator {
 public:
  ConfigGenerator(const Implementation& impl, const GeneratorLayout& layout, GuestMemory mem);
  // Clears what the previous case wrote, then writes a new configuration.
  RandomCase next(std::mt19937_64& rng);

 private:
  struct Stage2;
  Implementation impl_;
  GeneratorLayout layout_;
  GuestMemory mem_;
  uint64_t next_free_ = 0;
  std::vector<uint64_t> written_;

  void put(uint64_t pa, uint64_t v);
  uint64_t alloc(uint64_t size);
};

}  // namespace smmu::reference

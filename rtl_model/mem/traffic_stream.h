// SPDX-License-Identifier: Apache-2.0
// One DMA stream of the traffic generator: its configuration and the deterministic
// sequence of accesses it makes. The sequence depends only on the configuration (and
// its seed), never on timing or on how many transactions are in flight, so tests and
// benchmarks can predict it.
#pragma once

#include <cstddef>
#include <cstdint>
#include <random>

#include <systemc>

namespace smmu::model {

struct TrafficStream {
  enum Pattern { kSequential, kStrided, kRandom };

  uint32_t sid = 0;
  uint32_t ssid = 0;
  bool ssv = false;
  uint64_t base = 0;       // start of the region the stream touches
  uint64_t length = 4096;  // region size in bytes; every access lies inside it
  Pattern pattern = kSequential;
  uint64_t stride = 0;           // kStrided: distance between consecutive accesses (> 0)
  unsigned size = 64;            // bytes per transaction
  double write_fraction = 0.0;   // 0..1, chance that a transaction is a write
  uint64_t count = 0;            // transactions
  unsigned outstanding = 1;      // transactions that may be in flight at once (>= 1)
  sc_core::sc_time start_time = sc_core::SC_ZERO_TIME;  // first issue
  sc_core::sc_time gap = sc_core::SC_ZERO_TIME;         // minimum time between issues
  uint64_t seed = 1;
  bool privileged = false;
  bool instruction = false;
  // Ask the target for DMI (get_direct_mem_ptr) and access through the pointer, with
  // the region's latency, where it is granted (GeneratorParams::use_dmi does so for
  // every stream of a generator).
  bool dmi = false;
};

// Throws std::invalid_argument naming the stream (by index) and the bad key.
void validate_traffic_stream(const TrafficStream& s, size_t index);

// The byte a generator write carries at an address: distinct per stream and address so
// tests can check where data landed.
inline uint8_t traffic_pattern_byte(uint32_t sid, uint64_t address) {
  return static_cast<uint8_t>(address ^ (address >> 8) ^ (address >> 16) ^ (sid * 0x3Bu));
}

struct PlannedAccess {
  uint64_t index;    // 0-based transaction number within the stream
  uint64_t address;  // global (input) address
  bool write;
};

// Access i of a stream (offsets from base):
//   kSequential: (i mod floor(length/size)) * size, wrapping before the region end;
//   kStrided:    (i mod n) * stride, n = floor((length-size)/stride) + 1, i.e. it wraps
//                to base when the next access would end past the region;
//   kRandom:     uniform over the floor(length/size) size-aligned slots (aligned
//                relative to base), from a mt19937_64 seeded with seed.
// Read or write comes from a second engine, so the addresses of a stream do not change
// with its write fraction. Both use our own reductions (not std distributions) so the
// sequence is the same with every standard library.
class StreamSequence {
 public:
  // Validates (as stream 0); use validate_traffic_stream first for a better message.
  explicit StreamSequence(const TrafficStream& s);

  bool done() const { return next_ >= count_; }
  uint64_t issued() const { return next_; }
  // The next access; must not be called when done().
  PlannedAccess next();

 private:
  TrafficStream::Pattern pattern_;
  uint64_t base_;
  uint64_t size_;
  uint64_t stride_;
  uint64_t positions_;  // distinct offsets the pattern cycles through
  double write_fraction_;
  uint64_t count_;
  uint64_t next_ = 0;
  std::mt19937_64 addr_rng_;
  std::mt19937_64 rw_rng_;
};

}  // namespace smmu::model

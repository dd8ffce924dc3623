// SPDX-License-Identifier: Apache-2.0
// A memory for walker tests without a SystemC kernel: the builders write into it, the
// walker reads descriptors from it at a fixed latency, and chosen addresses abort.
#pragma once

#include <cstdint>
#include <set>
#include <systemc>
#include <vector>

#include "platform/software/table_builder.h"
#include "rtl_model/smmu/table_walker.h"

namespace smmu::test {

inline const sc_core::sc_time kReadLatency(10, sc_core::SC_NS);  // per descriptor read
inline const sc_core::sc_time kLookup(2, sc_core::SC_NS);        // per walk-cache lookup

class FakeMemory : public platform::MemoryWriter, public model::WalkMemory {
 public:
  void write64(uint64_t pa, uint64_t v) override { words_.write64(pa, v); }
  uint64_t read64(uint64_t pa) override { return words_.read64(pa); }
  bool read64(uint64_t pa, uint64_t& value, sc_core::sc_time& delay) override {
    delay += kReadLatency;
    reads.push_back(pa);
    if (aborts.count(pa)) return false;
    value = words_.read64(pa);
    return true;
  }
  std::set<uint64_t> aborts;    // reads of these addresses get an external abort
  std::vector<uint64_t> reads;  // every descriptor read, in order

 private:
  platform::SparseMemory words_;
};

// An access of the walker tests: a read or write, privileged or not, a fetch or data.
inline model::Access acc(bool write, bool priv, bool exec = false) {
  model::Access a;
  a.write = write;
  a.priv = priv;
  a.exec = exec;
  return a;
}

// Leaves with the access flag set and read/write access (stage 1: at any EL).
inline arch::S1LeafAttrs s1_rw() {
  arch::S1LeafAttrs a;
  a.af = true;
  a.ap = 1;
  return a;
}
inline arch::S2LeafAttrs s2_rw() {
  arch::S2LeafAttrs a;
  a.af = true;
  a.s2ap = 3;
  return a;
}

}  // namespace smmu::test

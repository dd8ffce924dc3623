// SPDX-License-Identifier: Apache-2.0
// Words that several CPUs read and update with atomic instructions: the lock-free
// command queue's producer index, owner index, valid bitmap and lock counter. The OS
// makes them (Os::make_atomic_words); on the platform each 64-byte cache line of them
// has a coherence state and a cost (platform/cpu/sc_sync.h), so contention costs simulated
// time: a line another CPU wrote must be transferred, and transfers of one line are
// serialised. PlainAtomicWords is the untimed version (host tests).
//
// Eight words share a cache line: word i is in line i / kWordsPerLine.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

namespace smmu::driver {

class AtomicWords {
 public:
  static constexpr size_t kWordsPerLine = 8;

  virtual ~AtomicWords() = default;
  virtual size_t size() const = 0;

  virtual uint64_t load(size_t i) = 0;                    // READ_ONCE, acquire
  virtual void store(size_t i, uint64_t v) = 0;           // WRITE_ONCE, release
  // A narrow store: replaces only the bits under mask (a 32-bit store into half of a
  // 64-bit word, as a CPU does with a union of two 32-bit fields).
  virtual void store_bits(size_t i, uint64_t mask, uint64_t v) = 0;
  // Compare-and-swap: when the word equals expected, it becomes desired (true);
  // otherwise expected gets the current value (false).
  virtual bool compare_exchange(size_t i, uint64_t& expected, uint64_t desired) = 0;
  // Read-modify-write; each returns the old value.
  virtual uint64_t fetch_add(size_t i, uint64_t v) = 0;
  virtual uint64_t fetch_and(size_t i, uint64_t mask) = 0;
  virtual uint64_t fetch_or(size_t i, uint64_t mask) = 0;
  virtual uint64_t fetch_xor(size_t i, uint64_t mask) = 0;
  // Waits until word i differs from old (an exclusive monitor and WFE: the CPU sleeps
  // until the line is taken away), at most timeout_ns; returns the value then.
  virtual uint64_t wait_change(size_t i, uint64_t old, uint64_t timeout_ns) = 0;
};

// No time, no contention: for an OS where one thread runs (host tests).
class PlainAtomicWords final : public AtomicWords {
 public:
  explicit PlainAtomicWords(size_t n) : w_(n, 0) {}
  size_t size() const override { return w_.size(); }
  uint64_t load(size_t i) override { return w_.at(i); }
  void store(size_t i, uint64_t v) override { w_.at(i) = v; }
  void store_bits(size_t i, uint64_t mask, uint64_t v) override {
    w_.at(i) = (w_.at(i) & ~mask) | (v & mask);
  }
  bool compare_exchange(size_t i, uint64_t& expected, uint64_t desired) override {
    if (w_.at(i) == expected) {
      w_[i] = desired;
      return true;
    }
    expected = w_[i];
    return false;
  }
  uint64_t fetch_add(size_t i, uint64_t v) override { return exchange(i, w_.at(i) + v); }
  uint64_t fetch_and(size_t i, uint64_t m) override { return exchange(i, w_.at(i) & m); }
  uint64_t fetch_or(size_t i, uint64_t m) override { return exchange(i, w_.at(i) | m); }
  uint64_t fetch_xor(size_t i, uint64_t m) override { return exchange(i, w_.at(i) ^ m); }
  uint64_t wait_change(size_t i, uint64_t, uint64_t) override { return w_.at(i); }

 private:
  uint64_t exchange(size_t i, uint64_t v) {
    const uint64_t old = w_[i];
    w_[i] = v;
    return old;
  }
  std::vector<uint64_t> w_;
};

}  // namespace smmu::driver

// SPDX-License-Identifier: Apache-2.0
// The driver's OS services on the host, for unit tests of driver code without SystemC:
// one thread, memory as a sparse map, time as a counter. Locks check their use (a
// double lock or an unlock of a free lock throws) since nothing can contend. RCU
// callbacks run at synchronize_rcu() or run_grace_period(), and never while a
// read-side section is open, so a test can hold a reader and see what stays alive.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <stdexcept>
#include <unordered_map>
#include <vector>

#include "driver/os.h"

namespace smmu::test {

class HostOs : public driver::Os {
 public:
  explicit HostOs(uint64_t dram_base = 0x40000000, uint64_t dram_size = uint64_t{1} << 30)
      : next_(dram_base), end_(dram_base + dram_size) {}
  // Whatever was left for a grace period is freed at the end, as an OS would eventually.
  ~HostOs() override {
    readers_ = 0;
    run_grace_period();
  }

  // MMIO: a register file the test can preset and inspect.
  std::map<uint64_t, uint64_t> mmio;
  std::vector<std::pair<uint64_t, uint64_t>> mmio_writes;  // in order
  std::function<void(uint64_t pa, uint64_t value)> on_mmio_write;

  uint32_t mmio_read32(uint64_t pa) override { return static_cast<uint32_t>(mmio[pa]); }
  void mmio_write32(uint64_t pa, uint32_t v) override { mmio_write(pa, v); }
  uint64_t mmio_read64(uint64_t pa) override { return mmio[pa]; }
  void mmio_write64(uint64_t pa, uint64_t v) override { mmio_write(pa, v); }

  uint64_t dma_alloc(size_t size, size_t align) override {
    if (fail_allocs_after_ == 0) return 0;
    if (fail_allocs_after_ > 0) --fail_allocs_after_;
    uint64_t a = (next_ + align - 1) & ~uint64_t(align - 1);
    if (a + size > end_) return 0;
    next_ = a + size;
    live_[a] = size;
    for (uint64_t p = a; p < a + size; p += 8) words_.erase(p);
    return a;
  }
  void dma_free(uint64_t pa, size_t size) override {
    auto it = live_.find(pa);
    if (it == live_.end() || it->second != size) throw std::logic_error("dma_free of a region not allocated");
    live_.erase(it);
  }
  void mem_read(uint64_t pa, void* data, size_t len) override {
    auto* out = static_cast<unsigned char*>(data);
    for (size_t i = 0; i < len; ++i) out[i] = byte(pa + i);
  }
  void mem_write(uint64_t pa, const void* data, size_t len) override {
    auto* in = static_cast<const unsigned char*>(data);
    for (size_t i = 0; i < len; ++i) set_byte(pa + i, in[i]);
  }

  uint64_t now_ns() override { return now_; }
  void delay_ns(uint64_t ns) override {
    now_ += ns;
    if (on_delay) on_delay();
  }
  std::function<void()> on_delay;  // lets a test play the device while the driver polls
  unsigned cpu_id() override { return 0; }
  bool wait_for_irq(unsigned, uint64_t timeout_ns) override { now_ += timeout_ns; return false; }
  bool wait_for_event(uint64_t timeout_ns) override { now_ += timeout_ns; return false; }

  std::unique_ptr<driver::Lock> make_mutex() override { return std::make_unique<CheckedLock>(); }
  std::unique_ptr<driver::Lock> make_spinlock() override { return std::make_unique<CheckedLock>(); }
  std::unique_ptr<driver::RwLock> make_rwlock() override { return std::make_unique<CheckedRwLock>(); }

  void rcu_read_lock() override { ++readers_; }
  void rcu_read_unlock() override {
    if (readers_ == 0) throw std::logic_error("rcu_read_unlock without a reader");
    --readers_;
  }
  void synchronize_rcu() override {
    if (readers_) throw std::logic_error("synchronize_rcu inside a read-side section would deadlock");
    run_grace_period();
  }
  void call_rcu(std::function<void()> fn) override { deferred_.push_back(std::move(fn)); }
  // Ends a grace period: runs the deferred callbacks, unless a reader is still inside.
  bool run_grace_period() {
    if (readers_) return false;
    auto fns = std::move(deferred_);
    deferred_.clear();
    for (auto& f : fns) f();
    return true;
  }
  size_t deferred() const { return deferred_.size(); }

  // The next n allocations succeed, the ones after fail (-1: never fail).
  void fail_allocations_after(int n) { fail_allocs_after_ = n; }
  size_t live_allocations() const { return live_.size(); }

 private:
  struct CheckedLock : driver::Lock {
    bool held = false;
    void lock() override {
      if (held) throw std::logic_error("lock taken twice on one CPU");
      held = true;
    }
    void unlock() override {
      if (!held) throw std::logic_error("unlock of a free lock");
      held = false;
    }
  };
  struct CheckedRwLock : driver::RwLock {
    int readers = 0;
    bool writer = false;
    void read_lock() override {
      if (writer) throw std::logic_error("read_lock under the write lock");
      ++readers;
    }
    void read_unlock() override {
      if (readers-- <= 0) throw std::logic_error("read_unlock without a reader");
    }
    void write_lock() override {
      if (writer || readers) throw std::logic_error("write_lock while held");
      writer = true;
    }
    void write_unlock() override {
      if (!writer) throw std::logic_error("write_unlock without the lock");
      writer = false;
    }
  };

  void mmio_write(uint64_t pa, uint64_t v) {
    mmio[pa] = v;
    mmio_writes.emplace_back(pa, v);
    if (on_mmio_write) on_mmio_write(pa, v);
  }
  unsigned char byte(uint64_t a) const {
    auto it = words_.find(a & ~7ull);
    return it == words_.end() ? 0 : static_cast<unsigned char>(it->second >> (8 * (a & 7)));
  }
  void set_byte(uint64_t a, unsigned char b) {
    uint64_t& w = words_[a & ~7ull];
    const unsigned sh = 8 * (a & 7);
    w = (w & ~(uint64_t{0xff} << sh)) | (uint64_t{b} << sh);
  }

  uint64_t next_, end_;
  std::unordered_map<uint64_t, uint64_t> words_;
  std::map<uint64_t, size_t> live_;
  uint64_t now_ = 0;
  unsigned readers_ = 0;
  std::vector<std::function<void()>> deferred_;
  int fail_allocs_after_ = -1;
};

}  // namespace smmu::test

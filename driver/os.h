// SPDX-License-Identifier: Apache-2.0
// The services the driver needs from its operating system, as a firmware or kernel
// would provide them. The platform implements them on SystemC (simulated CPUs, timed
// MMIO and memory); unit tests implement them on the host. No SystemC here.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <functional>
#include <memory>

#include "driver/atomic_words.h"

namespace smmu::driver {

// A lock as the OS provides it. A waiter blocks its CPU (it does not spin the host).
class Lock {
 public:
  virtual ~Lock() = default;
  virtual void lock() = 0;
  virtual void unlock() = 0;
};

// Readers share, a writer excludes everyone.
class RwLock {
 public:
  virtual ~RwLock() = default;
  virtual void read_lock() = 0;
  virtual void read_unlock() = 0;
  virtual void write_lock() = 0;
  virtual void write_unlock() = 0;
};

class Os {
 public:
  virtual ~Os() = default;

  // --- MMIO (device registers): timed, strongly ordered.
  virtual uint32_t mmio_read32(uint64_t pa) = 0;
  virtual void mmio_write32(uint64_t pa, uint32_t value) = 0;
  virtual uint64_t mmio_read64(uint64_t pa) = 0;
  virtual void mmio_write64(uint64_t pa, uint64_t value) = 0;

  // --- DMA-coherent memory in the simulated DRAM: what the SMMU reads (tables,
  // queues) and writes (events, MSIs). dma_alloc returns a zeroed region's physical
  // address, or 0 when out of memory.
  virtual uint64_t dma_alloc(size_t size, size_t align) = 0;
  virtual void dma_free(uint64_t pa, size_t size) = 0;
  virtual void mem_read(uint64_t pa, void* data, size_t len) = 0;
  virtual void mem_write(uint64_t pa, const void* data, size_t len) = 0;

  uint64_t read64(uint64_t pa) {
    uint64_t v;
    mem_read(pa, &v, 8);
    return v;
  }
  void write64(uint64_t pa, uint64_t v) { mem_write(pa, &v, 8); }
  uint32_t read32(uint64_t pa) {
    uint32_t v;
    mem_read(pa, &v, 4);
    return v;
  }
  void write32(uint64_t pa, uint32_t v) { mem_write(pa, &v, 4); }

  // --- barriers, named where the real driver needs them (free in the simulator, but
  // kept so the code says what it relies on).
  virtual void dma_wmb() {}  // table/queue writes visible to the device before what follows
  virtual void smp_mb() {}   // full barrier between CPUs

  // --- time and CPUs
  virtual uint64_t now_ns() = 0;
  virtual void delay_ns(uint64_t ns) = 0;  // lets simulated time pass (polling loops)
  virtual unsigned cpu_id() = 0;
  // Blocks until the interrupt line `irq` fires or timeout_ns passes; false on timeout.
  virtual bool wait_for_irq(unsigned irq, uint64_t timeout_ns) = 0;
  // Blocks until an SEV (or timeout); false on timeout.
  virtual bool wait_for_event(uint64_t timeout_ns) = 0;

  // --- locks
  virtual std::unique_ptr<Lock> make_mutex() = 0;
  virtual std::unique_ptr<Lock> make_spinlock() = 0;
  virtual std::unique_ptr<RwLock> make_rwlock() = 0;
  // n zeroed words for atomic instructions (atomic_words.h). The default has no cost.
  virtual std::unique_ptr<AtomicWords> make_atomic_words(size_t n) {
    return std::make_unique<PlainAtomicWords>(n);
  }

  // --- RCU: readers never block; synchronize_rcu waits until every CPU that was inside
  // a read-side section when it started has left it; call_rcu runs fn after such a
  // grace period (deferred free).
  virtual void rcu_read_lock() = 0;
  virtual void rcu_read_unlock() = 0;
  virtual void synchronize_rcu() = 0;
  virtual void call_rcu(std::function<void()> fn) = 0;
};

// Scoped helpers.
class LockGuard {
 public:
  explicit LockGuard(Lock& l) : l_(l) { l_.lock(); }
  ~LockGuard() { l_.unlock(); }
  LockGuard(const LockGuard&) = delete;
  LockGuard& operator=(const LockGuard&) = delete;

 private:
  Lock& l_;
};

class RcuReadGuard {
 public:
  explicit RcuReadGuard(Os& os) : os_(os) { os_.rcu_read_lock(); }
  ~RcuReadGuard() { os_.rcu_read_unlock(); }
  RcuReadGuard(const RcuReadGuard&) = delete;
  RcuReadGuard& operator=(const RcuReadGuard&) = delete;

 private:
  Os& os_;
};

}  // namespace smmu::driver

// SPDX-License-Identifier: Apache-2.0
// The driver's OS services (driver::Os) on SystemC, for one simulated CPU, and the
// SoC's DMA-memory allocator that all CPUs share.
//
// Costs (on the CPU's local time; see cpu.h for MMIO and memory): every call adds
// CpuParams::instruction_overhead (except now_ns and cpu_id); mem_read/mem_write,
// dma_alloc (bookkeeping and zeroing as one call) and dma_free add cached_access; locks
// and synchronize_rcu/call_rcu cost what sc_sync.h says; rcu_read_lock/unlock and the
// barriers are free. Calls from another process than the CPU's thread (an RCU callback
// in the worker) are untimed; the blocking and time services (delay_ns, the waits) must
// come from the CPU's thread.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>

#include "driver/os.h"

namespace smmu::platform {

class Cpu;
class ScSync;

// First-fit allocator over [base, base + size) of physical memory (one per SoC): the
// lowest aligned free address that fits. Deterministic. Freed blocks merge with their
// free neighbours. Knows nothing of the memory's contents (ScOs zeroes what it hands
// out).
class DmaAllocator {
 public:
  // Throws std::invalid_argument when the region is empty, wraps, or starts at 0 (0
  // means "out of memory" to the driver).
  DmaAllocator(uint64_t base, uint64_t size);

  // The aligned address of `size` bytes, or 0 when no free block fits (or size is 0).
  // align 0 means 1; an align that is not a power of two is an SC_REPORT_ERROR (0).
  uint64_t allocate(size_t size, size_t align);
  // Frees what allocate returned, with the same size; anything else (an unknown
  // address, a size mismatch, a double free) is an SC_REPORT_ERROR and frees nothing.
  void free(uint64_t pa, size_t size);

  uint64_t base() const { return base_; }
  uint64_t size() const { return size_; }
  uint64_t bytes_free() const { return bytes_free_; }
  size_t live_allocations() const { return live_.size(); }
  bool is_allocated(uint64_t pa) const { return live_.count(pa) != 0; }

 private:
  uint64_t base_, size_;
  uint64_t bytes_free_;
  std::map<uint64_t, uint64_t> free_;  // start -> size, disjoint, never adjacent
  std::map<uint64_t, uint64_t> live_;  // start -> size
};

class ScOs : public driver::Os {
 public:
  ScOs(Cpu& cpu, DmaAllocator& dma, ScSync& sync);

  Cpu& cpu() { return cpu_; }
  DmaAllocator& allocator() { return dma_; }
  ScSync& sync() { return sync_; }

  uint32_t mmio_read32(uint64_t pa) override;
  void mmio_write32(uint64_t pa, uint32_t value) override;
  uint64_t mmio_read64(uint64_t pa) override;
  void mmio_write64(uint64_t pa, uint64_t value) override;

  uint64_t dma_alloc(size_t size, size_t align) override;
  void dma_free(uint64_t pa, size_t size) override;
  void mem_read(uint64_t pa, void* data, size_t len) override;
  void mem_write(uint64_t pa, const void* data, size_t len) override;

  uint64_t now_ns() override;
  void delay_ns(uint64_t ns) override;
  unsigned cpu_id() override;
  bool wait_for_irq(unsigned irq, uint64_t timeout_ns) override;
  bool wait_for_event(uint64_t timeout_ns) override;

  std::unique_ptr<driver::Lock> make_mutex() override;
  std::unique_ptr<driver::Lock> make_spinlock() override;
  std::unique_ptr<driver::RwLock> make_rwlock() override;
  std::unique_ptr<driver::AtomicWords> make_atomic_words(size_t n) override;

  void rcu_read_lock() override;
  void rcu_read_unlock() override;
  void synchronize_rcu() override;
  void call_rcu(std::function<void()> fn) override;

 private:
  void overhead();
  void memory_cost();

  Cpu& cpu_;
  DmaAllocator& dma_;
  ScSync& sync_;
};

}  // namespace smmu::platform

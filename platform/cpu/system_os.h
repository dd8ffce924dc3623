// SPDX-License-Identifier: Apache-2.0
// The driver's OS as the whole machine: one driver::Os that every shared driver object
// (SMMU devices, the Iommu, domains) holds, which hands each call to the simulated CPU
// running it, as a kernel's services act on the current CPU. A domain created on CPU 0
// and unmapped from CPU 3 must charge CPU 3's time and block CPU 3's thread, not
// CPU 0's. Calls from a process that is no CPU (the RCU worker running a deferred free)
// go to the first CPU's services, untimed as sc_os.h describes.
#pragma once

#include <vector>

#include "driver/os.h"
#include "platform/cpu/cpu.h"

namespace smmu::platform {

class SystemOs final : public driver::Os {
 public:
  // The CPUs must outlive this object; at least one.
  explicit SystemOs(std::vector<Cpu*> cpus);

  // The services of the CPU whose thread is running (or the first CPU's).
  driver::Os& current() const;

  uint32_t mmio_read32(uint64_t pa) override { return current().mmio_read32(pa); }
  void mmio_write32(uint64_t pa, uint32_t v) override { current().mmio_write32(pa, v); }
  uint64_t mmio_read64(uint64_t pa) override { return current().mmio_read64(pa); }
  void mmio_write64(uint64_t pa, uint64_t v) override { current().mmio_write64(pa, v); }
  uint64_t dma_alloc(size_t size, size_t align) override { return current().dma_alloc(size, align); }
  void dma_free(uint64_t pa, size_t size) override { current().dma_free(pa, size); }
  void mem_read(uint64_t pa, void* d, size_t n) override { current().mem_read(pa, d, n); }
  void mem_write(uint64_t pa, const void* d, size_t n) override { current().mem_write(pa, d, n); }
  void dma_wmb() override { current().dma_wmb(); }
  void smp_mb() override { current().smp_mb(); }
  uint64_t now_ns() override { return current().now_ns(); }
  void delay_ns(uint64_t ns) override { current().delay_ns(ns); }
  unsigned cpu_id() override { return current().cpu_id(); }
  bool wait_for_irq(unsigned irq, uint64_t t) override { return current().wait_for_irq(irq, t); }
  bool wait_for_event(uint64_t t) override { return current().wait_for_event(t); }
  // Locks and RCU are the SoC's (ScSync), whichever CPU makes them.
  std::unique_ptr<driver::Lock> make_mutex() override { return current().make_mutex(); }
  std::unique_ptr<driver::Lock> make_spinlock() override { return current().make_spinlock(); }
  std::unique_ptr<driver::RwLock> make_rwlock() override { return current().make_rwlock(); }
  std::unique_ptr<driver::AtomicWords> make_atomic_words(size_t n) override {
    return current().make_atomic_words(n);
  }
  void rcu_read_lock() override { current().rcu_read_lock(); }
  void rcu_read_unlock() override { current().rcu_read_unlock(); }
  void synchronize_rcu() override { current().synchronize_rcu(); }
  void call_rcu(std::function<void()> fn) override { current().call_rcu(std::move(fn)); }

 private:
  std::vector<Cpu*> cpus_;
};

}  // namespace smmu::platform

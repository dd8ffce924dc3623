// SPDX-License-Identifier: Apache-2.0
// driver::Os for a SystemC thread that is no simulated CPU: software whose own cost is
// not modelled, only its device accesses (set-up "tables"'s command program, see
// platform/software/command_program.h). Compare ScOs (sc_os.h), which charges a Cpu.
//  - MMIO: b_transport through `bus`; the calling thread waits each access's annotated
//    latency (strongly ordered and non-posted, as a CPU's MMIO). An error response is
//    an SC_REPORT_WARNING and counted; a failed read returns all ones.
//  - Memory: debug transport through `bus`, at no cost (caches coherent with the SMMU).
//  - Time: now_ns() is SystemC time (whole ns, rounded down); delay_ns waits.
//  - One thread and no interrupt lines: locks and RCU have no other party (a lock
//    taken twice, or synchronize_rcu inside a read-side section, would deadlock and is
//    an SC_REPORT_ERROR instead); call_rcu runs its function when the thread has left
//    its read-side sections (at once outside them); wait_for_irq/wait_for_event let the timeout pass and
//    return false.
//  - DMA memory from `dma` when given; without it dma_alloc returns 0 (out of memory).
// The blocking services (MMIO, delay_ns, the waits) must come from a SystemC thread.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <vector>

#include <tlm>

#include "driver/os.h"

namespace smmu::platform {

class DmaAllocator;

class HostOs : public driver::Os {
 public:
  explicit HostOs(tlm::tlm_fw_transport_if<>& bus, DmaAllocator* dma = nullptr);

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
  unsigned cpu_id() override { return 0; }
  bool wait_for_irq(unsigned irq, uint64_t timeout_ns) override;
  bool wait_for_event(uint64_t timeout_ns) override;

  std::unique_ptr<driver::Lock> make_mutex() override;
  std::unique_ptr<driver::Lock> make_spinlock() override;
  std::unique_ptr<driver::RwLock> make_rwlock() override;

  void rcu_read_lock() override { ++rcu_nesting_; }
  void rcu_read_unlock() override;
  void synchronize_rcu() override;
  void call_rcu(std::function<void()> fn) override;

  uint64_t mmio_errors() const { return mmio_errors_; }

 private:
  bool mmio(uint64_t pa, void* data, unsigned len, bool write);
  void memory(uint64_t pa, void* data, size_t len, bool write);

  tlm::tlm_fw_transport_if<>& bus_;
  DmaAllocator* dma_;
  unsigned rcu_nesting_ = 0;
  std::vector<std::function<void()>> rcu_callbacks_;  // call_rcu inside a read-side section
  uint64_t mmio_errors_ = 0;
};

}  // namespace smmu::platform

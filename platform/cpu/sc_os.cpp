// SPDX-License-Identifier: Apache-2.0
#include "platform/cpu/sc_os.h"

#include <sstream>
#include <stdexcept>
#include <string>
#include <utility>

#include <systemc>

#include "platform/cpu/cpu.h"
#include "platform/cpu/sc_sync.h"

namespace smmu::platform {

namespace {

constexpr const char* kMsgType = "smmu/dma";

std::string hex(uint64_t v) {
  std::ostringstream os;
  os << "0x" << std::hex << v;
  return os.str();
}

}  // namespace

// --- DmaAllocator

DmaAllocator::DmaAllocator(uint64_t base, uint64_t size) : base_(base), size_(size), bytes_free_(size) {
  if (size == 0) throw std::invalid_argument("DmaAllocator: size is 0");
  if (base == 0) throw std::invalid_argument("DmaAllocator: base 0 (0 means out of memory)");
  if (base + (size - 1) < base) throw std::invalid_argument("DmaAllocator: region at " + hex(base) + " of size " + hex(size) + " wraps");
  free_[base] = size;
}

uint64_t DmaAllocator::allocate(size_t size, size_t align) {
  if (align == 0) align = 1;
  if ((align & (align - 1)) != 0) {
    SC_REPORT_ERROR(kMsgType, ("dma_alloc: align " + std::to_string(align) + " is not a power of two").c_str());
    return 0;
  }
  if (size == 0) return 0;
  for (auto it = free_.begin(); it != free_.end(); ++it) {
    const uint64_t start = it->first, len = it->second;
    const uint64_t a = (start + (align - 1)) & ~uint64_t(align - 1);
    if (a < start || a - start >= len || len - (a - start) < size) continue;
    // Split: [start, a) stays free, [a, a+size) is handed out, the tail stays free.
    const uint64_t tail = len - (a - start) - size;
    if (a == start) {
      free_.erase(it);
    } else {
      it->second = a - start;
    }
    if (tail) free_[a + size] = tail;
    live_[a] = size;
    bytes_free_ -= size;
    return a;
  }
  return 0;
}

void DmaAllocator::free(uint64_t pa, size_t size) {
  auto it = live_.find(pa);
  if (it == live_.end()) {
    SC_REPORT_ERROR(kMsgType, ("dma_free of " + hex(pa) + ", which is not allocated").c_str());
    return;
  }
  if (it->second != size) {
    SC_REPORT_ERROR(kMsgType, ("dma_free of " + hex(pa) + " with size " + std::to_string(size) +
                               ", allocated with size " + std::to_string(it->second))
                                  .c_str());
    return;
  }
  live_.erase(it);
  bytes_free_ += size;
  // Insert and merge with the neighbours.
  auto next = free_.lower_bound(pa);
  uint64_t start = pa, len = size;
  if (next != free_.begin()) {
    auto prev = std::prev(next);
    if (prev->first + prev->second == pa) {
      start = prev->first;
      len += prev->second;
      free_.erase(prev);
    }
  }
  if (next != free_.end() && pa + size == next->first) {
    len += next->second;
    free_.erase(next);
  }
  free_[start] = len;
}

// --- ScOs

ScOs::ScOs(Cpu& cpu, DmaAllocator& dma, ScSync& sync) : cpu_(cpu), dma_(dma), sync_(sync) {}

void ScOs::overhead() {
  if (cpu_.params().instruction_overhead != sc_core::SC_ZERO_TIME) cpu_.charge(cpu_.params().instruction_overhead);
}

void ScOs::memory_cost() { cpu_.charge(cpu_.params().cached_access); }

uint32_t ScOs::mmio_read32(uint64_t pa) {
  overhead();
  return static_cast<uint32_t>(cpu_.mmio_read(pa, 4));
}

void ScOs::mmio_write32(uint64_t pa, uint32_t value) {
  overhead();
  cpu_.mmio_write(pa, value, 4);
}

uint64_t ScOs::mmio_read64(uint64_t pa) {
  overhead();
  return cpu_.mmio_read(pa, 8);
}

void ScOs::mmio_write64(uint64_t pa, uint64_t value) {
  overhead();
  cpu_.mmio_write(pa, value, 8);
}

uint64_t ScOs::dma_alloc(size_t size, size_t align) {
  overhead();
  memory_cost();
  const uint64_t pa = dma_.allocate(size, align);
  if (pa) cpu_.mem_fill(pa, 0, size);
  return pa;
}

void ScOs::dma_free(uint64_t pa, size_t size) {
  overhead();
  memory_cost();
  dma_.free(pa, size);
}

void ScOs::mem_read(uint64_t pa, void* data, size_t len) {
  overhead();
  memory_cost();
  cpu_.mem_read(pa, data, len);
}

void ScOs::mem_write(uint64_t pa, const void* data, size_t len) {
  overhead();
  memory_cost();
  cpu_.mem_write(pa, data, len);
}

uint64_t ScOs::now_ns() { return cpu_.now_ns(); }

void ScOs::delay_ns(uint64_t ns) {
  overhead();
  cpu_.delay_ns(ns);
}

unsigned ScOs::cpu_id() { return cpu_.id(); }

bool ScOs::wait_for_irq(unsigned irq, uint64_t timeout_ns) {
  overhead();
  return cpu_.wait_for_irq(irq, timeout_ns);
}

bool ScOs::wait_for_event(uint64_t timeout_ns) {
  overhead();
  return cpu_.wait_for_event(timeout_ns);
}

std::unique_ptr<driver::Lock> ScOs::make_mutex() {
  overhead();
  return sync_.make_mutex();
}

std::unique_ptr<driver::Lock> ScOs::make_spinlock() {
  overhead();
  return sync_.make_spinlock();
}

std::unique_ptr<driver::RwLock> ScOs::make_rwlock() {
  overhead();
  return sync_.make_rwlock();
}

std::unique_ptr<driver::AtomicWords> ScOs::make_atomic_words(size_t n) {
  overhead();
  return sync_.make_atomic_words(n);
}

void ScOs::rcu_read_lock() {
  overhead();
  sync_.rcu_read_lock();
}

void ScOs::rcu_read_unlock() {
  overhead();
  sync_.rcu_read_unlock();
}

void ScOs::synchronize_rcu() {
  overhead();
  sync_.synchronize_rcu();
}

void ScOs::call_rcu(std::function<void()> fn) {
  overhead();
  sync_.call_rcu(std::move(fn));
}

}  // namespace smmu::platform

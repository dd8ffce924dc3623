// SPDX-License-Identifier: Apache-2.0
#include "platform/cpu/host_os.h"

#include <string>
#include <vector>

#include <systemc>

#include "platform/cpu/bus_access.h"
#include "platform/cpu/sc_os.h"

namespace smmu::platform {

using sc_core::sc_time;

namespace {

constexpr const char* kMsgType = "smmu/host_os";

// The only holder is the one thread: taking a held lock again would never return.
class HostLock : public driver::Lock {
 public:
  void lock() override {
    if (held_) SC_REPORT_ERROR(kMsgType, "a lock taken twice by its only thread (a deadlock)");
    held_ = true;
  }
  void unlock() override { held_ = false; }

 private:
  bool held_ = false;
};

class HostRwLock : public driver::RwLock {
 public:
  void read_lock() override {
    if (writer_) SC_REPORT_ERROR(kMsgType, "read_lock under its own write lock (a deadlock)");
    ++readers_;
  }
  void read_unlock() override {
    if (readers_) --readers_;
  }
  void write_lock() override {
    if (writer_ || readers_) SC_REPORT_ERROR(kMsgType, "write_lock while its only thread holds it (a deadlock)");
    writer_ = true;
  }
  void write_unlock() override { writer_ = false; }

 private:
  unsigned readers_ = 0;
  bool writer_ = false;
};

}  // namespace

HostOs::HostOs(tlm::tlm_fw_transport_if<>& bus, DmaAllocator* dma) : bus_(bus), dma_(dma) {}

bool HostOs::mmio(uint64_t pa, void* data, unsigned len, bool write) {
  sc_time delay = sc_core::SC_ZERO_TIME;
  const bool ok = mmio_transport(bus_, pa, static_cast<uint8_t*>(data), len, write, delay, "host", kMsgType);
  // A register access completes when the device answers: wait for it.
  sc_core::wait(delay);
  if (!ok) ++mmio_errors_;
  return ok;
}

uint32_t HostOs::mmio_read32(uint64_t pa) {
  uint32_t v = 0;
  mmio(pa, &v, 4, false);
  return v;  // all ones after an error
}

void HostOs::mmio_write32(uint64_t pa, uint32_t value) { mmio(pa, &value, 4, true); }

uint64_t HostOs::mmio_read64(uint64_t pa) {
  uint64_t v = 0;
  mmio(pa, &v, 8, false);
  return v;
}

void HostOs::mmio_write64(uint64_t pa, uint64_t value) { mmio(pa, &value, 8, true); }

uint64_t HostOs::dma_alloc(size_t size, size_t align) {
  if (!dma_) return 0;
  const uint64_t pa = dma_->allocate(size, align);
  if (pa) memory(pa, nullptr, size, true);  // zeroed, as dma_alloc_coherent
  return pa;
}

void HostOs::dma_free(uint64_t pa, size_t size) {
  if (dma_) dma_->free(pa, size);
}

void HostOs::mem_read(uint64_t pa, void* data, size_t len) { memory(pa, data, len, false); }

void HostOs::mem_write(uint64_t pa, const void* data, size_t len) {
  // The buffer is only read on a write.
  memory(pa, const_cast<void*>(data), len, true);
}

void HostOs::memory(uint64_t pa, void* data, size_t len, bool write) {
  auto* buf = static_cast<uint8_t*>(data);
  while (len) {
    const size_t n = debug_transport_chunk(bus_, pa, buf, len, write, 0, "host", kMsgType);
    if (!n) return;
    pa += n;
    len -= n;
    if (buf) buf += n;
  }
}

uint64_t HostOs::now_ns() {
  return sc_core::sc_time_stamp().value() / sc_time(1, sc_core::SC_NS).value();
}

void HostOs::delay_ns(uint64_t ns) {
  if (ns) sc_core::wait(sc_time::from_value(ns * sc_time(1, sc_core::SC_NS).value()));
}

bool HostOs::wait_for_irq(unsigned, uint64_t timeout_ns) {
  delay_ns(timeout_ns);
  return false;
}

bool HostOs::wait_for_event(uint64_t timeout_ns) {
  delay_ns(timeout_ns);
  return false;
}

std::unique_ptr<driver::Lock> HostOs::make_mutex() { return std::make_unique<HostLock>(); }
std::unique_ptr<driver::Lock> HostOs::make_spinlock() { return std::make_unique<HostLock>(); }
std::unique_ptr<driver::RwLock> HostOs::make_rwlock() { return std::make_unique<HostRwLock>(); }

void HostOs::rcu_read_unlock() {
  if (rcu_nesting_ && --rcu_nesting_ == 0) {
    std::vector<std::function<void()>> due;
    due.swap(rcu_callbacks_);
    for (auto& fn : due) fn();
  }
}

void HostOs::synchronize_rcu() {
  if (rcu_nesting_) SC_REPORT_ERROR(kMsgType, "synchronize_rcu inside a read-side section (a deadlock)");
}

void HostOs::call_rcu(std::function<void()> fn) {
  // The only reader is the caller: the grace period ends when it leaves its read-side
  // sections (at once when it is in none).
  if (rcu_nesting_)
    rcu_callbacks_.push_back(std::move(fn));
  else
    fn();
}

}  // namespace smmu::platform
